"""What a mask decision is: the classes (id, source values, name), the user's overrides, and how each file
reads. The rules that make a decision are in ``decision``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.masks.values import COLOUR, PALETTE, unpack

ENCODINGS = ("auto", "binary", "indexed", "grey-levels", "palette", "colours")


@dataclass(frozen=True)
class MaskClass:
    id: int
    values: tuple[int, ...]  # source values read as this class; the first represents it
    name: str = ""


@dataclass(frozen=True)
class FileVerdict:
    """How one file reads under the decision."""

    path: str
    pixels: int
    snapped: int = 0  # pixels whose value is no class value, snapped to the nearest class
    foreign: tuple[tuple[int, int], ...] = ()  # (value, pixels) regions of values that are no class
    problem: str = ""  # non-empty: the file contradicts the decision and is skipped


@dataclass(frozen=True)
class MaskDecision:
    encoding: str  # binary, indexed, grey-levels, palette, colours
    space: str  # grey, palette, colour: what a file's values are
    classes: tuple[MaskClass, ...]
    reason: str = ""
    explicit: bool = False  # values state their classes (indices); otherwise interpreted
    class_pixels: dict = field(default_factory=dict)  # id -> pixels over the dataset, after snapping

    @property
    def num_classes(self) -> int:
        return max((c.id for c in self.classes), default=1) + 1

    @property
    def names(self) -> dict:
        return {c.id: c.name for c in self.classes if c.name}

    def class_values(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, ids): every class value with its id, sorted by value."""
        pairs = sorted((v, c.id) for c in self.classes for v in c.values)
        return np.array([v for v, _ in pairs], np.int64), np.array([i for _, i in pairs], np.int64)

    def ids_of(self, values, palette: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, exact) for source values: a class value's id, else the nearest class value's id."""
        values = np.asarray(values, np.int64)
        known, ids = self.class_values()
        if not len(known):
            return np.zeros(values.shape, np.int64), np.zeros(values.shape, bool)
        where = np.clip(np.searchsorted(known, values), 0, len(known) - 1)
        exact = known[where] == values
        result = ids[where].copy()
        if not exact.all():
            loose = ~exact
            if self.space == COLOUR:
                distance = ((unpack(values[loose])[:, None, :] - unpack(known)[None, :, :]) ** 2).sum(-1)
            else:
                distance = np.abs(values[loose][:, None] - known[None, :])
            result[loose] = ids[np.argmin(distance, axis=1)]
        return result, exact

    def value_text(self, value: int) -> str:
        if self.space == COLOUR:
            return f"#{int(value):06x}"
        return f"index {int(value)}" if self.space == PALETTE else str(int(value))

    def to_params(self) -> dict:
        """JSON for a run's config: a resumed or re-read run reads the masks the same way."""
        return {"encoding": self.encoding, "space": self.space, "explicit": self.explicit,
                "classes": [{"id": c.id, "values": list(c.values), "name": c.name} for c in self.classes]}

    @staticmethod
    def from_params(params: dict) -> MaskDecision:
        classes = tuple(MaskClass(int(c["id"]), tuple(int(v) for v in c["values"]), str(c.get("name", "")))
                        for c in params["classes"])
        return MaskDecision(params["encoding"], params["space"], classes, "as recorded in the run",
                            bool(params.get("explicit", False)))


@dataclass(frozen=True)
class MaskOverride:
    """What the user fixed: an encoding (or 'auto') and/or the classes (id, values, name) themselves."""

    encoding: str = "auto"
    classes: tuple[MaskClass, ...] | None = None

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise ValueError(f"unknown mask encoding {self.encoding!r} (one of {', '.join(ENCODINGS)})")

    @staticmethod
    def of(decision: MaskDecision) -> MaskOverride:
        return MaskOverride(decision.encoding, decision.classes)


def parse_classes(text: str) -> tuple[int | None, tuple[MaskClass, ...] | None]:
    """The user's class setting: ``"3"`` (the number of classes) or the class values in id order, each
    optionally named: ``"0,255"``, ``"0=background,255=cell"``, ``"#000000,#ff0000=tumour"`` (colours),
    palette indices as numbers. Returns (count, None) or (None, classes); raises ValueError."""
    text = (text or "").strip()
    if not text:
        return None, None
    if text.isdigit() and "," not in text:
        count = int(text)
        if not 2 <= count <= 256:
            raise ValueError(f"the number of classes must be 2..256 (got {count})")
        return count, None
    classes: list[MaskClass] = []
    seen: set[int] = set()
    for index, item in enumerate(part.strip() for part in text.split(",")):
        value_text, _, name = (s.strip() for s in item.partition("="))
        try:
            value = int(value_text[1:], 16) if value_text.startswith("#") else int(value_text)
        except ValueError:
            raise ValueError(f"class value {value_text!r}: a number (grey level or palette index) or a colour "
                             "like #ff0000") from None
        if value_text.startswith("#") and (len(value_text) != 7 or value > 0xFFFFFF):
            raise ValueError(f"colour {value_text!r}: write colours as #rrggbb")
        if value < 0 or value in seen:
            raise ValueError(f"class value {value_text!r} is negative or given twice")
        seen.add(value)
        classes.append(MaskClass(index, (value,), name))
    if len(classes) < 2:
        raise ValueError("give at least two class values (background first), or a number of classes")
    return None, tuple(classes)
