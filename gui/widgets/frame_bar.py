"""The frame/slice slider of a stack: one shared state (a core ``FrameNavigator`` with Qt signals) and a
bar that views it, placed in the Image panel and in the Segment panel. Both bars move together.

The bar is hidden unless the open image is a stack. Keys (while focus is in the bar's panel): PageDown or
"." next frame, PageUp or "," previous frame, Home / End first / last, as napari and most viewers do.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from core.segmentation.frame_navigation import FrameNavigator
from gui.widgets.layout import never_widens

NEXT_KEYS = ("PgDown", ".")
PREVIOUS_KEYS = ("PgUp", ",")
FIRST_KEYS = ("Home",)
LAST_KEYS = ("End",)


class FrameState(QObject):
    """The open stack's frames as the GUI sees them. ``decode_requested(index)``: decode that frame on a
    worker and report with ``navigator.decoded`` / ``navigator.failed``; ``changed``: redraw the bars.
    ``enabled`` False freezes navigation (a propagation is writing the frames' masks)."""

    changed = Signal()
    decode_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.navigator = FrameNavigator(decode=self.decode_requested.emit, on_changed=self.changed.emit)
        self.enabled = True
        self.stack = None  # the core.stacks.ImageStack open (None: a single image)
        # runs on the decoding worker before a frame's mask is read: the Segment panel flushes its autosave
        # there, so a frame left a moment ago comes back with its last edits
        self.before_mask: Callable[[], object] = lambda: None

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = bool(enabled)
        self.changed.emit()

    def go(self, index: int) -> None:
        if self.enabled:
            self.navigator.go(index)

    def step(self, delta: int) -> None:
        self.go(self.navigator.wanted + delta)


class FrameBar(QWidget):
    """◀ [slider] ▶  frame 3 / 30 · name. Shortcuts live on ``keys_on`` (the panel), active while focus
    is inside it, and only while a stack is open (so Home/End still move through the image list
    otherwise)."""

    def __init__(self, state: FrameState, keys_on: QWidget | None = None, parent=None):
        super().__init__(parent)
        self.state = state
        self.previous_button = QToolButton(text="◀")
        self.previous_button.setToolTip("Previous frame (PgUp or ,)")
        self.previous_button.clicked.connect(lambda: state.step(-1))
        self.next_button = QToolButton(text="▶")
        self.next_button.setToolTip("Next frame (PgDown or .)")
        self.next_button.clicked.connect(lambda: state.step(1))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Frame of the stack (Home / End: first / last)")
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self._on_slider)
        self.label = QLabel()
        self.label.setMinimumWidth(160)
        never_widens(self.label)  # frame names can be long file names
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.slider, 3)
        layout.addWidget(self.next_button)
        layout.addWidget(self.label, 2)
        self.shortcuts: list[QShortcut] = []
        owner = keys_on or self
        for keys, slot in ((NEXT_KEYS, lambda: state.step(1)), (PREVIOUS_KEYS, lambda: state.step(-1)),
                           (FIRST_KEYS, lambda: state.go(0)),
                           (LAST_KEYS, lambda: state.go(state.navigator.count - 1))):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), owner, activated=slot)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.shortcuts.append(shortcut)
        state.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        nav = self.state.navigator
        self.setVisible(nav.is_stack)
        for shortcut in self.shortcuts:
            shortcut.setEnabled(nav.is_stack and self.state.enabled)
        for widget in (self.slider, self.previous_button, self.next_button):
            widget.setEnabled(self.state.enabled)
        if not nav.is_stack:
            return
        self.slider.blockSignals(True)
        self.slider.setRange(0, nav.count - 1)
        self.slider.setValue(nav.wanted)
        self.slider.blockSignals(False)
        text = nav.describe()
        self.label.setText(text + ("  …" if nav.busy else ""))
        self.label.setToolTip(text)

    def _on_slider(self, value: int) -> None:
        self.state.go(value)
