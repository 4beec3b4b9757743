"""Logins (console sign-in): the passwords people use to sign in to the console."""

from domain.logins.login import Login, LoginKind

__all__ = ["Login", "LoginKind"]
