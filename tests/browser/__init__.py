"""Console journeys in Debian's Chromium, driven by Playwright."""
