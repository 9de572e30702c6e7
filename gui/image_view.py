"""A zoomable, pannable view of an ``ImageScene``: wheel zooms about the cursor, drag pans, double-click fits.
Several views can show one scene, each with its own zoom."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsView,
)

from gui.canvas import MAX_ZOOM, MIN_ZOOM, ImageScene
from gui.style import colour


class ImageView(QGraphicsView):
    """Wheel zooms about the cursor, drag pans (left in pan mode, middle always), double-click fits."""

    zoom_changed = Signal(float)
    hovered = Signal(object)  # (row, col) or None

    def __init__(self, scene: ImageScene, parent=None, pan_with_left: bool = True):
        super().__init__(scene, parent)
        self._scene = scene
        self._zoom = 1.0
        self._fit_mode = True
        self._pan_with_left = pan_with_left
        self._middle_pan: QPointF | None = None
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setMouseTracking(True)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag if pan_with_left else QGraphicsView.DragMode.NoDrag)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setMinimumSize(200, 150)
        self.empty_text = ""  # what to do next, drawn over the empty view while there is no image
        scene.image_changed.connect(self._on_image_changed)

    @property
    def zoom(self) -> float:
        return self._zoom

    def _apply_zoom(self, zoom: float) -> None:
        zoom = float(min(MAX_ZOOM, max(MIN_ZOOM, zoom)))
        factor = zoom / self._zoom
        if abs(factor - 1) > 1e-9:
            self.scale(factor, factor)
        self._zoom = zoom
        # Smooth when shrinking (less aliasing), crisp pixels when magnifying.
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, zoom < 1)
        self.zoom_changed.emit(zoom)

    def set_zoom(self, zoom: float) -> None:
        self._fit_mode = False
        self._apply_zoom(zoom)

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self._zoom * factor)

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def fit(self) -> None:
        self._fit_mode = True
        size = self._scene.image_size
        if not size:
            return
        width, height = size
        viewport = self.viewport().rect()
        if viewport.width() < 2 or viewport.height() < 2:
            return
        zoom = min(viewport.width() / width, viewport.height() / height) * 0.98
        self._apply_zoom(zoom)
        self.centerOn(width / 2, height / 2)

    def _on_image_changed(self) -> None:
        if not self._scene.keep_view:
            self.fit()
        self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt API
        super().drawBackground(painter, rect)
        self._scene.draw_image(painter, self._zoom)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt API
        super().drawForeground(painter, rect)
        if self._scene.rgb is not None or not self.empty_text:
            return
        painter.save()
        painter.resetTransform()  # viewport pixels: the hint stays put and readable at any zoom
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        painter.setFont(font)
        painter.setPen(colour("canvas_text"))
        area = self.viewport().rect().adjusted(48, 48, -48, -48)
        painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.empty_text)
        painter.restore()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        delta = event.angleDelta().y()
        if delta == 0:
            return
        self.zoom_by(1.0015 ** delta)  # 120 units (one notch) = x1.2
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._pan_with_left:
            self.fit()
        super().mouseDoubleClickEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.MiddleButton:
            self._middle_pan = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._middle_pan is not None:
            delta = event.position() - self._middle_pan
            self._middle_pan = event.position()
            self.pan_by(-delta.x(), -delta.y())
            event.accept()
            return
        self.hovered.emit(self._scene.pixel_at(self.mapToScene(event.position().toPoint())))
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.MiddleButton and self._middle_pan is not None:
            self._middle_pan = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.hovered.emit(None)
        super().leaveEvent(event)

    def pan_by(self, dx: float, dy: float) -> None:
        """Scroll the view by (dx, dy) viewport pixels."""
        self._fit_mode = False
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + int(round(dx)))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + int(round(dy)))

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()
