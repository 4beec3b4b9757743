"""Console pages of the session archive (会话内容存档)."""
