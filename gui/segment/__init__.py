"""Widgets and workers of the Segment panel."""
