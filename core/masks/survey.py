"""The job that reads a mask folder as one dataset: survey every mask, decide once, say what was decided."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.imageio import ImageLoadError
from core.jobs import CancelToken, Emit, ProgressReporter
from core.masks.classes import FileVerdict, MaskDecision, MaskOverride
from core.masks.decision import decide
from core.masks.values import MaskFile, survey_file


@dataclass(frozen=True)
class MaskSurvey:
    """The decision for a set of masks, how each file reads under it, and the files that could not be read."""

    decision: MaskDecision | None  # None when no mask could be read
    verdicts: dict = field(default_factory=dict)  # path -> FileVerdict
    unreadable: dict = field(default_factory=dict)  # path -> (kind, reason)
    override: MaskOverride = field(default_factory=MaskOverride)

    def problem(self, path) -> tuple[str, str] | None:
        """(kind, reason) when ``path`` is not to be read under the decision."""
        path = str(path)
        if path in self.unreadable:
            return self.unreadable[path]
        verdict = self.verdicts.get(path)
        if verdict is not None and verdict.problem:
            return "contradicts_dataset", verdict.problem
        return None

    @property
    def snapped_files(self) -> list[FileVerdict]:
        return sorted((v for v in self.verdicts.values() if v.snapped and not v.problem),
                      key=lambda v: -v.snapped)

    @property
    def contradicting(self) -> list[FileVerdict]:
        return [v for v in self.verdicts.values() if v.problem]

    def headline(self) -> str:
        decision = self.decision
        if decision is None:
            return "no mask could be read"
        return f"{encoding_text(decision)}, {decision.num_classes} classes"

    def lines(self, limit: int = 8) -> list[str]:
        """The decision in words: encoding and why, classes with pixel shares, snapped and contradicting files."""
        decision = self.decision
        if decision is None:
            return ["no mask could be read"]
        given = " (as you set it)" if self.override.encoding != "auto" or self.override.classes is not None else ""
        lines = [f"masks read as {encoding_text(decision)}{given}: {decision.reason}; "
                 f"{len(self.verdicts)} masks surveyed"]
        total = sum(decision.class_pixels.values()) or 1
        for cls in decision.classes:
            values = ", ".join(decision.value_text(v) for v in cls.values[:3])
            if len(cls.values) > 3:
                values += f" (+{len(cls.values) - 3} more)"
            name = f" '{cls.name}'" if cls.name else ""
            share = 100 * decision.class_pixels.get(cls.id, 0) / total
            lines.append(f"  class {cls.id}{name}: {values}; {share:.2f}% of pixels")
        snapped = self.snapped_files
        if snapped:
            pixels = sum(v.snapped for v in snapped)
            shown = ", ".join(f"{Path(v.path).name} ({v.snapped:,})" for v in snapped[:limit])
            more = f", … {len(snapped) - limit} more" if len(snapped) > limit else ""
            lines.append(f"  {pixels:,} pixels in {len(snapped)} masks lay between classes (antialiasing or "
                         f"compression) and were snapped to the nearest class: {shown}{more}")
        else:
            lines.append("  no pixel needed snapping")
        for verdict in self.contradicting[:limit]:
            lines.append(f"  {Path(verdict.path).name}: {verdict.problem}")
        if len(self.contradicting) > limit:
            lines.append(f"  … {len(self.contradicting) - limit} more masks contradict the decision")
        return lines


def encoding_text(decision: MaskDecision) -> str:
    if decision.encoding == "binary":
        merged = any(abs(v - c.values[0]) > 64 for c in decision.classes for v in c.values)
        values = "/".join(decision.value_text(c.values[0]) for c in decision.classes)
        if merged or decision.space != "grey":  # background against everything else
            values = f"{decision.value_text(decision.classes[0].values[0])} / everything else"
        return f"binary ({values})"
    return {"indexed": "indexed classes (values are class ids)", "grey-levels": "grey levels (in order)",
            "palette": "palette indices", "colours": "colour-coded classes"}.get(decision.encoding,
                                                                                decision.encoding)


def survey_masks(paths: Sequence, token: CancelToken | None = None, emit: Emit | None = None,
                 override: MaskOverride | None = None, reporter: ProgressReporter | None = None) -> MaskSurvey:
    """Survey every mask (a job body: a Progress per file, cancellable), then decide (see decision.py).
    A file that cannot be read, whatever the reason, is listed in ``unreadable``; the rest decide."""
    override = override or MaskOverride()
    if reporter is None and emit is not None:
        reporter = ProgressReporter(emit, len(paths))
    files: list[MaskFile] = []
    unreadable: dict[str, tuple[str, str]] = {}
    for path in paths:
        if token is not None:
            token.check()
        try:
            files.append(survey_file(path))
        except ImageLoadError as exc:
            unreadable[str(path)] = ("unreadable_mask", exc.reason)
        except MemoryError:
            unreadable[str(path)] = ("unreadable_mask", "not enough memory to read this mask")
        except Exception as exc:  # noqa: BLE001 - one bad file must never stop the folder
            unreadable[str(path)] = ("unreadable_mask", f"could not be read ({type(exc).__name__}: {exc})")
        if reporter is not None:
            reporter.advance(1, message=f"surveying masks: {Path(path).name}")
    if not files:
        return MaskSurvey(None, {}, unreadable, override)
    decision, verdicts = decide(files, override)
    return MaskSurvey(decision, {v.path: v for v in verdicts}, unreadable, override)
