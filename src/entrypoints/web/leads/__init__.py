"""Console pages of the leads context."""
