"""The display settings chosen for each image during a session, so switching back to an image shows it as
the user left it. Kept in memory only (a bounded number of images); the files are never touched."""

from __future__ import annotations

from collections import OrderedDict

from core.display.contrast import DisplaySettings

MAX_IMAGES = 256


class DisplayMemory:
    """Display settings by image key (its path), the most recently used kept when full."""

    def __init__(self, max_images: int = MAX_IMAGES):
        self._settings: OrderedDict[str, DisplaySettings] = OrderedDict()
        self._max = max_images

    def remember(self, key: str, settings: DisplaySettings) -> None:
        self._settings[key] = settings
        self._settings.move_to_end(key)
        while len(self._settings) > self._max:
            self._settings.popitem(last=False)

    def recall(self, key: str, channels: int) -> DisplaySettings | None:
        """The settings last used for ``key``, if they fit an image of ``channels`` channels (a file
        replaced on disk by one with other channels starts afresh)."""
        settings = self._settings.get(key)
        if settings is None or settings.channels != channels:
            return None
        self._settings.move_to_end(key)
        return settings

    def peek(self, key: str) -> DisplaySettings | None:
        """The settings for ``key`` whatever their channels, without touching the order (thread-safe read)."""
        return self._settings.get(key)

    def __len__(self) -> int:
        return len(self._settings)
