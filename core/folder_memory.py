"""Where a file dialog starts: the last folder the user chose for that kind of file, else the workspace.

Never the process's working directory (for an app started from a terminal that is the source checkout or
the home folder, neither of which the user chose). Plain Python over any string mapping, so the GUI keeps the
memory in QSettings and tests use a dict.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

# The workspace sub-folder a kind of file starts in before the user has chosen a folder for it.
WORKSPACE_FOLDERS = {
    "images": "images",  # Open Images / Open Folder
    "masks": "masks",  # Load Mask
    "runs": "runs",  # Open run folder (Train, GAN, Segment model)
    "exports": "",  # exported PNGs, GIFs, CSVs and mask folders
    "datasets": "",  # training data folders and files
    "workspace": "",  # Open Workspace
}


class FolderMemory:
    def __init__(self, store: MutableMapping | None = None, prefix: str = "dialogs/"):
        self._store = store if store is not None else {}
        self._prefix = prefix

    def start(self, kind: str, workspace_root: str | os.PathLike) -> Path:
        """The folder a dialog for ``kind`` opens in: the remembered one while it still exists, else the
        workspace folder for that kind (or the workspace root)."""
        remembered = self._store.get(self._prefix + kind)
        if remembered and Path(str(remembered)).is_dir():
            return Path(str(remembered))
        root = Path(workspace_root)
        default = root / WORKSPACE_FOLDERS.get(kind, "")
        return default if default.is_dir() else root

    def start_file(self, kind: str, workspace_root: str | os.PathLike, name: str) -> Path:
        """A suggested file ``name`` in the start folder (for save dialogs)."""
        return self.start(kind, workspace_root) / name

    def remember(self, kind: str, chosen: str | os.PathLike) -> None:
        """Remember the folder of what the user chose: the folder itself, or the folder holding a file."""
        path = Path(chosen)
        folder = path if path.is_dir() else path.parent
        self._store[self._prefix + kind] = str(folder)
