"""Console pages of the org context."""
