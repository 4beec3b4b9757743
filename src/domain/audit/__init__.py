"""Audit (AUD): who changed what configuration, replayable from the event stores."""
