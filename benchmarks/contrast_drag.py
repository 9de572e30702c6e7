"""GUI responsiveness while dragging the contrast slider on a large 16-bit image.

Shows a synthetic 4096x4096 uint16 image (a smooth pattern with noise and outliers) in an ImageScene and an
ImageView with the ContrastBox, then moves the upper handle every 16 ms for ``--seconds`` (what a drag does:
one ``valueChanged`` per mouse move). A 5 ms heartbeat timer measures how long the GUI thread was away: the
largest gap and the 99th percentile, against the same heartbeat with no drag. Also reports how many pictures
were rendered (the latest settings win; intermediate ones are skipped) and the time from the last move to the
picture showing it. Prints one JSON object. Run offscreen:
``QT_QPA_PLATFORM=offscreen python -m benchmarks.contrast_drag``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from core.imageio import ImageMeta, LoadedImage


def synthetic(side: int) -> LoadedImage:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    raw = (20000 + 3000 * np.sin(x * 40) * np.cos(y * 30) + rng.normal(0, 300, (side, side))).astype(np.uint16)
    raw.reshape(-1)[rng.choice(raw.size, raw.size // 1000, replace=False)] = 65535
    rgb = np.zeros((side, side, 3), np.uint8)
    meta = ImageMeta(path="synthetic", format="TIFF", mode="I;16", bit_depth=16, stored_size=(side, side),
                     width=side, height=side)
    return LoadedImage(rgb=rgb, meta=meta, raw=raw)


def heartbeat(app, seconds: float, during=None) -> list[float]:
    gaps, last = [], [time.perf_counter()]

    def beat():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(beat)
    timer.start(5)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if during is not None:
            during()
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    from gui.canvas import ImageScene
    from gui.image_view import ImageView
    from gui.scene_contrast import SceneContrast, prepare_display
    from gui.widgets.contrast_box import ContrastBox
    from gui.workers import WorkerBridge

    bridge = WorkerBridge()
    scene = ImageScene()
    view = ImageView(scene)
    view.resize(1000, 800)
    view.show()
    image = synthetic(args.side)
    start = time.perf_counter()
    prepared = prepare_display(image)
    prepare_s = time.perf_counter() - start
    scene.set_image(image.rgb, prepared.levels)
    contrast = SceneContrast.of(scene, bridge)
    contrast.adopt(image, "synthetic", prepared)
    box = ContrastBox(contrast)
    box.show()
    renders = [0]
    contrast.rendered.connect(lambda: renders.__setitem__(0, renders[0] + 1))
    idle = heartbeat(app, 1.0)
    low, high = prepared.settings.limits[0].low, prepared.settings.limits[0].high
    state = {"next": time.perf_counter(), "i": 0}

    def move():
        now = time.perf_counter()
        if now >= state["next"]:
            state["i"] += 1
            box.slider.setValue((low, high - (state["i"] % 200) * 10))
            state["next"] = now + 0.016
            state["last_move"] = now

    drag = heartbeat(app, args.seconds, move)
    moves = state["i"]
    start = time.perf_counter()
    while contrast.shown != contrast.settings and time.perf_counter() - start < 10:
        app.processEvents()
        time.sleep(0.001)
    settle_s = time.perf_counter() - state["last_move"]
    bridge.shutdown(5000)

    def stats(gaps):
        gaps = np.array(gaps) * 1000
        return {"max_ms": round(float(gaps.max()), 1), "p99_ms": round(float(np.percentile(gaps, 99)), 1),
                "mean_ms": round(float(gaps.mean()), 1)}

    print(json.dumps({"image": f"{args.side}x{args.side} uint16", "prepare_s": round(prepare_s, 3),
                      "heartbeat_idle": stats(idle), "heartbeat_drag": stats(drag), "slider_moves": moves,
                      "pictures_rendered": renders[0], "last_move_to_picture_s": round(settle_s, 3),
                      "shown_matches_last_move": contrast.shown == contrast.settings}))


if __name__ == "__main__":
    main()
