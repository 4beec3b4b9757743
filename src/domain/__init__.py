"""The model: aggregates, value objects and the rules of each bounded context (pure, no I/O)."""
