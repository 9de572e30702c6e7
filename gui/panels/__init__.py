"""The four panels of the main window, one per module."""
