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
    parser.add_argument("--install-desktop-entry", action="store_true",
                        help="add SegGAN Studio with its icon to this user's desktop menus (Linux) and exit")
    args = parser.parse_args(argv)
    if args.install_desktop_entry:
        from gui.resources import install_desktop_entry

        for path in install_desktop_entry():
            print(path)
        return 0

    from PySide6.QtCore import QSettings

    from core.logs import setup_logging
    from core.workspace import ensure_default_workspace
    from gui.gc_guard import application
    from gui.main_window import MainWindow

    log_path = setup_logging()
    app = application()  # garbage is collected on the GUI thread only (gui/gc_guard.py)
    app.setApplicationName("SegGAN Studio")
    app.setOrganizationName("SegGAN")
    from gui.resources import APP_ID, app_icon

    app.setWindowIcon(app_icon())  # every window, the taskbar and (X11) _NET_WM_ICON
    from gui.style import load_style

    load_style()  # resources/style.qss, with resources/palette.json's colours
    app.setDesktopFileName(APP_ID)  # matches the installed desktop entry (Wayland takes the icon from it)
    settings = QSettings("SegGAN", "SegGAN Studio")
    workspace_path = args.workspace or settings.value("workspace/path") or None
    workspace_problem = None
    try:
        workspace = ensure_default_workspace(workspace_path)
    except OSError as exc:  # WorkspaceError names the path and what is wrong with it
        workspace_problem = f"{exc}\n\nUsing the default workspace instead."
        workspace = ensure_default_workspace(None)
    window = MainWindow(workspace, settings=settings, log_path=str(log_path))
    window.errors.install_hooks()
    window.show()
    if workspace_problem:
        window.errors.report("Could not open workspace", workspace_problem)
    if args.paths:
        window.open_paths(args.paths)
    elif window.image_panel.image_list.count():
        window.image_panel.image_list.setCurrentRow(0)
    if not settings.value("help/getting_started_shown", False, type=bool) and not args.paths:
        settings.setValue("help/getting_started_shown", True)  # once; Help > Getting Started (F1) after that
        window.show_getting_started()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
