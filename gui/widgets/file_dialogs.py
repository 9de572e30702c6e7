"""File dialogs that start where the user expects: the last folder chosen for that kind of file, else the
workspace (core.folder_memory), never the process's working directory. The memory lives in QSettings."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from core.folder_memory import FolderMemory


class _SettingsStore(MutableMapping):
    """QSettings as the string mapping FolderMemory keeps its folders in."""

    def __init__(self, settings: QSettings):
        self._settings = settings

    def __getitem__(self, key: str) -> str:
        value = self._settings.value(key)
        if value is None:
            raise KeyError(key)
        return str(value)

    def __setitem__(self, key: str, value: str) -> None:
        self._settings.setValue(key, value)

    def __delitem__(self, key: str) -> None:
        self._settings.remove(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._settings.allKeys())

    def __len__(self) -> int:
        return len(self._settings.allKeys())


_memory = FolderMemory()
_workspace_root = Path.home()


def configure(settings: QSettings | None, workspace_root: str | Path) -> None:
    """Called by the main window: where the memory is kept and which workspace dialogs fall back to."""
    global _memory, _workspace_root
    _memory = FolderMemory(_SettingsStore(settings) if settings is not None else None)
    _workspace_root = Path(workspace_root)


def set_workspace(workspace_root: str | Path) -> None:
    global _workspace_root
    _workspace_root = Path(workspace_root)


def start_folder(kind: str) -> Path:
    return _memory.start(kind, _workspace_root)


def remember(kind: str, chosen: str | Path) -> None:
    _memory.remember(kind, chosen)


def existing_folder(parent: QWidget | None, kind: str, title: str) -> str | None:
    folder = QFileDialog.getExistingDirectory(parent, title, str(start_folder(kind)))
    if folder:
        remember(kind, folder)
    return folder or None


def open_file(parent: QWidget | None, kind: str, title: str, filters: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder(kind)), filters)
    if path:
        remember(kind, path)
    return path or None


def open_files(parent: QWidget | None, kind: str, title: str, filters: str = "") -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(parent, title, str(start_folder(kind)), filters)
    if paths:
        remember(kind, paths[0])
    return list(paths)


def save_file(parent: QWidget | None, kind: str, title: str, name: str, filters: str = "") -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(_memory.start_file(kind, _workspace_root, name)),
                                          filters)
    if path:
        remember(kind, path)
    return path or None
