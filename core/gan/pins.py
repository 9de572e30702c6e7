"""The GAN explorer's pins, without Qt: up to two seeds (A, then B) picked from the sample grid, and the class
each showed when it was pinned, so its preview keeps that class on an "All classes" grid."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PINS = 2
NAMES = "AB"


@dataclass
class Pins:
    seeds: list[int] = field(default_factory=list)  # pin A, then pin B
    classes: dict[int, int] = field(default_factory=dict)  # seed -> class its grid cell showed

    def toggle(self, seed: int, cell: int, class_count: int = 0) -> None:
        """Click on grid cell ``cell`` showing ``seed``: unpin it if pinned, else pin it (a third pin replaces
        the oldest). On a grid cycling through ``class_count`` classes, cell i shows class i % class_count."""
        if seed in self.seeds:
            self.seeds.remove(seed)
            return
        self.seeds = (self.seeds + [seed])[-MAX_PINS:]
        if class_count:
            self.classes[seed] = cell % class_count

    def clear(self) -> None:
        self.seeds = []

    @property
    def a(self) -> int | None:
        return self.seeds[0] if self.seeds else None

    @property
    def b(self) -> int | None:
        return self.seeds[1] if len(self.seeds) == MAX_PINS else None

    @property
    def both(self) -> bool:
        """Two pins: interpolation A -> B can run."""
        return len(self.seeds) == MAX_PINS

    def preview_class(self, selected: int | None) -> int | None:
        """The class of the previews: the selected one, else the class pin A showed in its cell."""
        if selected is not None or not self.seeds:
            return selected
        return self.classes.get(self.seeds[0])

    def label(self) -> str:
        """``A: seed 3   B: seed 10``; ``A: –   B: –`` with no pins."""
        names = [f"{NAMES[i]}: seed {seed}" for i, seed in enumerate(self.seeds)]
        return "   ".join(names) if names else "A: –   B: –"

    def marks(self, grid_seeds: tuple[int, ...]) -> dict[int, int]:
        """Grid cell -> pin number (0 = A, 1 = B) for the pins the grid shows."""
        return {grid_seeds.index(s): i for i, s in enumerate(self.seeds) if s in grid_seeds}

    def copy(self) -> Pins:
        return Pins(list(self.seeds), dict(self.classes))
