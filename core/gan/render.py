"""Live rendering for an interactive GAN explorer, as a core job with "latest request wins".

A front end posts requests (:class:`GridRequest`, :class:`PreviewRequest`) to a :class:`LatestRequests`
mailbox from its own thread; the render job (running on a worker thread) loads the run once, then takes only
the newest request of each kind, renders it and emits a :class:`Rendered` event. Requests made while a render
runs replace each other, so dragging a slider never queues stale work.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.jobs import CancelToken, Emit, Event, Message


@dataclass(frozen=True)
class GridRequest:
    seeds: tuple[int, ...]
    psi: float = 1.0
    class_id: int | None = None  # None: classes cycle over the grid (conditional runs)
    kind: str = "grid"


@dataclass(frozen=True)
class PreviewRequest:
    """One sample: seed ``seed_a`` moved along the PCA directions by ``amounts`` (standard deviations), or,
    when ``seed_b`` is set, the slerp from seed_a to seed_b at ``t``."""

    seed_a: int
    seed_b: int | None = None
    t: float = 0.0
    psi: float = 1.0
    class_id: int | None = None
    amounts: tuple[float, ...] = ()
    kind: str = "preview"


@dataclass(frozen=True)
class GifRequest:
    """Export the slerp from seed_a to seed_b as an animated GIF (rendered and written by the job)."""

    seed_a: int
    seed_b: int
    path: str
    frames: int = 24
    psi: float = 1.0
    class_id: int | None = None
    fps: float = 12.0
    scale: int = 4
    kind: str = "gif"


@dataclass(frozen=True)
class Exported(Event):
    path: str
    frames: int


@dataclass(frozen=True)
class Loaded(Event):
    """The run is ready: what the explorer offers."""

    run_dir: str
    size: int
    channels: int
    latent_dim: int
    class_names: tuple[str, ...]
    source: str
    explained: tuple[float, ...]  # variance share of each PCA direction


@dataclass(frozen=True)
class Rendered(Event):
    request: Any
    images: np.ndarray = field(repr=False)  # N x h x w x c uint8 (read-only)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        frozen = np.array(self.images, copy=True)
        frozen.flags.writeable = False
        object.__setattr__(self, "images", frozen)


class LatestRequests:
    """A thread-safe mailbox holding only the newest request of each kind."""

    def __init__(self) -> None:
        self._pending: dict[str, Any] = {}
        self._ready = threading.Condition()
        self.posted = 0
        self.replaced = 0

    def post(self, request) -> None:
        with self._ready:
            if request.kind in self._pending:
                self.replaced += 1
            self._pending[request.kind] = request
            self.posted += 1
            self._ready.notify()

    def take(self, timeout: float | None = None) -> list:
        """All pending requests (one per kind, grids first); [] after ``timeout`` seconds with none."""
        with self._ready:
            if not self._pending:
                self._ready.wait(timeout)
            requests = sorted(self._pending.values(), key=lambda r: r.kind != "grid")
            self._pending.clear()
            return requests


def render(explorer, request) -> np.ndarray:
    if isinstance(request, GridRequest):
        return explorer.samples(request.seeds, request.psi, request.class_id)
    if isinstance(request, PreviewRequest):
        from core.gan.latent import slerp, truncate

        labels = explorer.labels(1, request.class_id if request.class_id is not None else 0) \
            if explorer.conditional else None
        if request.seed_b is not None:
            z = slerp(explorer.latent(request.seed_a), explorer.latent(request.seed_b), float(request.t))
        else:
            z = explorer.latent(request.seed_a)
            if any(request.amounts):
                z = explorer.edit(z, request.amounts)
        return explorer.render(truncate(z, request.psi)[None], labels)
    if isinstance(request, GifRequest):
        return explorer.interpolate(request.seed_a, request.seed_b, request.frames, request.psi, request.class_id)
    raise TypeError(f"unknown render request {request!r}")


def render_job(run_dir, mailbox: LatestRequests, directions: int = 6):
    """The job: load ``run_dir`` (weights into the code-built generator), find its PCA directions, then serve
    the mailbox until cancelled. Errors in one request are reported and the job keeps serving."""

    def job(token: CancelToken, emit: Emit):
        from core.gan.explore import GanExplorer

        explorer = GanExplorer.from_run(run_dir)
        found = explorer.directions(directions)
        arch = explorer.arch
        emit(Loaded(run_dir=str(run_dir), size=arch.size, channels=arch.channels, latent_dim=arch.latent_dim,
                    class_names=explorer.class_names if explorer.conditional else (), source=explorer.source,
                    explained=tuple(float(v) for v in found.explained)))
        while not token.cancelled:
            for request in mailbox.take(timeout=0.1):
                if token.cancelled:
                    break
                start = time.perf_counter()
                try:
                    images = render(explorer, request)
                    if isinstance(request, GifRequest):
                        from core.gan.explore import save_gif

                        path = save_gif(images, request.path, fps=request.fps, scale=request.scale)
                        emit(Exported(path=str(path), frames=len(images)))
                        continue
                except (ValueError, OSError) as exc:
                    emit(Message(text=str(exc), level="warning"))
                    continue
                emit(Rendered(request=request, images=images, seconds=time.perf_counter() - start))
        return explorer

    return job
