"""Scoring (SCORE-1…5): score rules on attributes and behaviours, each lead's score with
its matrix cell, marketing stage and temperature."""
