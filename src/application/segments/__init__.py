"""Segments: the filter language at work, saved searches, groups and their members
(SEG-1…4)."""
