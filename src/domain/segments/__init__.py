"""Segments (SEG): groups, memberships and saved searches over the filter language."""
