"""Console pages of the tracking context (营销): sources, links and channels."""
