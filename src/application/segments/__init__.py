"""Segments (SEG-1…4): the filter language over lead profiles, saved searches, groups."""
