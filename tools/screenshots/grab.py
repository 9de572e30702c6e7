"""Waiting for the event loop, grabbing a window from the X screen, and a real mouse move: what every scene
script needs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(predicate, seconds: float) -> bool:
    deadline = seconds * 10
    while not predicate() and deadline:
        wait(100)
        deadline -= 1
    return predicate()


def grab(window, path: Path) -> None:
    QApplication.processEvents()
    screen = window.screen()
    geometry = window.frameGeometry()
    pixmap = screen.grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    if pixmap.isNull():  # platforms that cannot grab the screen: render the widget tree instead
        pixmap = window.grab()
    pixmap.save(str(path))
    print(path)


def hover(view, row: float, col: float) -> None:
    """A real mouse move over an image pixel (the status bar's readout)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    local = QPointF(view.mapFromScene(QPointF(col + 0.5, row + 0.5)))
    event = QMouseEvent(QEvent.Type.MouseMove, local, QPointF(view.viewport().mapToGlobal(local.toPoint())),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), event)


def interior_point(mask):
    import numpy as np
    from scipy.ndimage import distance_transform_edt

    dist = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    return np.unravel_index(int(np.argmax(dist)), dist.shape)
