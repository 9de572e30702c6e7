"""A banner for panels whose features arrive with a later issue: says so plainly instead of faking data."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def pending_banner(text: str) -> QLabel:
    banner = QLabel(text)
    banner.setObjectName("pendingBanner")
    banner.setWordWrap(True)
    banner.setStyleSheet("QLabel#pendingBanner { background: #fff4ce; color: #5c4400; border: 1px solid #e0c060;"
                         " border-radius: 4px; padding: 6px; }")
    return banner
