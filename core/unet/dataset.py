"""Training data for segmentation: find image/mask pairs, read them through the app's one image and mask
contract, and report every problem (missing masks, size mismatches, unexpected values, unreadable files):
problem pairs are skipped and listed, never a crash. The masks are read as one dataset: surveyed first, their
encoding and classes decided once (``core.masks``), then every mask read with that decision.

Three layouts: a workspace (``images/`` + ``masks/<stem>.png``), two folders matched by file stem, and one
folder where ``NAME_mask.png`` is the mask of ``NAME.<ext>``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.imageio import IMAGE_SUFFIXES, ImageLoadError, list_images, load_image
from core.maskio import MaskLoadError, read_mask
from core.masks.classes import MaskDecision, MaskOverride
from core.masks.reading import read_labels
from core.masks.survey import MaskSurvey, survey_masks

MASK_SUFFIX = "_mask"


@dataclass(frozen=True)
class Pair:
    stem: str
    image: Path
    mask: Path


@dataclass(frozen=True)
class Problem:
    path: str
    kind: str  # missing_mask, orphan_mask, duplicate, unreadable_image, unreadable_mask, size_mismatch,
    #            unexpected_values, contradicts_dataset, note
    message: str

    @property
    def skipped(self) -> bool:
        return self.kind not in ("orphan_mask", "note")

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class PairScan:
    """What a folder layout holds: matched pairs and problems found by names alone (nothing decoded yet)."""

    source: dict  # {"kind": "workspace"|"folders"|"mask_suffix", ...paths}; saved in the run's config
    pairs: list[Pair] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def describe(self) -> str:
        kind = self.source.get("kind")
        if kind == "folders":
            return f"images {self.source['images']}, masks {self.source['masks']}"
        if kind == "mask_suffix":
            return f"{self.source['folder']} (NAME{MASK_SUFFIX}.png masks)"
        return f"workspace {self.source.get('root')}"


@dataclass
class SegmentationData:
    """Decoded pairs, ready for the input pipeline."""

    stems: list[str]
    images: list[np.ndarray]  # HxWx3 uint8
    labels: list[np.ndarray]  # HxW uint8 class indices
    num_classes: int
    problems: list[Problem]
    class_pixels: np.ndarray  # pixels per class over all labels
    masks: MaskSurvey | None = None  # how the masks were read (the decision, snapped and contradicting files)

    @property
    def class_names(self) -> dict:
        return dict(self.masks.decision.names) if self.masks is not None and self.masks.decision else {}

    def __len__(self) -> int:
        return len(self.stems)

    def subset(self, indices) -> SegmentationData:
        indices = list(indices)
        return SegmentationData([self.stems[i] for i in indices], [self.images[i] for i in indices],
                                [self.labels[i] for i in indices], self.num_classes, self.problems,
                                _count(self.labels, indices, self.num_classes), self.masks)


def _count(labels, indices, num_classes) -> np.ndarray:
    counts = np.zeros(max(num_classes, 256), np.int64)
    for i in indices:
        counts += np.bincount(labels[i].ravel(), minlength=counts.size)[:counts.size]
    return counts[:num_classes]


def _images_by_stem(folder: Path, problems: list[Problem], exclude: Callable[[Path], bool] = lambda p: False):
    found: dict[str, Path] = {}
    for path in list_images(folder):
        if exclude(path):
            continue
        if path.stem in found:
            problems.append(Problem(str(path), "duplicate",
                                    f"another image has the same name stem ({found[path.stem].name}); skipped"))
            continue
        found[path.stem] = path
    return found


def scan_folders(images_dir: str | os.PathLike, masks_dir: str | os.PathLike) -> PairScan:
    """Images in ``images_dir`` paired with masks in ``masks_dir`` of the same stem (any image extension)."""
    images_dir, masks_dir = Path(images_dir), Path(masks_dir)
    scan = PairScan({"kind": "folders", "images": str(images_dir), "masks": str(masks_dir)})
    for folder, what in ((images_dir, "images"), (masks_dir, "masks")):
        if not folder.is_dir():
            raise FileNotFoundError(f"{what} folder {folder} does not exist")
    images = _images_by_stem(images_dir, scan.problems)
    masks = _images_by_stem(masks_dir, scan.problems)
    _match(scan, images, masks)
    return scan


def scan_mask_suffix(folder: str | os.PathLike, suffix: str = MASK_SUFFIX) -> PairScan:
    """One folder where ``NAME<suffix>.png`` (or any image extension) is the mask of image ``NAME.*``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"folder {folder} does not exist")
    scan = PairScan({"kind": "mask_suffix", "folder": str(folder), "suffix": suffix})

    def is_mask(p: Path) -> bool:
        return p.stem.endswith(suffix)

    images = _images_by_stem(folder, scan.problems, exclude=is_mask)
    masks = {stem[: -len(suffix)]: path for stem, path in
             _images_by_stem(folder, scan.problems, exclude=lambda p: not is_mask(p)).items()}
    _match(scan, images, masks)
    return scan


def scan_workspace(workspace) -> PairScan:
    """A workspace's ``images/`` with their ``masks/<stem>.png``; images without masks are simply not
    annotated yet, so they are listed as notes rather than errors."""
    scan = PairScan({"kind": "workspace", "root": str(workspace.root)})
    images = _images_by_stem(workspace.images_dir, scan.problems)
    for stem, image in sorted(images.items()):
        mask = workspace.mask_path(image)
        if mask.is_file():
            scan.pairs.append(Pair(stem, image, mask))
        else:
            scan.problems.append(Problem(str(image), "missing_mask", "not annotated yet (no mask); skipped"))
    return scan


def scan_source(source: dict) -> PairScan:
    """Re-scan a source saved in a run's config (see PairScan.source)."""
    kind = source.get("kind")
    if kind == "folders":
        return scan_folders(source["images"], source["masks"])
    if kind == "mask_suffix":
        return scan_mask_suffix(source["folder"], source.get("suffix", MASK_SUFFIX))
    if kind == "workspace":
        from core.workspace import Workspace

        return scan_workspace(Workspace.open(source["root"], create=False))
    raise ValueError(f"unknown data source {source!r}")


def _match(scan: PairScan, images: dict[str, Path], masks: dict[str, Path]) -> None:
    for stem in sorted(images):
        if stem in masks:
            scan.pairs.append(Pair(stem, images[stem], masks[stem]))
        else:
            scan.problems.append(Problem(str(images[stem]), "missing_mask", "no mask with this name; skipped"))
    for stem in sorted(set(masks) - set(images)):
        scan.problems.append(Problem(str(masks[stem]), "orphan_mask", "mask without an image; ignored"))


def _failure(exc: BaseException) -> str:
    if isinstance(exc, ImageLoadError):
        return exc.reason
    if isinstance(exc, MemoryError):
        return "not enough memory to read this file"
    return f"could not be read ({type(exc).__name__}: {exc})"


def load_pair(pair: Pair, num_classes: int | None = None, decision: MaskDecision | None = None):
    """(rgb, labels, notes) or raises _PairError naming the file and what is wrong. With ``decision`` the mask
    is read the dataset's way; without, on its own (``read_mask``)."""
    try:
        image = load_image(pair.image)
    except Exception as exc:  # noqa: BLE001 - any failure of one file is that file's problem
        raise _PairError(Problem(str(pair.image), "unreadable_image", _failure(exc))) from None
    size = (image.meta.width, image.meta.height)
    notes: list[Problem] = []
    try:
        if decision is None:
            mask = read_mask(pair.mask, expected_size=size)
            labels = mask.labels
            notes = [Problem(str(pair.mask), "note", note) for note in mask.report.notes]
        else:
            labels, _ = read_labels(pair.mask, decision, expected_size=size)
    except MaskLoadError as exc:
        kind = "size_mismatch" if exc.kind == "size_mismatch" else "unreadable_mask"
        raise _PairError(Problem(str(pair.mask), kind, exc.reason)) from None
    except Exception as exc:  # noqa: BLE001
        raise _PairError(Problem(str(pair.mask), "unreadable_mask", _failure(exc))) from None
    if num_classes is not None and labels.max(initial=0) >= num_classes:
        bad = sorted(int(v) for v in np.unique(labels) if v >= num_classes)
        raise _PairError(Problem(str(pair.mask), "unexpected_values",
                                 f"label values {bad} but the model has {num_classes} classes "
                                 f"(0..{num_classes - 1}); skipped"))
    return image.rgb, labels, notes


class _PairError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def survey_pairs(scan: PairScan, token=None, emit=None, override: MaskOverride | None = None,
                 reporter=None) -> MaskSurvey:
    """Survey the masks of ``scan``'s pairs and decide how to read them (a job body when given ``emit``)."""
    return survey_masks([pair.mask for pair in scan.pairs], token, emit, override, reporter)


def mask_problem(survey: MaskSurvey | None, pair: Pair) -> Problem | None:
    """The survey's reason not to read ``pair`` (unreadable or contradicting mask), as a Problem."""
    found = survey.problem(pair.mask) if survey is not None else None
    return None if found is None else Problem(str(pair.mask), found[0], found[1])


def load_data(scan: PairScan, num_classes: int | None = None, token=None,
              progress: Callable[[int, int], None] | None = None, survey: MaskSurvey | None = None,
              override: MaskOverride | None = None) -> SegmentationData:
    """Decode every pair of ``scan``. Problem pairs are skipped and listed in ``problems``.

    The masks are surveyed first (unless ``survey`` is given) and read with one decision; ``num_classes``
    None takes the decision's (at least 2).
    """
    if survey is None:
        survey = survey_pairs(scan, token, override=override)
    stems, images, labels = [], [], []
    problems = list(scan.problems)
    for index, pair in enumerate(scan.pairs):
        if token is not None:
            token.check()
        skipped = mask_problem(survey, pair)
        if skipped is not None:
            problems.append(skipped)
        else:
            try:
                rgb, lab, notes = load_pair(pair, num_classes, survey.decision)
            except _PairError as exc:
                problems.append(exc.problem)
            else:
                stems.append(pair.stem)
                images.append(rgb)
                labels.append(lab)
                problems.extend(notes)
        if progress is not None:
            progress(index + 1, len(scan.pairs))
    decided = survey.decision.num_classes if survey.decision is not None else 2
    classes = int(num_classes) if num_classes is not None else max(2, decided)
    return SegmentationData(stems, images, labels, classes, problems,
                            _count(labels, range(len(labels)), classes), survey)


def split_indices(count: int, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """A fixed (seeded) train/validation split: at least one training pair; a validation pair when there
    are two or more pairs and ``val_fraction`` > 0."""
    if count == 0:
        return [], []
    order = np.random.default_rng(seed).permutation(count).tolist()
    n_val = int(round(count * val_fraction))
    if val_fraction > 0 and count >= 2:
        n_val = max(1, n_val)
    n_val = min(n_val, count - 1)
    return sorted(order[n_val:]), sorted(order[:n_val])


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES
