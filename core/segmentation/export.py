"""Export a segmentation for other tools: one binary PNG per object and the overlay picture."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

from core.atomic import atomic_save
from core.segmentation.render import overlay_image


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "object"


def export_segmentation(folder: str | Path, stem: str, rgb: np.ndarray, labels: np.ndarray, names: dict,
                        colors: np.ndarray, opacity: float = 0.5) -> list[Path]:
    """Write ``STEM_LABEL_NAME.png`` (0 / 255, L) for each object present and ``STEM_overlay.png``;
    returns the paths written. Each file is written atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for value in sorted(int(v) for v in np.unique(labels) if v):
        mask = Image.fromarray(np.where(labels == value, 255, 0).astype(np.uint8), mode="L")
        path = folder / f"{stem}_{value:03d}_{_safe(str(names.get(value, f'object {value}')))}.png"
        atomic_save(path, lambda handle, m=mask: m.save(handle, format="PNG"))
        written.append(path)
    overlay = Image.fromarray(overlay_image(rgb, labels, colors, opacity))
    path = folder / f"{stem}_overlay.png"
    atomic_save(path, lambda handle: overlay.save(handle, format="PNG"))
    written.append(path)
    return written
