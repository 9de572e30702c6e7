"""The stack interface every source implements: frames decoded on demand through a small LRU cache."""

from __future__ import annotations

import threading
from pathlib import Path

from core.imageio import LoadedImage
from core.stacks.errors import FrameLoadError
from core.stacks.frame_cache import FrameCache

DEFAULT_CACHE_FRAMES = 4


class ImageStack:
    """Frames 0..n_frames-1 of one source. Subclasses implement ``_decode(index)`` (and set ``kind``,
    ``n_frames``, ``frame_size``); decoding is serialised by a lock, so workers may share a stack."""

    kind = "single"

    def __init__(self, path: Path, n_frames: int, frame_size: tuple[int, int],
                 cache_frames: int = DEFAULT_CACHE_FRAMES, notes: tuple[str, ...] = ()):
        self.path = Path(path)
        self.n_frames = int(n_frames)
        self.frame_size = frame_size  # (width, height) of frame 0 from the header
        self.notes = tuple(notes)
        self.gaps: tuple[int, ...] = ()
        self.decoded_count = 0
        self._cache: FrameCache[LoadedImage] = FrameCache(cache_frames)
        self._lock = threading.RLock()

    # the interface -----------------------------------------------------------------------------------
    def frame(self, index: int) -> LoadedImage:
        """Frame ``index`` (0-based), decoded now unless cached; a :class:`FrameLoadError` names only it."""
        index = self._checked(index)
        with self._lock:
            cached = self._cache.get(index)
            if cached is not None:
                return cached
            frame = self._decode(index)
            self.decoded_count += 1
            self._cache.put(index, frame)
            return frame

    def frame_name(self, index: int) -> str:
        index = self._checked(index)
        return f"{self.path.stem} [{index + 1}/{self.n_frames}]"

    def frame_file(self, index: int) -> Path:
        self._checked(index)
        return self.path

    def cached_indices(self) -> tuple[int, ...]:
        with self._lock:
            return self._cache.indices()

    def close(self) -> None:
        with self._lock:
            self._cache.clear()
            self._close()

    # helpers for subclasses ----------------------------------------------------------------------------
    def _decode(self, index: int) -> LoadedImage:
        raise NotImplementedError

    def _close(self) -> None:
        """Release open file handles (the default holds none)."""

    def _checked(self, index: int) -> int:
        index = int(index)
        if not 0 <= index < self.n_frames:
            raise IndexError(f"frame {index} is outside 0..{self.n_frames - 1} of {self.path.name}")
        return index

    def _frame_error(self, index: int, reason: str, kind: str) -> FrameLoadError:
        return FrameLoadError(self.path, index, reason, kind)

    def __len__(self) -> int:
        return self.n_frames

    def __enter__(self) -> ImageStack:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, kind={self.kind!r}, n_frames={self.n_frames})"
