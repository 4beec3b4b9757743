"""Scoring console pages (SCORE-1…5)."""
