"""Use cases, ports and read models; one sub-package per bounded context."""
