"""The keyboard-shortcut sheet (Help > Keyboard Shortcuts, or ``?``).

SHORTCUTS is the one list of what the keys do; a test checks every key in it is bound in the window, so the
sheet cannot drift from the app.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

# (where, keys, what). Keys are QKeySequence strings in portable form; mouse gestures start with "Mouse:".
SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("Anywhere", "Ctrl+O", "Open images"),
    ("Anywhere", "Ctrl+Shift+O", "Open a folder of images"),
    ("Anywhere", "Ctrl+Q", "Quit"),
    ("Anywhere", "?", "This sheet of shortcuts"),
    ("Anywhere", "F1", "Getting started"),
    ("Anywhere", "Ctrl+0", "Fit the image to the view (Image and Segment panels)"),
    ("Anywhere", "Ctrl+1", "Actual pixels"),
    ("Anywhere", "Ctrl++", "Zoom in"),
    ("Anywhere", "Ctrl+-", "Zoom out"),
    ("Image panel", "Mouse: wheel", "Zoom about the cursor"),
    ("Image panel", "Mouse: drag", "Pan"),
    ("Image panel", "Mouse: double-click", "Fit"),
    ("Segment panel", "C", "Click tool"),
    ("Segment panel", "B", "Brush tool"),
    ("Segment panel", "E", "Eraser tool"),
    ("Segment panel", "F", "Fill tool"),
    ("Segment panel", "Mouse: left click", "Click tool: this is the object"),
    ("Segment panel", "Mouse: right click / Alt+click", "Click tool: this is background"),
    ("Segment panel", "Mouse: drag", "Click tool: a scribble; brush and eraser: paint"),
    ("Segment panel", "Mouse: middle drag / wheel", "Pan / zoom"),
    ("Segment panel", "Return", "Accept the object and start the next"),
    ("Segment panel", "Space", "Accept the object and start the next"),
    ("Segment panel", "Esc", "Clear the current object's clicks"),
    ("Segment panel", "Ctrl+Z", "Undo"),
    ("Segment panel", "Ctrl+Shift+Z", "Redo"),
    ("Segment panel", "Ctrl+Y", "Redo"),
    ("Segment panel", "Ctrl+S", "Save the mask now (it is also saved as you work)"),
    ("Segment panel", "[", "Smaller brush"),
    ("Segment panel", "]", "Larger brush"),
    ("Segment panel", "P", "Stacks: propagate the accepted objects to the next frame"),
    ("Segment panel", "Shift+P", "Stacks: propagate them up to the frame chosen"),
    ("Stacks (Image and Segment panels)", "PgDown", "Next frame (also .)"),
    ("Stacks (Image and Segment panels)", ".", "Next frame"),
    ("Stacks (Image and Segment panels)", "PgUp", "Previous frame (also ,)"),
    ("Stacks (Image and Segment panels)", ",", "Previous frame"),
    ("Stacks (Image and Segment panels)", "Home", "First frame"),
    ("Stacks (Image and Segment panels)", "End", "Last frame"),
)


def shortcuts_html() -> str:
    rows, section = [], None
    for where, keys, what in SHORTCUTS:
        if where != section:
            section = where
            rows.append(f"<tr><td colspan='2'><h3 style='margin:10px 0 2px 0'>{escape(where)}</h3></td></tr>")
        shown = keys.removeprefix("Mouse: ")
        style = "font-style:italic" if keys.startswith("Mouse: ") else "font-family:monospace;font-weight:bold"
        rows.append(f"<tr><td style='padding:2px 16px 2px 6px;{style}'>{escape(shown)}</td>"
                    f"<td style='padding:2px'>{escape(what)}</td></tr>")
    return "<table cellspacing='0'>" + "".join(rows) + "</table>"


class ShortcutsDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(520, 640)
        self.browser = QTextBrowser()
        self.browser.setHtml(shortcuts_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
