"""Ports made real: persistence, security, channels, payment, clock, files."""
