"""The contrast of the image a scene shows: one state shared by every panel that shows the scene.

Holds the current high-depth image's display settings (core.display), remembers them per image for the
session, and re-renders the picture on a worker thread: while a render runs, newer settings wait and only
the latest is rendered next, so dragging a slider on a 4096² image never queues up work or blocks the GUI
thread. The image's stored values (``LoadedImage.raw``) are only read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from core.display.contrast import (
    ChannelLimits,
    DisplaySettings,
    auto_limits,
    auto_settings,
    range_limits,
)
from core.display.memory import DisplayMemory
from core.display.render import render
from core.imageio import LoadedImage
from core.jobs import Failed, Finished
from gui.canvas import PYRAMID_MIN_SIDE, ImageScene


@dataclass(frozen=True)
class PreparedDisplay:
    """What a worker prepares for showing a high-depth image: its settings, each channel's data range
    (the sliders' extent) and the picture's pyramid levels (QImages)."""

    settings: DisplaySettings
    ranges: tuple[ChannelLimits, ...]
    levels: list


PREVIEW_SIDE = 1024  # a preview is rendered from every k-th pixel, at most this many a side


def _rgb32_qimage(pixels: np.ndarray) -> QImage:
    """A QImage over ``pixels`` (HxWx4 uint8 in RGB32's byte order, B G R 255), no copy; the array is kept
    alive by the image's Python wrapper."""
    height, width = pixels.shape[:2]
    image = QImage(pixels.data, width, height, width * 4, QImage.Format.Format_RGB32)
    image._pixels = pixels  # Qt does not own the buffer
    return image


def _render_rgb32(raw: np.ndarray, settings: DisplaySettings, cancelled=None) -> np.ndarray | None:
    """The picture straight into RGB32's bytes (B, G, R, 255): Qt's own conversions hold the GIL for
    ~300 ms on 4096², which stalls the GUI thread; numpy works strip by strip and lets it run."""
    height, width = raw.shape[:2]
    pixels = np.empty((height, width, 4), np.uint8)
    pixels[..., 3] = 255
    return pixels if render(raw, settings, out=pixels[..., 2::-1], cancelled=cancelled) is not None else None


def _halve(pixels: np.ndarray) -> np.ndarray:
    """2x2 box average, strip by strip (what Qt's smooth scaling did, without holding the GIL)."""
    height, width = pixels.shape[0] // 2, pixels.shape[1] // 2
    out = np.empty((height, width, 4), np.uint8)
    rows = max(1, (1 << 19) // max(width, 1))
    for top in range(0, height, rows):
        block = pixels[2 * top: 2 * min(top + rows, height), : 2 * width].astype(np.uint16)
        total = block[0::2, 0::2] + block[1::2, 0::2] + block[0::2, 1::2] + block[1::2, 1::2] + 2
        out[top: top + total.shape[0]] = total >> 2
    return out


def render_levels(raw: np.ndarray, settings: DisplaySettings, token=None) -> list | None:
    """The picture and its halvings down to PYRAMID_MIN_SIDE (as :func:`gui.canvas.pyramid_images`), as
    RGB32 QImages the GUI thread only wraps; None when ``token`` is cancelled meanwhile."""
    cancelled = (lambda: token.cancelled) if token is not None else None
    pixels = _render_rgb32(raw, settings, cancelled)
    if pixels is None:
        return None
    levels = [(1.0, _rgb32_qimage(pixels))]
    while max(pixels.shape[:2]) > PYRAMID_MIN_SIDE and min(pixels.shape[:2]) >= 2:
        if cancelled is not None and cancelled():
            return None
        pixels = _halve(pixels)
        levels.append((pixels.shape[1] / raw.shape[1], _rgb32_qimage(pixels)))
    return levels


def preview_levels(raw: np.ndarray, settings: DisplaySettings) -> list:
    """One reduced picture (every k-th pixel): what a slider drag shows while the full picture renders."""
    step = max(1, -(-max(raw.shape[:2]) // PREVIEW_SIDE))
    pixels = _render_rgb32(raw[::step, ::step], settings)
    return [(pixels.shape[1] / raw.shape[1], _rgb32_qimage(pixels))]


def prepare_display(image: LoadedImage, remembered: DisplaySettings | None = None) -> PreparedDisplay | None:
    """Settings (``remembered`` when they fit the image, else automatic) and picture for a high-depth
    image; None for an ordinary 8-bit image, which is shown as loaded. Runs on a worker thread."""
    if image.raw is None:
        return None
    raw = image.raw
    fits = remembered is not None and remembered.channels == (1 if raw.ndim == 2 else raw.shape[2])
    settings = remembered if fits else auto_settings(raw, rgb=image.meta.rgb_channels)
    return PreparedDisplay(settings, range_limits(raw), render_levels(raw, settings))


class SceneContrast(QObject):
    changed = Signal()  # another image, or other settings: the contrast widgets refresh
    rendered = Signal()  # the picture on screen now follows ``settings``

    def __init__(self, scene: ImageScene, bridge=None):
        super().__init__(scene)
        self.scene = scene
        self.bridge = bridge
        self.memory = DisplayMemory()
        self.image: LoadedImage | None = None  # a high-depth image being shown, else None
        self.key = ""
        self.settings: DisplaySettings | None = None
        self.ranges: tuple[ChannelLimits, ...] = ()
        self.shown: DisplaySettings | None = None  # the settings of the picture on screen
        self._job = None  # the render running, if any
        self._job_full = False
        self._job_settings: DisplaySettings | None = None
        self._previewed: DisplaySettings | None = None
        scene.image_changed.connect(self._on_scene_image)

    @classmethod
    def of(cls, scene: ImageScene, bridge=None) -> SceneContrast:
        """The scene's contrast state, created on first use (so every panel of the scene shares it)."""
        contrast = getattr(scene, "_contrast_state", None)
        if contrast is None:
            contrast = cls(scene, bridge)
            scene._contrast_state = contrast
        elif contrast.bridge is None:
            contrast.bridge = bridge
        return contrast

    @property
    def active(self) -> bool:
        return self.image is not None

    def remembered(self, key: str) -> DisplaySettings | None:
        """The settings last used for the image ``key`` this session (read before loading it again)."""
        return self.memory.peek(key)

    # which image -----------------------------------------------------------------------------------------
    def adopt(self, image: LoadedImage | None, key: str, prepared: PreparedDisplay | None) -> None:
        """``image`` is now in the scene, shown with ``prepared`` (None: an 8-bit image, no contrast)."""
        if image is None or prepared is None:
            self._clear()
            return
        self.image, self.key = image, key
        self.settings = self.shown = self._previewed = prepared.settings
        self.ranges = prepared.ranges
        self.memory.remember(key, prepared.settings)
        self.changed.emit()

    def attach(self, image: LoadedImage | None, key: str) -> None:
        """Follow ``image`` if it is the one in the scene and not followed yet (a panel that got it without
        a prepared display): prepares it on a worker, then shows it."""
        if image is self.image:
            return
        if image is None or image.raw is None or self.scene.rgb is not image.rgb:
            if image is not None and image.raw is None:
                self._clear()
            return
        remembered = self.remembered(key)
        if self.bridge is None:
            self._attached(image, key, prepare_display(image, remembered))
            return
        self.bridge.start(lambda token, emit: prepare_display(image, remembered), "contrast", report_errors=False,
                          on_event=lambda event: isinstance(event, Finished) and event.result is not None
                          and self._attached(image, key, event.result))

    def _attached(self, image: LoadedImage, key: str, prepared: PreparedDisplay) -> None:
        if self.scene.rgb is image.rgb and image is not self.image:  # still the scene's image
            self.scene.set_display(prepared.levels)
            self.adopt(image, key, prepared)

    def _on_scene_image(self) -> None:
        if self.image is not None and self.scene.rgb is not self.image.rgb:
            self._clear()  # another picture replaced ours (or none): its contrast no longer applies

    def _clear(self) -> None:
        changed = self.image is not None
        self.image, self.key, self.settings, self.shown, self.ranges = None, "", None, None, ()
        if changed:
            self.changed.emit()

    # settings ---------------------------------------------------------------------------------------------
    def set_settings(self, settings: DisplaySettings) -> None:
        if self.image is None or settings == self.settings:
            return
        self.settings = settings
        self.memory.remember(self.key, settings)
        self.changed.emit()
        self._render_latest()

    def set_limits(self, channel: int, low: float, high: float, gamma: float | None = None) -> None:
        if self.settings is None:
            return
        gamma = self.settings.limits[channel].gamma if gamma is None else gamma
        self.set_settings(self.settings.with_limits(channel, ChannelLimits(float(low), float(high), gamma)))

    def set_solo(self, channel: int | None) -> None:
        if self.settings is not None:
            self.set_settings(self.settings.with_solo(channel))

    def auto(self) -> None:
        """Automatic limits for every channel (percentiles of a bounded subsample; gammas kept)."""
        if self.image is None:
            return
        limits = auto_limits(self.image.raw, joint=self.image.meta.rgb_channels)
        self._set_all(limits)

    def full_range(self) -> None:
        """Each channel's min..max (an RGB image's channels share one range)."""
        if self.image is None:
            return
        limits = self.ranges
        if self.image.meta.rgb_channels:
            shared = ChannelLimits(min(r.low for r in limits), max(r.high for r in limits))
            limits = (shared,) * len(limits)
        self._set_all(limits)

    def _set_all(self, limits) -> None:
        gammas = [lim.gamma for lim in self.settings.limits]
        settings = self.settings
        for index, (lim, gamma) in enumerate(zip(limits, gammas, strict=True)):
            settings = settings.with_limits(index, ChannelLimits(lim.low, lim.high, gamma))
        self.set_settings(settings)

    # rendering -------------------------------------------------------------------------------------------
    def _render_latest(self) -> None:
        """Render the latest settings: first a reduced preview (a few ms), then the full picture. A full
        render of settings that changed meanwhile is cancelled; at most one render runs at a time."""
        if self.image is None or self.settings == self.shown:
            return
        if self._job is not None:
            if self._job_full and self._job_settings != self.settings:
                self._job.cancel()  # its end calls back here with the latest settings
            return
        image, settings = self.image, self.settings
        if self.bridge is None:
            self._show(image, settings, render_levels(image.raw, settings), full=True)
            return
        small = max(image.raw.shape[:2]) <= 2 * PREVIEW_SIDE
        full = small or self._previewed == settings
        if full:
            job = lambda token, emit: render_levels(image.raw, settings, token)  # noqa: E731
        else:
            job = lambda token, emit: preview_levels(image.raw, settings)  # noqa: E731
        self._job_full, self._job_settings = full, settings
        self._job = self.bridge.start(job, "contrast", report_errors=False,
                                      on_event=lambda event: self._on_rendered(event, image, settings, full))

    def _on_rendered(self, event, image: LoadedImage, settings: DisplaySettings, full: bool) -> None:
        if not isinstance(event, Finished | Failed):  # progress events: only the end matters
            return
        self._job = None
        if isinstance(event, Finished) and event.result is not None:
            self._show(image, settings, event.result, full)
        self._render_latest()  # settings changed while this one rendered, or the full picture is next

    def _show(self, image: LoadedImage, settings: DisplaySettings, levels: list, full: bool) -> None:
        if image is not self.image:
            return
        self.scene.set_display(levels)
        self._previewed = settings
        if full:
            self.shown = settings
            self.rendered.emit()

    def shown_rgb(self, row: int, col: int) -> tuple[int, int, int] | None:
        """The colour a pixel is drawn in now (for the readout), computed from its stored values."""
        if self.image is None or self.shown is None:
            return None
        pixel = render(self.image.raw[row:row + 1, col:col + 1], self.shown)
        return tuple(int(v) for v in pixel[0, 0])
