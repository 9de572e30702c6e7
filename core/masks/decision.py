"""Deciding a mask dataset's encoding and classes once, from every file's values.

The rule (also in docs/python-api.md):

1. **Value space.** Palette PNGs whose palettes agree on every index they use are read by index
   (``palette``); palette PNGs with different palettes, and any mask with real colours, are read by colour
   (``colours``; palette files through their palettes, grey files as greys). Grey masks (L, 16-bit, RGB
   files whose pixels are all grey) are read by grey level. Palette files mixed with grey files of small
   values (< 64) are read by index.
2. **Explicit or interpreted.** Palette indices, and grey masks whose values are all small (< 64, or 255),
   state their classes: every value used is a class. Other grey levels and
   colours are interpreted: a value is a class candidate in a file when it forms solid regions there
   (at least one pixel equal to its four neighbours) or, drawn as thin lines, covers at least 0.1 % of the
   file and mostly does *not* lie between its neighbours. Values that only occur on the boundary between
   two others (antialiasing, resampling, JPEG) never become classes. Candidates closer than the tolerance
   (8 grey levels, 24 per colour channel) are one class, represented by their most frequent value.
3. **Support.** In a dataset of three or more masks (grey or colour), a class must occur in at least two
   of them. A value that covers >= 1 % of one mask and occurs in no other is a contradiction: that mask is
   named and skipped, never guessed at (``--classes`` can make the value a class).
4. **Ids.** Binary (two grey values, the lower being background) -> 0/1; indexed and palette -> the values
   as stored, unless they are sparse and large (more than 64 and more than twice the number of classes,
   e.g. a palette PNG using indices 0, 35 and 180): then in sorted order; grey levels -> sorted order;
   colours -> black is 0, the studio's label colours keep their index, other colours follow in order.
5. Every other value is snapped to the nearest class value (grey level, palette index or RGB distance)
   and counted per file.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.masks.classes import FileVerdict, MaskClass, MaskDecision, MaskOverride
from core.masks.values import (
    COLOUR,
    GREY,
    LOSSY_TOLERANCE,
    PALETTE,
    TOLERANCE,
    MaskFile,
    ValueStats,
    pack,
    unpack,
)
from core.palette import LABEL_COLORS

MAX_CLASSES = 256  # ids 0..255: a uint8 label map
THIN_SHARE = 1e-3  # a non-solid interpreted value needs this share of a file to count as a thin class
CONTRADICTION_SHARE = 0.01  # a non-class region this large in a file makes the file contradict the decision
SMALL_VALUE = 64
RARE_NEIGHBOUR = 0.25  # beyond the tolerance (lossy files), a value this much rarer than a class joins it


# value spaces ------------------------------------------------------------------------------------------
def _palettes_agree(files: list[MaskFile]) -> bool:
    seen: dict[int, tuple] = {}
    for f in files:
        for index in f.stats.values.tolist():
            colour = tuple(f.palette[index].tolist())
            if seen.setdefault(index, colour) != colour:
                return False
    return True


def _index_like(mask: MaskFile) -> bool:
    """A palette PNG whose indices are meant as class ids: it names its classes, uses the studio's colours,
    or uses small indices (and perhaps 255, the usual 'void')."""
    used = mask.stats.values
    if mask.names or not len(used):
        return True
    if np.array_equal(mask.palette[used], LABEL_COLORS[used]):
        return True
    return bool(np.all((used < SMALL_VALUE) | (used == 255)))


def choose_space(files: list[MaskFile], encoding: str) -> tuple[str, str]:
    """(space, why)."""
    spaces = {f.space for f in files}
    if encoding == "colours":
        return COLOUR, "colours chosen by the user"
    if encoding == "palette":
        return PALETTE, "palette indices chosen by the user"
    if encoding in ("indexed", "grey-levels"):
        return GREY, f"{encoding} chosen by the user"
    if spaces == {PALETTE}:
        if not _palettes_agree(files):
            return COLOUR, "palette PNGs whose palettes differ: read by colour"
        if not all(_index_like(f) for f in files):
            return COLOUR, "palette PNGs using large, scattered indices: read by colour"
        return PALETTE, "palette PNGs with one palette: indices are classes"
    if COLOUR in spaces:
        return COLOUR, "colour masks"
    if spaces == {GREY, PALETTE}:
        small = all(int(f.stats.values.max(initial=0)) < SMALL_VALUE for f in files if f.space == GREY)
        if small:
            return GREY, "palette PNGs and grey masks of small values: values are classes"
        return COLOUR, "palette PNGs mixed with grey masks: read by colour"
    return GREY, "grey masks"


def stats_in(mask: MaskFile, space: str) -> ValueStats:
    """A file's statistics with its values expressed in ``space``."""
    stats = mask.stats
    if mask.space == space or not len(stats.values):
        return stats
    if space == COLOUR:
        if mask.space == PALETTE:
            return stats.mapped(pack(mask.palette[stats.values]))
        return stats.mapped(stats.values * 0x010101)  # grey g -> (g, g, g)
    if mask.space == PALETTE:  # indices read as grey values
        return stats
    return ValueStats.empty()  # colour files have no grey/palette reading: see _incompatible


def _incompatible(mask: MaskFile, space: str) -> str:
    if space in (GREY, PALETTE) and mask.space == COLOUR:
        return "a colour mask where the dataset is read by " + ("index" if space == PALETTE else "grey level")
    if space == PALETTE and mask.space == GREY:
        return "not a palette PNG"
    return ""


# which values are classes ------------------------------------------------------------------------------
def present_values(stats: ValueStats, pixels: int, explicit: bool) -> np.ndarray:
    """The values that look like classes in one file (see the module's rule 2)."""
    if explicit:
        keep = stats.count > 0
    else:
        thin = (stats.count >= max(1.0, THIN_SHARE * pixels)) & (stats.between * 2 < stats.count)
        keep = (stats.solid > 0) | thin
    return stats.values[keep]


def _distance(a: int, b: int, space: str) -> int:
    if space == COLOUR:
        return int(np.abs(unpack(a) - unpack(b)).max())
    return abs(a - b)


def _cluster(candidates: dict[int, int], space: str, explicit: bool, lossy: bool) -> list[list[int]]:
    """Group candidate values (value -> pixels); the most frequent value of a group comes first. A value joins
    a group within the tolerance; from lossy files also one within the lossy tolerance when it is much rarer
    (a flat colour that JPEG shifted), never one of comparable size (a class of its own)."""
    order = sorted(candidates, key=lambda v: (-candidates[v], v))
    if explicit:
        return [[v] for v in order]
    groups: list[list[int]] = []
    for value in order:
        for group in groups:
            distance = _distance(group[0], value, space)
            if distance <= TOLERANCE[space] or (
                    lossy and distance <= LOSSY_TOLERANCE[space]
                    and candidates[value] <= RARE_NEIGHBOUR * sum(candidates[v] for v in group)):
                group.append(value)
                break
        else:
            groups.append([value])
    return groups


def _assign_ids(groups: list[list[int]], space: str, encoding: str, weights: dict[int, int],
                explicit: bool, compact: bool = True) -> tuple[str, list[MaskClass]]:
    """(encoding, classes) from value groups, by the module's rule 4."""
    if not groups:
        return "binary", [MaskClass(0, (0,))]
    if space == COLOUR:
        taken: dict[int, list[int]] = {}
        rest = []
        studio = LABEL_COLORS.astype(np.int64)
        nearest = [np.abs(studio - unpack(g[0])).max(axis=1) for g in groups]
        matches = [int(np.argmin(n)) if n.min() <= TOLERANCE[COLOUR] else None for n in nearest]
        from_studio = None not in matches and len(set(matches)) == len(matches)
        for group, index in sorted(zip(groups, matches, strict=True), key=lambda gm: gm[0][0]):
            if from_studio or index == 0:  # the studio's label colours keep their index; black is 0
                taken[index] = group
            else:
                rest.append(group)
        if 0 not in taken and rest:  # no black: the most common colour is the background
            background = max(rest, key=lambda g: (sum(weights.get(v, 0) for v in g), -g[0]))
            rest.remove(background)
            taken[0] = background
        free = (i for i in range(1, MAX_CLASSES + 1) if i not in taken)
        for group in rest:
            taken[next(free)] = group
        return "colours", [MaskClass(i, tuple(g)) for i, g in sorted(taken.items())]
    firsts = sorted(g[0] for g in groups)
    by_first = {g[0]: g for g in groups}
    if space == GREY and encoding in ("auto", "binary"):
        # explicit values other than 0/1 and 0/255 stay class ids (0 and 5 are classes 0 and 5)
        binary_values = not explicit or firsts[-1] in (1, 255)
        if len(firsts) == 1 and (binary_values or firsts[0] == 0):
            return "binary", [MaskClass(0 if firsts[0] == 0 else 1, tuple(groups[0]))]
        if len(firsts) == 2 and ((firsts[0] == 0 and binary_values) or encoding == "binary"):
            return "binary", [MaskClass(i, tuple(by_first[v])) for i, v in enumerate(firsts)]
    if encoding == "grey-levels" or (space == GREY and not explicit):
        return "grey-levels", [MaskClass(i, tuple(by_first[v])) for i, v in enumerate(firsts)]
    sparse = compact and firsts and firsts[-1] >= SMALL_VALUE and firsts[-1] + 1 > 2 * len(firsts)
    name = "palette" if space == PALETTE else "indexed"
    if sparse:
        return name, [MaskClass(i, tuple(by_first[v])) for i, v in enumerate(firsts)]
    return name, [MaskClass(v, tuple(by_first[v])) for v in firsts]


def _explicit(per_file: list[ValueStats], space: str, encoding: str) -> bool:
    """Do the values state their classes (rule 2)? Palette indices and small grey integers do."""
    if encoding == "indexed" or space == PALETTE:
        return True
    if encoding in ("grey-levels", "colours") or space == COLOUR:
        return False
    values = np.unique(np.concatenate([s.values for s in per_file])) if per_file else np.zeros(0, np.int64)
    return bool(np.all((values < SMALL_VALUE) | (values == 255)))


def decide(files: list[MaskFile], override: MaskOverride | None = None,
           compact: bool = True) -> tuple[MaskDecision, list[FileVerdict]]:
    """The dataset's decision and how each file reads under it (see the module's rule). ``compact`` False
    keeps stored indices as ids however sparse (a single label map the studio shows and edits)."""
    override = override or MaskOverride()
    if override.classes is not None:
        return _with_classes(files, override)
    space, why = choose_space(files, override.encoding)
    usable = [f for f in files if not _incompatible(f, space)]
    per_file = [stats_in(f, space) for f in usable]
    explicit = _explicit(per_file, space, override.encoding)
    present = [set(present_values(s, f.pixels, explicit).tolist()) for s, f in zip(per_file, usable, strict=True)]
    candidates: dict[int, int] = {}
    for stats, values in zip(per_file, present, strict=True):
        for value, count in zip(stats.values.tolist(), stats.count.tolist(), strict=True):
            if value in values:
                candidates[value] = candidates.get(value, 0) + count
    groups = _cluster(candidates, space, explicit, any(f.lossy for f in usable))
    needs_support = space != PALETTE and len(usable) >= 3
    if needs_support:
        support = [sum(1 for values in present if values & set(g)) for g in groups]
        groups = [g for g, n in zip(groups, support, strict=True) if n >= 2] or groups[:1]
    encoding, classes = _assign_ids(groups, space, override.encoding, candidates, explicit, compact)
    if override.encoding == "binary" and len(classes) > 2:
        classes = [replace(classes[0], id=0),
                   MaskClass(1, tuple(v for c in classes[1:] for v in c.values))]
        encoding = "binary"
    if len(classes) > MAX_CLASSES or (classes and max(c.id for c in classes) >= MAX_CLASSES):
        raise ValueError(f"the masks hold {len(classes)} classes; at most {MAX_CLASSES - 1} besides background")
    if explicit:
        why += "; every value is a class"
    else:
        noise = len(set().union(*[set(s.values.tolist()) for s in per_file]) - set(candidates))
        why += (f"; {len(groups)} value groups form regions"
                + (f", {noise} other values only lie between them" if noise else ""))
    decision = MaskDecision(encoding, space, tuple(classes), why, explicit)
    decision = _named(decision, usable)
    return _verdicts(decision, files, present_by_path={f.path: p for f, p in zip(usable, present, strict=True)})


def _with_classes(files: list[MaskFile], override: MaskOverride) -> tuple[MaskDecision, list[FileVerdict]]:
    classes = tuple(override.classes)
    values = [v for c in classes for v in c.values]
    if override.encoding != "auto":
        space, _ = choose_space(files, override.encoding)
    elif any(v > 0xFFFF for v in values) or any(f.space == COLOUR for f in files):
        space = COLOUR
    else:
        space, _ = choose_space(files, "auto")
    usable = [f for f in files if not _incompatible(f, space)]
    per_file = [stats_in(f, space) for f in usable]
    explicit = _explicit(per_file, space, override.encoding)
    encoding = override.encoding if override.encoding != "auto" else (
        "colours" if space == COLOUR else "palette" if space == PALETTE else
        "binary" if len(classes) == 2 else "indexed" if explicit else "grey-levels")
    decision = MaskDecision(encoding, space, classes, "classes given by the user", explicit)
    present = {f.path: set(present_values(s, f.pixels, explicit).tolist())
               for f, s in zip(usable, per_file, strict=True)}
    decision = _named(decision, usable) if not any(c.name for c in classes) else decision
    return _verdicts(decision, files, present)


def _named(decision: MaskDecision, files: list[MaskFile]) -> MaskDecision:
    """Class names stored in the files (the studio writes them into palette PNGs), most common first."""
    votes: dict[int, dict[str, int]] = {}
    for f in files:
        if not f.names:
            continue
        values = np.array(sorted(f.names), np.int64)
        if decision.space == COLOUR and f.space == PALETTE:
            values = pack(f.palette[values])
        ids, exact = decision.ids_of(values)
        for cls, name, known in zip(ids.tolist(), (f.names[k] for k in sorted(f.names)), exact, strict=True):
            if not known:
                continue  # a name for a label no longer drawn, or drawn too little to be a class
            votes.setdefault(cls, {}).setdefault(name, 0)
            votes[cls][name] += 1
    if not votes:
        return decision
    classes = tuple(replace(c, name=c.name or max(votes.get(c.id, {"": 0}).items(), key=lambda kv: kv[1])[0])
                    for c in decision.classes)
    return replace(decision, classes=classes)


def _verdicts(decision: MaskDecision, files: list[MaskFile],
              present_by_path: dict[str, set]) -> tuple[MaskDecision, list[FileVerdict]]:
    verdicts = []
    class_pixels: dict[int, int] = {c.id: 0 for c in decision.classes}
    known, _ = decision.class_values()
    known_set = set(known.tolist())
    for f in files:
        reason = _incompatible(f, decision.space)
        if reason:
            verdicts.append(FileVerdict(f.path, f.pixels, problem=f"{reason}; skipped"))
            continue
        stats = stats_in(f, decision.space)
        ids, exact = decision.ids_of(stats.values)
        snapped = int(stats.count[~exact].sum())
        foreign = tuple((int(v), int(n)) for v, n in zip(stats.values.tolist(), stats.count.tolist(), strict=True)
                        if v in present_by_path.get(f.path, ()) and v not in known_set)
        problem = ""
        large = [(v, n) for v, n in foreign if n >= CONTRADICTION_SHARE * f.pixels]
        if large:
            what = ", ".join(f"{decision.value_text(v)} ({100 * n / f.pixels:.1f}%)" for v, n in large[:3])
            classes = ", ".join(decision.value_text(c.values[0]) for c in decision.classes)
            problem = (f"contradicts the other masks: {what} of this mask form regions of values that are no "
                       f"class of this dataset (classes {classes}); skipped. If they are a class, give the "
                       "classes explicitly")
        else:
            for cls, count in zip(ids.tolist(), stats.count.tolist(), strict=True):
                class_pixels[cls] = class_pixels.get(cls, 0) + count
        verdicts.append(FileVerdict(f.path, f.pixels, snapped, foreign, problem))
    return replace(decision, class_pixels=class_pixels), verdicts
