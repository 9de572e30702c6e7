"""A one-line label that never widens its window: text longer than the space it has is elided ("…") and
shown whole in the tooltip. A plain QLabel asks for the width of its whole text, so a long status line or
path made the main window grow (1400 -> 1431 px for one finished run's status)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent=None, mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight):
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self._own_tooltip = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        self._full = str(text or "")
        self._elide()

    def text(self) -> str:
        """The whole text, as set (what is drawn may be elided)."""
        return self._full

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt API
        self._own_tooltip = tip
        self._elide()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 4, super().sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, self._mode, max(0, self.contentsRect().width()))
        super().setText(shown)
        tip = self._own_tooltip or (self._full if shown != self._full else "")
        super().setToolTip(tip)
