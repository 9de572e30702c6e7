"""Render the main window and each panel in a real window and save PNGs (``make screenshots``).

Run under Xvfb with QT_QPA_PLATFORM=xcb: the pictures are grabbed from the X screen, as a person would see
them. Uses a throwaway workspace with the generated sample scene and its object mask as the overlay.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication


def _wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _grab(window, path: Path) -> None:
    QApplication.processEvents()
    screen = window.screen()
    geometry = window.frameGeometry()
    pixmap = screen.grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    if pixmap.isNull():  # platforms that cannot grab the screen: render the widget tree instead
        pixmap = window.grab()
    pixmap.save(str(path))
    print(path)


def segmentation_scenes(window, workspace, tmp: Path, out: Path) -> None:
    """The U-Net setup dialog on a folder dataset with problems, then the Train panel training that run."""
    import numpy as np
    from PIL import Image

    from core.maskio import write_mask
    from core.unet.synthetic import synthetic_cells
    from gui.train.seg_setup import SegSetupDialog

    images, masks = Path(tmp) / "cells" / "images", Path(tmp) / "cells" / "masks"
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    for i in range(10):
        rgb, labels = synthetic_cells(192, 256, seed=i)
        Image.fromarray(rgb).save(images / f"cells_{i:02d}.png")
        if i != 7:  # one image not annotated yet
            write_mask(masks / f"cells_{i:02d}.png", labels if i != 4 else labels[:100])  # 4: wrong size
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(masks / "old_export.png")  # a mask without an image
    window.tabs.setCurrentWidget(window.train_panel)
    dialog = SegSetupDialog(workspace, window.train_panel.bridge, window.train_panel)
    dialog.resize(1180, 720)
    dialog.move(60, 40)
    dialog.show()
    dialog.set_source("folders", str(images), str(masks))
    deadline = 100
    while dialog.preview is None and deadline:
        _wait(100)
        deadline -= 1
    _wait(400)
    _grab(dialog, out / "seg_setup.png")
    dialog.minutes.setValue(5)
    dialog.crop.setValue(128)
    dialog.run_name.setText("unet-cells")
    dialog.accepted.connect(lambda: window.train_panel.start_training(
        workspace.runs_dir / dialog.run_name_text(), dialog.config))
    dialog.start_button.click()
    panel = window.train_panel
    deadline = 300  # until a few sample grids and curve points exist (seconds on an idle 2-core machine)
    while len(panel.timeline.steps) < 3 and deadline:
        _wait(1000)
        deadline -= 1
    _wait(1500)
    _grab(window, out / "train_panel_unet.png")
    window.train_panel.stop_live()
    _wait(3000)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only_segmentation = "--only-segmentation" in argv
    argv = [a for a in argv if a != "--only-segmentation"]
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])

    from core.maskio import write_mask
    from core.sample_scene import OBJECT_NAMES, make_sample_scene
    from core.workspace import ensure_default_workspace
    from gui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="seggan-shots-") as tmp:
        workspace = ensure_default_workspace(Path(tmp) / "workspace")
        _, labels = make_sample_scene()
        sample = workspace.images()[0]
        write_mask(workspace.mask_path(sample), labels, names=dict(enumerate(OBJECT_NAMES, start=1)))
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(workspace, settings=settings, log_path=str(Path(tmp) / "seggan-studio.log"))
        window.resize(1400, 860)
        window.move(0, 0)
        window.show()
        window.image_panel.image_list.setCurrentRow(0)
        deadline = 200
        while (window.scene.labels is None or window.device_report is None) and deadline:
            _wait(100)
            deadline -= 1
        _wait(300)
        if only_segmentation:
            segmentation_scenes(window, workspace, Path(tmp), out)
            window.close()
            app.quit()
            return 0
        _grab(window, out / "image_panel.png")
        view = window.image_panel.view
        view.set_zoom(3.0)
        view.centerOn(160, 150)
        _wait(200)
        _grab(window, out / "image_panel_zoomed.png")
        view.fit()
        for name, panel in (("segment_panel", window.segment_panel), ("gan_panel", window.gan_panel)):
            window.tabs.setCurrentWidget(panel)
            _wait(300)
            _grab(window, out / f"{name}.png")
        # The Train panel following a real run: the built-in engine check, trained here for ~20 s.
        window.tabs.setCurrentWidget(window.train_panel)
        window.train_panel.start_engine_check()
        _wait(12_000)
        _grab(window, out / "train_panel.png")
        window.train_panel.stop_live()
        _wait(3000)
        segmentation_scenes(window, workspace, Path(tmp), out)
        window.tabs.setCurrentWidget(window.image_panel)
        bad = Path(tmp) / "download.png"
        bad.write_text("<!DOCTYPE html><html>404</html>")
        window.open_paths([str(bad)])
        deadline = 50
        while not window.errors.dialogs and deadline:
            _wait(100)
            deadline -= 1
        _wait(300)
        _grab(window, out / "error_dialog.png")
        for dialog in list(window.errors.dialogs):
            dialog.accept()
        window.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
