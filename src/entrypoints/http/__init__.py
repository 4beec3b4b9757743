"""The JSON HTTP API (Litestar): /api/v1, problem+json errors, OpenAPI at /schema."""
