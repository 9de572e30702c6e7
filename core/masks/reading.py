"""Reading one mask file with a dataset's decision: class ids in a uint8 label map, strip by strip."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.masks.classes import MaskDecision
from core.masks.values import COLOUR, GREY, PALETTE, MaskLoadError, MaskSource, pack


def _lookup_table(source: MaskSource, decision: MaskDecision, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, exact) for every possible stored value 0..size-1 of an 8- or 16-bit plane."""
    stored = np.arange(size, dtype=np.int64)
    if decision.space == COLOUR:
        stored = pack(source.palette[stored]).astype(np.int64) if source.space == PALETTE else stored * 0x010101
    return decision.ids_of(stored)


def read_labels(path: str | Path, decision: MaskDecision,
                expected_size: tuple[int, int] | None = None) -> tuple[np.ndarray, int]:
    """(labels HxW uint8, snapped pixels). Raises MaskLoadError (unreadable, wrong size, or a colour mask
    where the dataset is read by grey level or index)."""
    with MaskSource(path) as source:
        width, height = source.size
        if expected_size is not None and tuple(expected_size) != (width, height):
            ew, eh = expected_size
            raise MaskLoadError(path, f"mask is {width}x{height} but its image is {ew}x{eh}", "size_mismatch")
        if source.space == COLOUR and decision.space != COLOUR:
            return _grey_colour_file(source, decision)
        if source.space == GREY and decision.space == PALETTE:
            raise MaskLoadError(path, "not a palette PNG (the dataset is read by palette index)", "not_label_map")
        labels = np.empty((height, width), np.uint8)
        snapped = 0
        table = None
        for top, bottom, plane in source.strips():
            if plane.dtype in (np.uint8, np.uint16):
                if table is None:
                    table = _lookup_table(source, decision, 256 if plane.dtype == np.uint8 else 65536)
                ids, exact = table[0][plane], table[1][plane]
            elif source.colours is not None:  # few colours, counted by Pillow: index them
                if table is None:
                    table = decision.ids_of(source.colours)
                codes = np.searchsorted(source.colours, plane)
                ids, exact = table[0][codes], table[1][codes]
            else:
                values = plane.astype(np.int64)
                if decision.space == COLOUR and source.space == GREY:
                    values = values * 0x010101
                uniq, inverse = np.unique(values.ravel(), return_inverse=True)
                uniq_ids, uniq_exact = decision.ids_of(uniq)
                ids = uniq_ids[inverse].reshape(plane.shape)
                exact = uniq_exact[inverse].reshape(plane.shape)
            labels[top:bottom] = ids
            snapped += int(exact.size - np.count_nonzero(exact))
    return labels, snapped


def _grey_colour_file(source: MaskSource, decision: MaskDecision) -> tuple[np.ndarray, int]:
    """An RGB file whose pixels are all grey, in a dataset read by grey level; anything else is refused."""
    width, height = source.size
    labels = np.empty((height, width), np.uint8)
    snapped = 0
    for top, bottom, plane in source.strips():
        red, green, blue = (plane >> 16) & 255, (plane >> 8) & 255, plane & 255
        if decision.space != GREY or not (np.array_equal(red, green) and np.array_equal(green, blue)):
            raise MaskLoadError(source.path, "a colour mask where the dataset is read by "
                                + ("index" if decision.space == PALETTE else "grey level"), "not_label_map")
        uniq, inverse = np.unique(blue.ravel(), return_inverse=True)
        ids, exact = decision.ids_of(uniq.astype(np.int64))
        labels[top:bottom] = ids[inverse].reshape(plane.shape)
        snapped += int(np.count_nonzero(~exact[inverse]))
    return labels, snapped
