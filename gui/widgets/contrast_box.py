"""The contrast controls of a high-depth or float image: limits (a range slider and exact min and max fields),
gamma, Auto and Min–max, and a channel selector for multichannel images. Bound to a scene's
:class:`gui.scene_contrast.SceneContrast`, so the Image and Segment panels' boxes always agree. Hidden while
the scene shows an ordinary 8-bit picture."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)
from superqt import QRangeSlider

from gui.scene_contrast import SceneContrast

SLIDER_STEPS = 10_000  # the slider moves in steps of 1/10000 of the data range; the fields take any value


def field_decimals(span: float, integers: bool) -> int:
    """Decimals that resolve about a ten-thousandth of the range (none for integer data)."""
    if integers or span <= 0:
        return 0 if integers else 2
    return int(min(10, max(0, 4 - math.floor(math.log10(span)))))


def _field(tip: str) -> QDoubleSpinBox:
    field = QDoubleSpinBox()
    field.setRange(-1e300, 1e300)
    field.setKeyboardTracking(False)  # a value is taken on Enter or when the field loses focus
    field.setToolTip(tip)
    return field


class ContrastBox(QGroupBox):
    def __init__(self, contrast: SceneContrast, parent=None):
        super().__init__("Contrast", parent)
        self.contrast = contrast
        self._updating = False
        self._channels = 0
        layout = QVBoxLayout(self)
        channel_row = QHBoxLayout()
        self.channel_label = QLabel("Channel")
        self.channel_combo = QComboBox()
        self.channel_combo.setToolTip("The channel whose limits the slider sets")
        self.channel_combo.currentIndexChanged.connect(self._on_channel)
        self.solo_check = QCheckBox("Only this")
        self.solo_check.setToolTip("Show the selected channel alone, in grey (off: all channels in colour)")
        self.solo_check.toggled.connect(self._on_solo)
        channel_row.addWidget(self.channel_label)
        channel_row.addWidget(self.channel_combo, 1)
        channel_row.addWidget(self.solo_check)
        layout.addLayout(channel_row)
        # superqt's labelled double slider overflows (Qt's int positions) on 32-bit and float ranges; this
        # one moves in fractions of the data range and the fields hold the exact values.
        self.slider = QRangeSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip("Contrast limits: the stored value shown black and the one shown full colour. "
                               "The stored values are not changed.")
        self.slider.valueChanged.connect(self._on_slider)
        layout.addWidget(self.slider)
        fields = QHBoxLayout()
        self.low_field = _field("Stored value shown black")
        self.high_field = _field("Stored value shown full colour")
        self.low_field.valueChanged.connect(self._on_fields)
        self.high_field.valueChanged.connect(self._on_fields)
        fields.addWidget(QLabel("Min"))
        fields.addWidget(self.low_field, 1)
        fields.addWidget(QLabel("Max"))
        fields.addWidget(self.high_field, 1)
        layout.addLayout(fields)
        self._extent = (0.0, 1.0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Gamma"))
        self.gamma_spin = QDoubleSpinBox()
        self.gamma_spin.setRange(0.1, 5.0)
        self.gamma_spin.setSingleStep(0.1)
        self.gamma_spin.setValue(1.0)
        self.gamma_spin.valueChanged.connect(self._on_gamma)
        row.addWidget(self.gamma_spin)
        self.auto_button = QPushButton("Auto")
        self.auto_button.setToolTip("Limits at the 0.5 and 99.5 percentiles of each channel: outliers "
                                    "(hot or dead pixels) do not wash the picture out")
        self.auto_button.clicked.connect(contrast.auto)
        self.full_button = QPushButton("Min–max")
        self.full_button.setToolTip("Limits at each channel's smallest and largest stored value")
        self.full_button.clicked.connect(contrast.full_range)
        row.addWidget(self.auto_button)
        row.addWidget(self.full_button)
        layout.addLayout(row)
        contrast.changed.connect(self.refresh)
        self.refresh()

    @property
    def channel(self) -> int:
        return max(self.channel_combo.currentIndex(), 0)

    def refresh(self) -> None:
        """Show the shared state: hidden without a high-depth image; else the selected channel's limits."""
        contrast = self.contrast
        self.setVisible(contrast.active)
        if not contrast.active:
            self._channels = 0
            return
        settings = contrast.settings
        self._updating = True
        try:
            if self._channels != settings.channels or self.channel_combo.count() != settings.channels:
                self._fill_channels(settings)
            channel = min(self.channel, settings.channels - 1)
            limits, data = settings.limits[channel], contrast.ranges[channel]
            low, high = min(data.low, limits.low), max(data.high, limits.high)
            if high <= low:
                high = low + 1
            integers = contrast.image.raw.dtype.kind in "uib"
            decimals = field_decimals(high - low, integers)
            for field, value in ((self.low_field, limits.low), (self.high_field, limits.high)):
                field.setDecimals(decimals)
                field.setSingleStep(max((high - low) / 100, 10.0 ** -decimals))
                field.setValue(value)
            self._extent = (low, high)
            positions = (self._position(limits.low), self._position(limits.high))
            if tuple(self.slider.value()) != positions:
                self.slider.setValue(positions)
            self.gamma_spin.setValue(limits.gamma)
            self.solo_check.setChecked(settings.solo is not None)
        finally:
            self._updating = False

    def _fill_channels(self, settings) -> None:
        self._channels = settings.channels
        self.channel_combo.clear()
        for index, color in enumerate(settings.colors):
            swatch = QPixmap(12, 12)
            swatch.fill(QColor(*color))
            self.channel_combo.addItem(QIcon(swatch), f"Channel {index + 1}")
        many = settings.channels > 1
        for widget in (self.channel_label, self.channel_combo, self.solo_check):
            widget.setVisible(many)
        if settings.solo is not None:
            self.channel_combo.setCurrentIndex(settings.solo)

    def _on_channel(self, _index: int) -> None:
        if self._updating:
            return
        if self.solo_check.isChecked():
            self.contrast.set_solo(self.channel)
        self.refresh()

    def _on_solo(self, checked: bool) -> None:
        if not self._updating:
            self.contrast.set_solo(self.channel if checked else None)

    def _position(self, value: float) -> int:
        low, high = self._extent
        return int(round((value - low) / (high - low) * SLIDER_STEPS))

    def _value(self, position: int) -> float:
        low, high = self._extent
        value = low + position / SLIDER_STEPS * (high - low)
        return float(round(value)) if self.low_field.decimals() == 0 else value

    def _on_slider(self, positions) -> None:
        if not self._updating:
            self.contrast.set_limits(self.channel, *(self._value(p) for p in positions))

    def _on_fields(self, _value: float) -> None:
        if not self._updating:
            self.contrast.set_limits(self.channel, self.low_field.value(), self.high_field.value())

    def _on_gamma(self, gamma: float) -> None:
        if not self._updating and self.contrast.settings is not None:
            limits = self.contrast.settings.limits[self.channel]
            self.contrast.set_limits(self.channel, limits.low, limits.high, gamma)
