"""Label-map (mask) files: read any common form into class indices, write visible palette PNGs atomically.

``read_mask`` reads one file the way a dataset is read (``core.masks``): survey its values, decide its
encoding (palette indices as stored; grey 0/255 or 0/1 binary -> 0/1; small grey integers as classes;
a few grey levels in order; colours: black 0, our palette's colours their index, others in order), snap
antialiasing and compression noise to the nearest class, and say what was done in the report. A folder of
masks is decided as a whole by ``core.masks.survey``, not file by file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from core.atomic import atomic_save
from core.masks.decision import decide
from core.masks.reading import read_labels
from core.masks.values import LABEL_NAMES_KEY, MaskLoadError, survey_file
from core.palette import flat_palette

MAX_CLASSES = 255
_LABEL_NAMES_KEY = LABEL_NAMES_KEY

__all__ = ["MAX_CLASSES", "LoadedMask", "MaskLoadError", "MaskReport", "read_mask", "write_mask"]


@dataclass(frozen=True)
class MaskReport:
    kind: str  # palette, binary, indexed, grey-levels, colours
    classes: tuple[int, ...]  # class indices present
    mapping: dict = field(default_factory=dict)  # source value/colour -> class, where values were remapped
    notes: tuple[str, ...] = ()  # anything unexpected (snapped pixels, ignored alpha, ...)
    names: dict = field(default_factory=dict)  # class -> name, when the file carries them


@dataclass(frozen=True)
class LoadedMask:
    labels: np.ndarray  # HxW uint8 class indices
    report: MaskReport


def read_mask(path: str | os.PathLike, expected_size: tuple[int, int] | None = None) -> LoadedMask:
    """Read a label map. ``expected_size`` is the image's (width, height); a different size is an error."""
    path = Path(path)
    surveyed = survey_file(path)
    if expected_size is not None and tuple(expected_size) != surveyed.size:
        (width, height), (ew, eh) = surveyed.size, expected_size
        raise MaskLoadError(path, f"mask is {width}x{height} but its image is {ew}x{eh}", "size_mismatch")
    try:
        decision, _ = decide([surveyed], compact=False)
    except ValueError as exc:
        raise MaskLoadError(path, f"not a label map: {exc}", "not_label_map") from None
    labels, snapped = read_labels(path, decision)
    notes = list(surveyed.notes)
    mapping = {decision.value_text(v) if decision.space == "colour" else v: c.id
               for c in decision.classes for v in c.values}
    remapped = any(str(k) != str(v) for k, v in mapping.items())
    if decision.encoding == "grey-levels":
        levels = ", ".join(str(c.values[0]) for c in decision.classes)
        notes.append(f"grey levels {levels} mapped to classes 0..{len(decision.classes) - 1}")
    elif decision.encoding == "colours" and any(
            c.id == 0 and c.values[0] != 0 or c.id > 0 and decision.value_text(c.values[0]) != _studio_colour(c.id)
            for c in decision.classes):
        notes.append("colours mapped to classes: " + ", ".join(
            f"{decision.value_text(c.values[0])} -> {c.id}" for c in decision.classes))
    if snapped:
        notes.append(f"{snapped} pixels with values between classes (antialiasing or compression?) snapped "
                     "to the nearest class")
    classes = tuple(int(c) for c in np.unique(labels).tolist())
    report = MaskReport(kind=decision.encoding, classes=classes, mapping=mapping if remapped else {},
                        notes=tuple(notes), names=dict(surveyed.names))
    return LoadedMask(labels=np.ascontiguousarray(labels), report=report)


def _studio_colour(label: int) -> str:
    from core.palette import color_of

    r, g, b = color_of(label)
    return f"#{r:02x}{g:02x}{b:02x}"


def write_mask(path: str | os.PathLike, labels: np.ndarray, names: dict[int, str] | None = None) -> Path:
    """Write ``labels`` (HxW ints 0..255) as a palette PNG with visible colours, atomically."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"a label map is 2-D, got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > MAX_CLASSES):
        raise ValueError(f"labels must be in 0..{MAX_CLASSES}, got {labels.min()}..{labels.max()}")
    # Build the P image from raw bytes so indices are exactly the label values (convert() may remap).
    height, width = labels.shape
    image = Image.frombytes("P", (width, height), np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    image.putpalette(flat_palette())
    info = PngInfo()
    if names:
        info.add_text(_LABEL_NAMES_KEY, json.dumps({str(int(k)): str(v) for k, v in names.items()}))
    path = Path(path)
    atomic_save(path, lambda handle: image.save(handle, format="PNG", pnginfo=info))
    return path
