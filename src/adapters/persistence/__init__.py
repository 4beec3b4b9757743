"""Event store and read-model storage on SQLite files or PostgreSQL."""
