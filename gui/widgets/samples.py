"""The sample timeline: the grid saved at any step, a slider that reaches every saved step, and play.

Grids are decoded on a worker thread; while the slider moves, only the latest request is shown.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QVBoxLayout, QWidget

from core.imageio import load_image
from core.jobs import Failed, Finished
from core.training.run_folder import RunFolder
from gui.qt_image import rgb_to_qimage
from gui.style import set_role
from gui.workers import WorkerBridge


class SampleView(QLabel):
    """Shows a pixmap scaled to fit, with crisp (nearest-neighbour) pixels when enlarged, and its text (what
    to expect there) while there is none. ``dark``: on a dark backdrop (small previews); else the picture sits
    on the pane's own background (a tall sample grid in a wide pane left a mostly empty dark area)."""

    def __init__(self, parent=None, dark: bool = True):
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._placeholder = ""
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumSize(200, 160)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        set_role(self, "sample-dark" if dark else "hint")  # resources/style.qss

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        """The text shown while there is no picture (QLabel drops its text when given a pixmap)."""
        self._placeholder = text
        if self._pixmap is None or self._pixmap.isNull():
            super().setText(text)

    def set_pixmap(self, pixmap: QPixmap | None) -> None:
        self._pixmap = pixmap
        self._rescale()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            if not self.pixmap().isNull():
                self.setPixmap(QPixmap())
            super().setText(self._placeholder)
            return
        size = self.size()
        scale = min(size.width() / self._pixmap.width(), size.height() / self._pixmap.height())
        mode = Qt.TransformationMode.FastTransformation if scale >= 1 else Qt.TransformationMode.SmoothTransformation
        self.setPixmap(self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode))


class SampleTimeline(QWidget):
    shown_step = Signal(int)  # the step whose grid is now on screen

    def __init__(self, bridge: WorkerBridge, parent=None):
        super().__init__(parent)
        self.bridge = bridge
        self.run: RunFolder | None = None
        self.steps: list[int] = []
        self.current_step: int | None = None
        self._request = 0
        self.view = SampleView(dark=False)
        self.view.setText("No run selected")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._on_slider)
        self.step_label = QLabel("—")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setEnabled(False)
        self.play_button.toggled.connect(self._on_play)
        self.latest_button = QPushButton("Latest")
        self.latest_button.setEnabled(False)
        self.latest_button.clicked.connect(lambda: self.slider.setValue(self.slider.maximum()))
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._advance)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.latest_button)
        controls.addWidget(self.step_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.slider)
        layout.addLayout(controls)

    def set_run(self, run_dir: str | Path | None) -> None:
        self.run = RunFolder(run_dir) if run_dir else None
        self.steps = []
        self.current_step = None
        self.play_button.setChecked(False)
        self.view.set_pixmap(None)
        self.view.setText("No sample grids saved yet" if run_dir else "No run selected")
        self._update_slider(follow=True)

    def set_steps(self, steps) -> None:
        """The run's saved steps changed; stay on the latest if the user was there."""
        at_end = self.slider.value() >= self.slider.maximum()
        self.steps = sorted(int(s) for s in steps)
        self._update_slider(follow=at_end or self.current_step is None)

    def _update_slider(self, follow: bool) -> None:
        count = len(self.steps)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        if follow and count:
            self.slider.setValue(count - 1)
        elif self.current_step in self.steps:
            self.slider.setValue(self.steps.index(self.current_step))
        self.slider.blockSignals(False)
        enabled = count > 0
        for widget in (self.slider, self.play_button, self.latest_button):
            widget.setEnabled(enabled)
        if count:
            self._on_slider(self.slider.value())
        else:
            self.step_label.setText("no sample grids saved yet")

    def _on_slider(self, index: int) -> None:
        if not self.steps or self.run is None:
            return
        index = max(0, min(index, len(self.steps) - 1))
        step = self.steps[index]
        self.step_label.setText(f"step {step}  ({index + 1} of {len(self.steps)})")
        if step == self.current_step:
            return
        self._request += 1
        request = self._request
        path = self.run.sample_path(step)
        self.bridge.start(lambda token, emit: load_image(path).rgb, f"sample {step}",
                          on_event=lambda event: self._on_loaded(request, step, event), report_errors=False)

    def _on_loaded(self, request: int, step: int, event) -> None:
        if request != self._request:
            return
        if isinstance(event, Finished) and event.result is not None:
            self.current_step = step
            self.view.set_pixmap(QPixmap.fromImage(rgb_to_qimage(event.result)))
            self.shown_step.emit(step)
        elif isinstance(event, Failed):
            self.view.set_pixmap(None)
            self.view.setText(f"step {step}: {event.error}")

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self._timer.start()
        else:
            self._timer.stop()

    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
            return
        self.slider.setValue(self.slider.value() + 1)
