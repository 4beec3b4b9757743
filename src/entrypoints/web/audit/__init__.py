"""Console pages of the audit context."""
