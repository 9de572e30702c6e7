"""The image canvas: a scene holding the image and its label overlay. Zoomable, pannable views of it are
``gui.image_view.ImageView``; several views (the Image and Segment panels) can show one scene, each with its
own zoom."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
)

from core.palette import label_colors
from gui.qt_image import outlined_labels_rgba, rgb_to_qimage
from gui.style import colour

OVERLAY_TILE = 512  # pixels per side of a label-overlay tile
PYRAMID_MIN_SIDE = 1024  # halve a large image for zoomed-out display until it is this small
TILES_PER_TURN = 8  # overlay tiles repainted per turn of the event loop (~2 ms each)
MIN_ZOOM = 1 / 64
MAX_ZOOM = 64.0


class ImageScene(QGraphicsScene):
    """The document: one image, an optional label overlay with per-label colours and an opacity."""

    image_changed = Signal()
    overlay_changed = Signal()
    # The label map (``labels``) is written by the Segment panel alone, whose session owns it; other views
    # read it and follow overlay_changed.
    opacity_changed = Signal(float)  # every opacity slider follows the one setting
    label_colors_changed = Signal()  # every list of labels and the object picture follow the colours

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackgroundBrush(colour("canvas_background"))
        # The image is drawn by each view's drawBackground from a pyramid of pixmaps, at the level that
        # view's zoom needs: redrawing a 12-megapixel pixmap scaled down on every overlay change would cost
        # ~100 ms a frame.
        self._levels: list[tuple[float, QPixmap]] = []  # (level pixels per image pixel, pixmap), finest first
        # The label overlay is a grid of tiles under one layer item (which carries opacity and visibility):
        # an edit rebuilds only the tiles it touches, so painting on a 12-megapixel map stays fast.
        self._overlay_item = QGraphicsRectItem()
        self._overlay_item.setPen(QPen(Qt.PenStyle.NoPen))
        self._overlay_item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self._overlay_item.setZValue(1)
        self._tiles: dict[tuple[int, int], QGraphicsPixmapItem] = {}
        self._stale_tiles: set[tuple[int, int]] = set()
        # The object being segmented (fill and contour) and the probability view: drawn at the segmenter's
        # work resolution and scaled up by the item, so very large images cost no more than small ones.
        self._object_item = QGraphicsPixmapItem()
        self._object_item.setZValue(2)
        self._object_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.addItem(self._overlay_item)
        self.addItem(self._object_item)
        self.rgb: np.ndarray | None = None
        self.labels: np.ndarray | None = None
        self.keep_view = False  # the last set_image was a frame of the same size: views keep zoom and pan
        self.colors = label_colors(256).copy()
        self._opacity = 0.5

    # image -------------------------------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray | None, qimage=None, keep_view: bool = False) -> None:
        """Show ``rgb``; ``qimage`` is its QImage when a worker already built it (saves ~25 ms at 12 Mpx),
        or the list of :func:`pyramid_images` levels of the picture to show (a contrast-limited one).
        ``keep_view``: another frame of the same stack, so the views keep their zoom and pan when it has
        the previous image's size."""
        self.keep_view = bool(keep_view and rgb is not None and self.rgb is not None
                              and rgb.shape[:2] == self.rgb.shape[:2])
        self.rgb = rgb
        self.labels = None
        self._clear_tiles()
        self._object_item.setPixmap(QPixmap())
        if rgb is None:
            self._levels = []
            self.setSceneRect(QRectF())
        else:
            self._levels = _pyramid(qimage if qimage is not None else rgb_to_qimage(rgb))
            height, width = rgb.shape[:2]
            self.setSceneRect(QRectF(0, 0, width, height))
        self.image_changed.emit()
        self.overlay_changed.emit()

    def set_display(self, levels: list[tuple[float, QImage]]) -> None:
        """Show another picture of the same image (e.g. under new contrast limits): ``levels`` from
        :func:`pyramid_images`, or one reduced level (a quick preview, drawn scaled up). The overlay, the
        object being edited and the image's pixels stay."""
        if self.rgb is None or not levels:
            return
        self._levels = _pyramid(levels)
        self.invalidate(self.sceneRect(), QGraphicsScene.SceneLayer.BackgroundLayer)
        self.update()

    def draw_image(self, painter: QPainter, zoom: float) -> None:
        """Paint the image for a view at ``zoom`` from the coarsest pyramid level that is still sharp."""
        if not self._levels or self.rgb is None:
            return
        pixmap = self._levels[0][1]
        for scale, candidate in self._levels:
            if scale >= zoom:
                pixmap = candidate
        height, width = self.rgb.shape[:2]
        painter.drawPixmap(QRectF(0, 0, width, height), pixmap, QRectF(pixmap.rect()))

    def image_color(self, row: int, col: int) -> QColor:
        """The image's colour at a pixel as drawn at full resolution (after contrast limits, if any)."""
        if not self._levels:
            return QColor(0, 0, 0, 0)
        return self._levels[0][1].toImage().pixelColor(col, row)

    @property
    def image_size(self) -> tuple[int, int] | None:
        """(width, height) of the current image."""
        if self.rgb is None:
            return None
        return self.rgb.shape[1], self.rgb.shape[0]

    # overlay -----------------------------------------------------------------------------------------
    def set_labels(self, labels: np.ndarray | None) -> None:
        if labels is not None:
            if self.rgb is None or labels.shape != self.rgb.shape[:2]:
                raise ValueError("the overlay must have the image's size")
        self.labels = labels
        self._refresh_overlay()

    def _refresh_overlay(self) -> None:
        self._clear_tiles()
        if self.labels is not None:
            height, width = self.labels.shape
            for top in range(0, height, OVERLAY_TILE):
                for left in range(0, width, OVERLAY_TILE):
                    item = QGraphicsPixmapItem(self._overlay_item)
                    item.setPos(left, top)
                    self._tiles[(top, left)] = item
                    self._paint_tile(top, left)
        self._overlay_item.setOpacity(self._opacity)
        self.overlay_changed.emit()

    def _clear_tiles(self) -> None:
        self._stale_tiles.clear()
        for item in self._tiles.values():
            item.setParentItem(None)
            self.removeItem(item)
        self._tiles.clear()

    def _paint_tile(self, top: int, left: int) -> None:
        height, width = self.labels.shape
        bottom, right = min(top + OVERLAY_TILE, height), min(left + OVERLAY_TILE, width)
        # one pixel of context on each side, so outlines continue across tile borders
        t0, l0 = max(top - 1, 0), max(left - 1, 0)
        context = self.labels[t0 : min(bottom + 1, height), l0 : min(right + 1, width)]
        rgba = outlined_labels_rgba(context, self.colors)[top - t0 : top - t0 + bottom - top,
                                                           left - l0 : left - l0 + right - left]
        self._tiles[(top, left)].setPixmap(QPixmap.fromImage(rgb_to_qimage(rgba)))

    def overlay_color(self, row: int, col: int) -> QColor:
        """The overlay's colour (with alpha) at an image pixel, as drawn."""
        top, left = row - row % OVERLAY_TILE, col - col % OVERLAY_TILE
        item = self._tiles.get((top, left))
        if item is None:
            return QColor(0, 0, 0, 0)
        return item.pixmap().toImage().pixelColor(col - left, row - top)

    def update_labels_region(self, top: int, left: int, bottom: int, right: int) -> None:
        """Repaint only rows top:bottom, columns left:right of the overlay after ``self.labels`` changed there
        (a brush dab on a 12-megapixel map must not rebuild the whole pixmap)."""
        if self.labels is None or bottom <= top or right <= left:
            return
        if not self._tiles:
            self._refresh_overlay()
            return
        for tile_top in range(top - top % OVERLAY_TILE, bottom, OVERLAY_TILE):
            for tile_left in range(left - left % OVERLAY_TILE, right, OVERLAY_TILE):
                self._stale_tiles.add((tile_top, tile_left))
        self._repaint_stale_tiles()

    def _repaint_stale_tiles(self) -> None:
        """Repaint a few stale tiles now and the rest on the next turns of the event loop, so an edit that
        covers the whole of a huge image (a fill) never stalls the window for long."""
        for key in sorted(self._stale_tiles)[:TILES_PER_TURN]:
            self._stale_tiles.discard(key)
            if key in self._tiles:
                self._paint_tile(*key)
        if self._stale_tiles:
            QTimer.singleShot(0, self._repaint_stale_tiles)
        self.overlay_changed.emit()

    def overlay_pending(self) -> bool:
        return bool(self._stale_tiles)

    def set_object_overlay(self, rgba: np.ndarray | None, scale: float = 1.0) -> None:
        """Show an RGBA picture over the image (the current object or its probabilities); ``scale`` maps
        its pixels to image pixels."""
        if rgba is None:
            self._object_item.setPixmap(QPixmap())
            return
        self._object_item.setPixmap(QPixmap.fromImage(rgb_to_qimage(rgba)))
        self._object_item.setScale(scale)
        self._object_item.setOpacity(max(self._opacity, 0.35))

    def object_overlay_item(self) -> QGraphicsPixmapItem:
        return self._object_item

    @property
    def overlay_opacity(self) -> float:
        return self._opacity

    def set_overlay_opacity(self, opacity: float) -> None:
        opacity = float(min(1.0, max(0.0, opacity)))
        changed = opacity != self._opacity
        self._opacity = opacity
        self._overlay_item.setOpacity(self._opacity)
        self._object_item.setOpacity(max(self._opacity, 0.35))
        if changed:
            self.opacity_changed.emit(opacity)

    def set_overlay_visible(self, visible: bool) -> None:
        self._overlay_item.setVisible(visible)

    @property
    def overlay_visible(self) -> bool:
        return self._overlay_item.isVisible()

    def set_label_color(self, label: int, color: QColor) -> None:
        if not 1 <= label <= 255:
            raise ValueError("label colours are for labels 1..255")
        self.colors[label] = (color.red(), color.green(), color.blue())
        self._refresh_overlay()
        self.label_colors_changed.emit()

    def label_color(self, label: int) -> QColor:
        r, g, b = self.colors[label]
        return QColor(int(r), int(g), int(b))

    # pixels ------------------------------------------------------------------------------------------
    def pixel_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(row, col) under a scene position, or None outside the image."""
        if self.rgb is None:
            return None
        col, row = int(np.floor(scene_pos.x())), int(np.floor(scene_pos.y()))
        height, width = self.rgb.shape[:2]
        if 0 <= row < height and 0 <= col < width:
            return row, col
        return None

    def overlay_layer(self) -> QGraphicsItem:
        """The item that holds the overlay tiles (its opacity and visibility are the overlay's)."""
        return self._overlay_item


def pyramid_images(image: QImage) -> list[tuple[float, QImage]]:
    """The image and halvings of it down to at most PYRAMID_MIN_SIDE pixels a side (finest first). QImages
    only, so a worker thread can build them."""
    levels = [(1.0, image)]
    current = image
    while max(current.width(), current.height()) > PYRAMID_MIN_SIDE:
        current = current.scaled(max(1, current.width() // 2), max(1, current.height() // 2),
                                 Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
        levels.append((current.width() / image.width(), current))
    return levels


def _pyramid(image: QImage | list) -> list[tuple[float, QPixmap]]:
    levels = image if isinstance(image, list) else pyramid_images(image)
    return [(scale, QPixmap.fromImage(level)) for scale, level in levels]
