"""The WeChat Official Account context's use cases (WX-1…6, TRK-3)."""
