"""The session archive context (ARCH-1…6): ingestion from the WeCom archive port into
the behaviour log, sensitive-word and behaviour screening, reply timeouts, search,
statistics, and the record of every read."""
