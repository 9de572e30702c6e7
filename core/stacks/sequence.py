"""Numbered image sequences: a folder of ``frame_0001.png``... or the siblings of one chosen frame file.

Names are ordered naturally (``frame_2`` before ``frame_10``). When every file follows one pattern
(prefix, number, suffix, extension), the numbers are known and the missing ones are reported as gaps;
each frame is its own file, loaded with :func:`core.imageio.load_image` when asked for.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from core.imageio import ImageLoadError, LoadedImage, list_images, load_image
from core.stacks.errors import StackError, frame_error
from core.stacks.stack import DEFAULT_CACHE_FRAMES, ImageStack

_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)(?P<rest>\D*)$")
MAX_GAPS_NOTED = 10


def natural_key(name: str) -> tuple:
    """Sort key putting ``a2`` before ``a10`` (digit runs compare as numbers)."""
    return tuple((0, int(part), part) if part.isdigit() else (1, 0, part.lower())
                 for part in re.split(r"(\d+)", name) if part)


def _pattern(path: Path) -> tuple[str, str, str] | None:
    match = _NUMBERED.match(path.stem)
    if match is None:
        return None
    return match["prefix"], match["rest"], path.suffix.lower()


@dataclass(frozen=True)
class NumberedSequence:
    folder: Path
    files: tuple[Path, ...]  # natural order
    numbers: tuple[int, ...] | None  # each file's number when all share one pattern
    gaps: tuple[int, ...]  # numbers missing between the first and the last
    pattern: str  # e.g. "frame_####.png", or "*" when the names share no pattern


def _sequence(folder: Path, files: list[Path]) -> NumberedSequence:
    files = sorted(files, key=lambda p: natural_key(p.name))
    patterns = {_pattern(p) for p in files}
    numbers, gaps, pattern = None, (), "*"
    if len(patterns) == 1 and None not in patterns:
        prefix, rest, suffix = next(iter(patterns))
        numbers = tuple(int(_NUMBERED.match(p.stem)["number"]) for p in files)
        present = set(numbers)
        gaps = tuple(n for n in range(min(numbers), max(numbers) + 1) if n not in present)
        digits = len(_NUMBERED.match(files[0].stem)["number"])
        pattern = f"{prefix}{'#' * digits}{rest}{suffix}"
    return NumberedSequence(folder, tuple(files), numbers, gaps, pattern)


def find_sequence(path: str | Path) -> NumberedSequence | None:
    """The sequence of a folder (its images) or of a numbered file (its siblings sharing its pattern);
    None for a file whose name has no number or a folder with no images."""
    path = Path(path)
    if path.is_dir():
        files = list_images(path)
        return _sequence(path, files) if files else None
    key = _pattern(path)
    if key is None:
        return None
    siblings = [p for p in list_images(path.parent) if _pattern(p) == key]
    if path not in siblings:
        siblings.append(path)
    return _sequence(path.parent, siblings)


def describe_gaps(gaps: tuple[int, ...]) -> str:
    shown = ", ".join(map(str, gaps[:MAX_GAPS_NOTED]))
    more = f" and {len(gaps) - MAX_GAPS_NOTED} more" if len(gaps) > MAX_GAPS_NOTED else ""
    return f"{len(gaps)} missing number(s) in the sequence: {shown}{more}"


class SequenceStack(ImageStack):
    kind = "sequence"

    def __init__(self, path: Path, sequence: NumberedSequence, cache_frames: int = DEFAULT_CACHE_FRAMES):
        notes = (describe_gaps(sequence.gaps),) if sequence.gaps else ()
        super().__init__(path, len(sequence.files), (0, 0), cache_frames, notes)
        self.sequence = sequence
        self.gaps = sequence.gaps

    def frame_name(self, index: int) -> str:
        return self.frame_file(index).name

    def frame_file(self, index: int) -> Path:
        return self.sequence.files[self._checked(index)]

    def _decode(self, index: int) -> LoadedImage:
        try:
            loaded = load_image(self.sequence.files[index])
        except ImageLoadError as exc:
            raise frame_error(exc.path, index, exc) from None
        return dataclasses.replace(loaded, meta=dataclasses.replace(loaded.meta, frames=self.n_frames))


def open_sequence(path: Path, cache_frames: int = DEFAULT_CACHE_FRAMES) -> SequenceStack:
    sequence = find_sequence(path)
    if sequence is None:
        if path.is_dir():
            raise StackError(path, "no images in this folder (a sequence needs numbered image files)", "empty")
        raise StackError(path, "its name has no number, so it has no numbered sequence", "not_image")
    stack = SequenceStack(path, sequence, cache_frames)
    stack.frame_size = _first_size(sequence.files[0])
    return stack


def _first_size(path: Path) -> tuple[int, int]:
    from core.imageio import open_image

    try:
        image, _ = open_image(path)
    except ImageLoadError:
        return (0, 0)  # frame 0 reports the problem when it is asked for
    with image:
        return image.size
