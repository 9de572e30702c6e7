"""Recently opened files and folders, kept in QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10


class RecentPaths:
    def __init__(self, settings: QSettings, key: str = "recent/paths"):
        self._settings = settings
        self._key = key

    def paths(self) -> list[str]:
        value = self._settings.value(self._key, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        items = [p for p in self.paths() if p != path]
        items.insert(0, path)
        self._settings.setValue(self._key, items[:MAX_RECENT])

    def remove(self, path: str | Path) -> None:
        self._settings.setValue(self._key, [p for p in self.paths() if p != str(path)])

    def clear(self) -> None:
        self._settings.setValue(self._key, [])
