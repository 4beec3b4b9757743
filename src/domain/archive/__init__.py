"""The session archive (会话内容存档, ARCH-1…6): the tenant's archive settings, word
lists and reply rules. The archived messages themselves are observations in the
behaviour log, never aggregates (DESIGN "Two kinds of facts")."""
