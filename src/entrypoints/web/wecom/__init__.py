"""Console pages of the WeCom SCRM context (企业微信, WECOM-1…5)."""
