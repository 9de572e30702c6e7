"""Showing stored values on screen: contrast limits, channel colours, rendering to RGB8."""
