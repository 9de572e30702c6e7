"""The Segment panel (segment_panel.py) and its widgets and workers."""
