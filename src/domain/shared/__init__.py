"""The shared kernel: errors and building blocks every context uses."""

from domain.shared.errors import DomainError, InvalidValue, StateConflict
from domain.shared.unique_key import UniqueKey

__all__ = ["DomainError", "InvalidValue", "StateConflict", "UniqueKey"]
