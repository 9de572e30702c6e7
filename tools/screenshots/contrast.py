"""Screenshots of contrast limits (issue 18, item 5): a 16-bit EM-like image with hot and dead pixels in the
Image and Segment panels, shown under its min..max (what a plain stretch shows) and after Auto.

Run under Xvfb: ``QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" python -m tools.screenshots.contrast
OUT``. Writes contrast_<panel>_minmax.png and contrast_<panel>_auto.png, and
contrast_image_channels.png (a 2-channel 16-bit TIFF).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image
from PySide6.QtWidgets import QApplication

from tools.screenshots.first_use import first_use_window
from tools.screenshots.grab import grab, wait, wait_until


def em_like_16bit(height: int = 768, width: int = 1024, seed: int = 0) -> np.ndarray:
    """Cells with dark membranes, detector-like: values around 8000..18000, noise, 0.05 % hot (65535) and
    0.05 % dead (0) pixels."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform((0, 0), (height, width), (60, 2))
    rows, cols = np.mgrid[0:height, 0:width]
    distances = np.sort(np.stack([np.hypot(rows - r, cols - c) for r, c in centres]), axis=0)
    membrane = np.exp(-((distances[1] - distances[0]) / 3.0) ** 2)  # near the boundary between two cells
    values = 16000 - 8000 * membrane + rng.normal(0, 500, (height, width))
    raw = np.clip(values, 0, 65535).astype(np.uint16)
    flat = raw.reshape(-1)
    picks = rng.choice(flat.size, flat.size // 1000, replace=False)
    flat[picks[: len(picks) // 2]] = 65535
    flat[picks[len(picks) // 2:]] = 0
    return raw


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    from core.workspace import ensure_default_workspace

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        workspace = ensure_default_workspace(tmp / "workspace")
        path = workspace.images_dir / "em_16bit.png"
        Image.fromarray(em_like_16bit()).save(path)
        window = first_use_window(workspace, tmp)
        panel = window.image_panel
        panel.select_path(path)
        contrast = panel.contrast
        wait_until(lambda: contrast.active, 30)
        for name, tab in (("image", window.image_panel), ("segment", window.segment_panel)):
            window.tabs.setCurrentWidget(tab)
            tab.contrast_box.full_button.click()
            wait_until(lambda: contrast.shown == contrast.settings, 30)
            wait(300)
            grab(window, out / f"contrast_{name}_minmax.png")
            tab.contrast_box.auto_button.click()
            wait_until(lambda: contrast.shown == contrast.settings, 30)
            wait(300)
            grab(window, out / f"contrast_{name}_auto.png")
        two = workspace.images_dir / "two_channels.tif"  # a 2-channel 16-bit TIFF: magenta and green
        tifffile.imwrite(two, np.stack([em_like_16bit(seed=1), em_like_16bit(seed=2)], axis=-1),
                         photometric="minisblack", planarconfig="contig")
        window.tabs.setCurrentWidget(panel)
        panel.select_path(two)
        wait_until(lambda: contrast.active and contrast.settings.channels == 2, 30)
        wait(500)
        grab(window, out / "contrast_image_channels.png")
        window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
