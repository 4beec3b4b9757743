"""Scoring (SCORE-1…5): rules, lead scores, the matrix, stages and temperature."""
