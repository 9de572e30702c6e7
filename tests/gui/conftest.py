from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from core.workspace import ensure_default_workspace
from gui.gc_guard import collect_in_gui_thread, restore_automatic_collection
from gui.main_window import MainWindow


@pytest.fixture(scope="session", autouse=True)
def gui_thread_garbage_collection(qapp):
    """As in the app (gui.app.main): cyclic garbage is collected in the GUI thread only. Without it, widgets of
    earlier tests collected by a training thread deadlocked the suite (see gui.gc_guard)."""
    collect_in_gui_thread()
    yield
    restore_automatic_collection()


@pytest.fixture
def workspace(tmp_path):
    return ensure_default_workspace(tmp_path / "workspace")


@pytest.fixture
def window(qtbot, tmp_path, workspace, monkeypatch):
    monkeypatch.setenv("SEGGAN_LOG_DIR", str(tmp_path / "logs"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(workspace, settings=settings, log_path=str(tmp_path / "logs" / "seggan-studio.log"),
                     load_tensorflow=False)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.bridge.shutdown(5000)


def make_image(path, height=60, width=80, seed=0):
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)
    return rgb


def wait_for_image(qtbot, window, expected: np.ndarray, timeout=5000):
    qtbot.waitUntil(lambda: window.scene.rgb is not None and window.scene.rgb.shape == expected.shape
                    and np.array_equal(window.scene.rgb, expected), timeout=timeout)


def hover(view, scene_point: QPointF) -> None:
    """Deliver a real mouse-move event to the view's viewport at a scene position (offscreen Qt does not
    synthesise hover moves from QTest.mouseMove)."""
    local = QPointF(view.mapFromScene(scene_point))
    event = QMouseEvent(QEvent.Type.MouseMove, local, QPointF(view.viewport().mapToGlobal(local.toPoint())),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), event)
