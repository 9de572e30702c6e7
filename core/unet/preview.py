"""What the segmentation setup shows before training: how the masks will be read (surveyed and decided as a
dataset, in a worker), then every pair decoded once with that decision, summarised as a thumbnail with its
mask overlaid, its size and classes, plus the problems found. Only thumbnails are kept, so previewing a
large dataset does not hold its images in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from core.jobs import CancelToken, Emit, ProgressReporter
from core.masks.classes import MaskOverride
from core.masks.survey import MaskSurvey
from core.unet.dataset import PairScan, Problem, _PairError, load_pair, mask_problem, survey_pairs


@dataclass(frozen=True)
class PairPreview:
    stem: str
    image: str
    mask: str
    size: tuple[int, int]  # (width, height)
    classes: tuple[int, ...]
    thumbnail: np.ndarray  # small HxWx3 uint8: the image with its mask overlaid


@dataclass
class DatasetPreview:
    scan: PairScan
    pairs: list[PairPreview] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    num_classes: int = 2
    class_pixels: dict = field(default_factory=dict)  # class -> pixel count over usable pairs
    masks: MaskSurvey | None = None  # the masks' decision (encoding, classes, snapped and contradicting files)

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.skipped]

    def summary(self) -> str:
        total = sum(self.class_pixels.values()) or 1
        shares = ", ".join(f"{c}: {100 * n / total:.0f}%" for c, n in sorted(self.class_pixels.items()))
        text = f"{len(self.pairs)} usable pairs · {self.num_classes} classes"
        if shares:
            text += f" ({shares})"
        if self.skipped:
            text += f" · {len(self.skipped)} skipped"
        return text


def thumbnail_with_mask(rgb: np.ndarray, labels: np.ndarray, side: int = 96) -> np.ndarray:
    from core.unet.inference import overlay_image

    picture = Image.fromarray(overlay_image(rgb, labels, opacity=0.5))
    picture.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.asarray(picture)


def preview_dataset(scan: PairScan, token: CancelToken, emit: Emit, num_classes: int | None = None,
                    side: int = 96, override: MaskOverride | None = None) -> DatasetPreview:
    """Survey the masks and decide how to read them, then decode and check every pair of ``scan`` with that
    decision (a job body: Progress per mask and per pair, cancellable)."""
    preview = DatasetPreview(scan, problems=list(scan.problems))
    reporter = ProgressReporter(emit, 2 * len(scan.pairs))
    preview.masks = survey = survey_pairs(scan, token, override=override, reporter=reporter)
    counts: dict[int, int] = {}
    for pair in scan.pairs:
        token.check()
        skipped = mask_problem(survey, pair)
        try:
            if skipped is not None:
                raise _PairError(skipped)
            rgb, labels, notes = load_pair(pair, num_classes, survey.decision)
        except _PairError as exc:
            preview.problems.append(exc.problem)
        else:
            preview.problems.extend(notes)
            values, pixels = np.unique(labels, return_counts=True)
            for v, n in zip(values.tolist(), pixels.tolist(), strict=True):
                counts[v] = counts.get(v, 0) + n
            preview.pairs.append(PairPreview(pair.stem, str(pair.image), str(pair.mask),
                                             (labels.shape[1], labels.shape[0]), tuple(values.tolist()),
                                             thumbnail_with_mask(rgb, labels, side)))
        reporter.advance(1, message=f"reading pairs: {pair.stem}")
    decided = survey.decision.num_classes if survey.decision is not None else 2
    preview.num_classes = int(num_classes) if num_classes is not None else max(2, decided)
    preview.class_pixels = counts
    return preview
