"""The Segment panel's object list: one row per object with its colour swatch and editable name; the
selection picks the object being edited (or several to merge). A mixin of ``SegmentPanel``, whose session,
scene and ``label_list`` it reads."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QColorDialog, QListWidgetItem


class ObjectListMixin:
    def _choose_color(self) -> None:
        color = QColorDialog.getColor(self.scene.label_color(self.current_label), self, "Object colour")
        if color.isValid():
            self.scene.set_label_color(self.current_label, color)  # followed by _on_label_colors

    def _on_label_colors(self) -> None:
        """A label's colour changed (here or in the Image panel): the list and the object picture follow."""
        self._refresh_labels()
        self._push_style()

    def _refresh_labels(self) -> None:
        self.label_list.blockSignals(True)
        self.label_list.clear()
        entries = dict(self.label_map.names) if self.label_map else {}
        if self.label_map is not None and self.current_label not in entries:
            entries[self.current_label] = f"object {self.current_label} (new)"
        for label in sorted(entries):
            item = QListWidgetItem(self._swatch(label), entries[label])
            item.setData(Qt.ItemDataRole.UserRole, label)
            if self.label_map is not None and label in self.label_map.names:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.label_list.addItem(item)
            if label == self.current_label:
                item.setSelected(True)
                self.label_list.setCurrentItem(item)
        self.label_list.blockSignals(False)

    def _swatch(self, label: int) -> QIcon:
        pixmap = QPixmap(14, 14)
        pixmap.fill(self.scene.label_color(label))
        return QIcon(pixmap)

    def selected_labels(self) -> list[int]:
        """The objects selected in the list (the current one first), existing objects only."""
        if self.label_map is None:
            return []
        chosen = [int(item.data(Qt.ItemDataRole.UserRole)) for item in self.label_list.selectedItems()]
        chosen = sorted(set(chosen), key=lambda label: (label != self.current_label, label))
        return [label for label in chosen if label in self.label_map.names]

    def _on_label_selected(self) -> None:
        items = self.label_list.selectedItems()
        if items:
            label = int(items[0].data(Qt.ItemDataRole.UserRole))
            if label != self.current_label:
                self.select_label(label)

    def _on_label_renamed(self, item: QListWidgetItem) -> None:
        self.session.rename(int(item.data(Qt.ItemDataRole.UserRole)), item.text())
