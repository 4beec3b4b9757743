"""Console pages of the tenancy context."""
