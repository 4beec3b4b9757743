"""Console pages of the segments context (groups, saved searches)."""
