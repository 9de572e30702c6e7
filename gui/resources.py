"""The app's own static files, from the top-level ``resources/`` folder (packaged next to ``gui/``): the
application icon, the Linux desktop entry, and the style sheet and palette (read by gui/style.py). The one
place that knows where they are."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from PySide6.QtGui import QIcon

from core.atomic import atomic_write_bytes

RESOURCES = Path(__file__).resolve().parent.parent / "resources"  # a checkout and an installed wheel alike
APP_ID = "seggan-studio"  # the desktop entry's and the icon's name


def resource_path(name: str) -> Path:
    path = RESOURCES / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing resource (a broken install?)")
    return path


def app_icon() -> QIcon:
    """The application icon: the SVG for every size, with the 256 px PNG as a fallback where Qt has no SVG
    support."""
    icon = QIcon()
    for name in (f"{APP_ID}.svg", f"{APP_ID}-256.png"):
        if (RESOURCES / name).is_file():
            icon.addFile(str(RESOURCES / name))
    return icon


def install_desktop_entry(data_home: str | os.PathLike | None = None) -> list[Path]:
    """Install the desktop entry and its icon for this user (XDG: ~/.local/share), so the app appears in
    the desktop's menus and launchers with its icon. Returns the files written."""
    home = Path(data_home or os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    command = shutil.which(APP_ID) or f"{sys.executable} -m gui.app"
    entry = resource_path(f"{APP_ID}.desktop").read_text(encoding="utf-8")
    entry = entry.replace(f"Exec={APP_ID} ", f"Exec={command} ")
    targets = {
        home / "applications" / f"{APP_ID}.desktop": entry.encode("utf-8"),
        home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg": resource_path(f"{APP_ID}.svg").read_bytes(),
        home / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png":
            resource_path(f"{APP_ID}-256.png").read_bytes(),
    }
    for path, data in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    return list(targets)
