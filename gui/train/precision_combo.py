"""The setup dialogs' precision choice: auto (measured on this machine) or a forced precision."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

CHOICES = (("auto (fastest measured on this computer)", "auto"), ("float32", "float32"),
           ("mixed bfloat16", "bfloat16"), ("mixed float16", "float16"))
TOOLTIP = ("Mixed precision computes layers in 16 bits and keeps weights, optimizer state and losses in "
           "float32. Auto times a small training step both ways once on this computer and picks mixed "
           "bfloat16 only when it is clearly faster. Runs load and predict in any precision.")


def precision_combo(current: str = "auto") -> QComboBox:
    combo = QComboBox()
    for text, value in CHOICES:
        combo.addItem(text, value)
    values = [value for _, value in CHOICES]
    combo.setCurrentIndex(values.index(current) if current in values else 0)
    combo.setToolTip(TOOLTIP)
    return combo
