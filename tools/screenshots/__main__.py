"""Render the main window and each panel in a real window and save PNGs: ``make screenshots``, or
``python -m tools.screenshots [--first-use | --only-segmentation | --only-stacks | --train-run RUN | --gan-run RUN] DIR``.

Run under Xvfb with QT_QPA_PLATFORM=xcb: the pictures are grabbed from the X screen, as a person would see
them. Uses a throwaway workspace with the generated sample scene and its object mask as the overlay.
A developer tool: it lives outside the shipped ``gui`` package.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from tools.screenshots.first_use import first_use_scenes
from tools.screenshots.grab import grab, wait
from tools.screenshots.scenes import (
    gan_scene,
    segment_session,
    segment_with_model_scene,
    segmentation_scenes,
    train_run_scene,
    train_shapes_gan,
)
from tools.screenshots.stack_scenes import stack_scenes


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    train_run = None
    if "--train-run" in argv:  # only the Train panel showing this (U-Net) run folder, as train_panel_run.png
        at = argv.index("--train-run")
        train_run = Path(argv[at + 1])
        del argv[at:at + 2]
    gan_run = None
    if "--gan-run" in argv:  # also show an existing GAN run (e.g. the MNIST benchmark's, --keep-run)
        at = argv.index("--gan-run")
        gan_run = Path(argv[at + 1])
        del argv[at:at + 2]
    only_segmentation = "--only-segmentation" in argv
    only_stacks = "--only-stacks" in argv  # a stack with its frame slider, and a propagated object
    argv = [a for a in argv if a != "--only-stacks"]
    first_use = "--first-use" in argv  # each panel empty, mid-work and finished (issue 16)
    argv = [a for a in argv if a not in ("--only-segmentation", "--first-use")]
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from gui.gc_guard import application
    from gui.resources import app_icon
    from gui.style import load_style

    app = application()  # garbage is collected on the GUI thread only (gui/gc_guard.py)
    app.setWindowIcon(app_icon())
    load_style()  # as gui/app.py does at start-up
    if first_use:
        with tempfile.TemporaryDirectory(prefix="seggan-shots-") as tmp:
            first_use_scenes(Path(tmp), out)
        app.quit()
        return 0

    from core.workspace import ensure_default_workspace
    from gui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="seggan-shots-") as tmp:
        workspace = ensure_default_workspace(Path(tmp) / "workspace")  # the sample scene and its mask
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(workspace, settings=settings, log_path=str(Path(tmp) / "seggan-studio.log"))
        window.resize(1400, 860)
        window.move(0, 0)
        window.show()
        window.image_panel.image_list.setCurrentRow(0)
        deadline = 200
        while (window.scene.labels is None or window.device_report is None) and deadline:
            wait(100)
            deadline -= 1
        wait(300)
        if train_run is not None:
            train_run_scene(window, train_run, out, "train_panel_run.png")
            window.close()
            app.quit()
            return 0
        if only_stacks:
            stack_scenes(window, workspace, out)
            window.close()
            app.quit()
            return 0
        if only_segmentation:
            segmentation_scenes(window, workspace, Path(tmp), out)
            segment_with_model_scene(window, workspace, Path(tmp), out)
            window.close()
            app.quit()
            return 0
        grab(window, out / "image_panel.png")
        view = window.image_panel.view
        view.set_zoom(3.0)
        view.centerOn(160, 150)
        wait(200)
        grab(window, out / "image_panel_zoomed.png")
        view.fit()
        segment_session(window, workspace, out)
        # The GAN panel exploring a generator trained here on the procedural shapes (class-conditional).
        shapes_run = workspace.runs_dir / "shapes-gan"
        train_shapes_gan(shapes_run)
        window.gan_panel.refresh_runs()
        gan_scene(window, shapes_run, out, "gan_panel.png")
        if gan_run is not None:
            gan_scene(window, gan_run, out, "gan_panel_mnist.png")
        # The Train panel following a real run: the built-in engine check, trained here for ~20 s.
        window.tabs.setCurrentWidget(window.train_panel)
        window.train_panel.start_engine_check()
        wait(12_000)
        grab(window, out / "train_panel.png")
        window.train_panel.stop_live()
        wait(3000)
        segmentation_scenes(window, workspace, Path(tmp), out)
        segment_with_model_scene(window, workspace, Path(tmp), out)
        window.tabs.setCurrentWidget(window.image_panel)
        bad = Path(tmp) / "download.png"
        bad.write_text("<!DOCTYPE html><html>404</html>")
        window.open_paths([str(bad)])
        deadline = 50
        while not window.errors.dialogs and deadline:
            wait(100)
            deadline -= 1
        wait(300)
        grab(window, out / "error_dialog.png")
        for dialog in list(window.errors.dialogs):
            dialog.accept()
        stack_scenes(window, workspace, out)  # a stack with its frame slider, a propagated object
        window.close()
    from tools.screenshots.contrast import main as contrast_scenes

    contrast_scenes([str(out)])  # a 16-bit image under min-max and auto contrast, a 2-channel TIFF
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
