"""The documentation's screenshots, rendered under Xvfb: ``python -m tools.screenshots DIR``."""
