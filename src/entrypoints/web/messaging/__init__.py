"""Console pages of messaging (营销触达): e-mail tasks, templates, sending domains, SMS."""
