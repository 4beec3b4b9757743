"""Adapters of the segments context: other contexts' applications as its ports."""
