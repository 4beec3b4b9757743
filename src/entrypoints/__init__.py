"""HTTP, CLI, workers and the composition root (the one place that knows every concrete class)."""
