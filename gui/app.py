"""Entry point of the desktop app (``seggan-studio``): the window shows first, TensorFlow loads behind it."""

from __future__ import annotations

import argparse
import sys
import time

_T0 = time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seggan-studio", description="SegGAN Studio desktop app")
    parser.add_argument("paths", nargs="*", help="images or folders to open")
    parser.add_argument("--workspace", help="workspace folder (default: the one used last)")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings

    from core.logs import setup_logging
    from core.workspace import ensure_default_workspace
    from gui.gc_guard import application
    from gui.main_window import MainWindow

    log_path = setup_logging()
    app = application()  # garbage is collected on the GUI thread only (gui/gc_guard.py)
    app.setApplicationName("SegGAN Studio")
    app.setOrganizationName("SegGAN")
    settings = QSettings("SegGAN", "SegGAN Studio")
    workspace_path = args.workspace or settings.value("workspace/path") or None
    try:
        workspace = ensure_default_workspace(workspace_path)
    except OSError:
        workspace = ensure_default_workspace(None)
    window = MainWindow(workspace, settings=settings, log_path=str(log_path))
    window.errors.install_hooks()
    window.show()
    if args.paths:
        window.open_paths(args.paths)
    elif window.image_panel.image_list.count():
        window.image_panel.image_list.setCurrentRow(0)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
