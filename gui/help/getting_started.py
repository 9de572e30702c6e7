"""Getting started (Help > Getting Started, F1; shown once on a first start): four short pages, one per
panel, each switching the window to that panel on the sample scene while it is read."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from gui.style import set_role

# (panel index in the main window's tabs, title, text)
PAGES: tuple[tuple[int, str, str], ...] = (
    (0, "Image: look at a picture",
     "This is the <b>sample scene</b> the app made for you, shown with its mask: four labelled objects "
     "(ball, box, ring, leaf).<br><br>Wheel to zoom, drag to pan, double-click to fit; the status bar reads "
     "the pixel under the mouse. Open your own pictures with <b>File ▸ Open Images…</b> (Ctrl+O) or "
     "<b>Open Folder…</b> (Ctrl+Shift+O), or drop them on the window."),
    (1, "Segment: click on objects",
     "The same image, ready for clicks. <b>Left-click inside an object</b>, right-click on the background to "
     "correct it; <b>Enter</b> accepts the object and starts the next one. Ctrl+Z undoes a click or an "
     "accepted object.<br><br>Brush (B), eraser (E) and fill (F) edit the label map directly. The mask is "
     "saved into the workspace's <i>masks/</i> folder as you work."),
    (2, "Train: teach a model",
     "<b>New run ▸ Engine check</b> trains a tiny model in under a minute: live curves, the sample grid at "
     "every saved step, pause, stop and the learning rate.<br><br><b>New run ▸ Segmentation model "
     "(U-Net)…</b> trains on the workspace's images and masks (the sample scene's mask already counts). "
     "Runs are folders under <i>runs/</i>; <b>Open run folder…</b> follows one started from the command "
     "line."),
    (3, "GAN: explore a generator",
     "<b>New run ▸ GAN…</b> in the Train panel trains an image generator (the procedural shapes need no "
     "data). Its run then opens here: click samples to pin A and B, slide between them, edit A along "
     "latent directions, export a PNG or an animated GIF."),
)


class GettingStartedDialog(QDialog):
    panel_requested = Signal(int)  # the main window shows this panel while its page is read

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Getting started")
        self.setModal(False)
        self.resize(460, 250)
        self.page = 0
        self.counter = QLabel()
        self.title = QLabel()
        set_role(self.title, "help-title")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.back_button = QPushButton("Back")
        self.back_button.clicked.connect(lambda: self.show_page(self.page - 1))
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self._next)
        buttons = QHBoxLayout()
        buttons.addWidget(self.counter, 1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)

    def start(self) -> None:
        self.show_page(0)
        self.show()
        self.raise_()

    def show_page(self, page: int) -> None:
        self.page = max(0, min(page, len(PAGES) - 1))
        panel, title, text = PAGES[self.page]
        self.counter.setText(f"{self.page + 1} of {len(PAGES)}")
        self.title.setText(title)
        self.text.setText(text)
        self.back_button.setEnabled(self.page > 0)
        self.next_button.setText("Done" if self.page == len(PAGES) - 1 else "Next")
        self.panel_requested.emit(panel)

    def _next(self) -> None:
        if self.page == len(PAGES) - 1:
            self.close()
        else:
            self.show_page(self.page + 1)
