"""One manifest per bounded context (see `entrypoints.manifest`)."""
