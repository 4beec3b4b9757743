"""The WeChat Official Account context (WX): accounts, fans' windows, mass sends."""
