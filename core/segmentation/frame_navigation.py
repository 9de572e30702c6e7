"""Which frame of a stack (a multi-page TIFF, an animation, a numbered sequence) is shown, and which one
to decode next. No Qt: the Image and Segment panels' frame sliders are views of one navigator.

Decoding a frame takes a worker tens to hundreds of milliseconds, and a person holding PageDown asks for
thirty frames a second. So requests only move the *wanted* frame; at most one decode runs at a time, and
when it ends the navigator asks for the frame wanted *then*, skipping every frame asked for meanwhile
("latest request wins"). Scrolling through 100 frames quickly decodes the first and the last, a few in
between, never 100. A decoded frame that is no longer wanted is not shown: the next decode is already on
its way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


class FrameNavigator:
    """``decode(index)`` is called when a frame must be decoded (the caller runs it off the GUI thread and
    reports back with :meth:`decoded` or :meth:`failed`); ``on_changed()`` after any change of the count,
    the wanted frame or the shown frame."""

    def __init__(self, decode: Callable[[int], None] = lambda index: None,
                 on_changed: Callable[[], None] = lambda: None):
        self.decode = decode
        self.on_changed = on_changed
        self.count = 0  # frames of the open image; 0: no image, 1: a single image
        self._name: Callable[[int], str] = lambda index: ""
        self.shown = 0  # the frame on screen
        self.wanted = 0  # the frame last asked for
        self.loading: int | None = None  # the frame being decoded, if any
        self.decodes = 0  # decodes started since the stack was opened (coalescing shows as decodes < requests)

    # the open image ---------------------------------------------------------------------------------
    def open(self, count: int, names: Sequence[str] | Callable[[int], str] = (), index: int = 0) -> None:
        """A new image of ``count`` frames, frame ``index`` already decoded and shown (opening an image
        decodes a frame anyway). ``names``: the frames' names, or a function giving frame i's name (a
        sequence of 10 000 files need not list them all). A decode still running for the previous image
        is forgotten."""
        self.count = max(0, int(count))
        if callable(names):
            self._name = names
        else:
            listed = tuple(str(n) for n in names)
            self._name = lambda index: listed[index] if index < len(listed) else ""
        self.shown = self.wanted = self._clamp(index)
        self.loading = None
        self.decodes = 0
        self.on_changed()

    def close(self) -> None:
        self.open(0)

    @property
    def is_stack(self) -> bool:
        return self.count > 1

    @property
    def busy(self) -> bool:
        return self.loading is not None

    def name(self, index: int) -> str:
        return str(self._name(index)) if 0 <= index < self.count else ""

    def describe(self, index: int | None = None) -> str:
        """"frame 3 / 30 · name" (1-based, as people count frames) for ``index`` (default: the wanted one)."""
        index = self.wanted if index is None else index
        name = self.name(index).removesuffix(f" [{index + 1}/{self.count}]")  # says what "frame i / n" says
        return f"frame {index + 1} / {self.count}" + (f" · {name}" if name else "")

    # requests from the views ------------------------------------------------------------------------
    def go(self, index: int) -> None:
        """Ask for frame ``index`` (clamped to the stack)."""
        if not self.is_stack:
            return
        index = self._clamp(index)
        if index == self.wanted:
            return
        self.wanted = index
        self._next()
        self.on_changed()

    def step(self, delta: int) -> None:
        self.go(self.wanted + delta)

    def first(self) -> None:
        self.go(0)

    def last(self) -> None:
        self.go(self.count - 1)

    # answers from the decoder -----------------------------------------------------------------------
    def decoded(self, index: int) -> bool:
        """Frame ``index`` is decoded. True when it is the wanted frame (show it, it is now ``shown``);
        False when another frame was asked for meanwhile (drop it: that frame's decode starts now)."""
        if index != self.loading:
            return False  # a decode of an image that has since been replaced
        self.loading = None
        if index == self.wanted:
            self.shown = index
            self.on_changed()
            return True
        self._next()
        return False

    def failed(self, index: int) -> None:
        """Frame ``index`` could not be decoded: the shown frame stays; a newer request still runs."""
        if index != self.loading:
            return
        self.loading = None
        if self.wanted == index:
            self.wanted = self.shown
        self._next()
        self.on_changed()

    # ----------------------------------------------------------------------------------------------
    def _next(self) -> None:
        if self.loading is None and self.wanted != self.shown:
            self.loading = self.wanted
            self.decodes += 1
            self.decode(self.wanted)

    def _clamp(self, index: int) -> int:
        return min(max(int(index), 0), max(self.count - 1, 0))
