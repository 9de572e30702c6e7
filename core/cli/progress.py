"""A terminal progress bar for jobs: step, rate, ETA, last metrics. Redraws in place on a TTY, prints a line
every few seconds otherwise (logs, CI)."""

from __future__ import annotations

import shutil
import sys
import time

from core.jobs import Event, Failed, Finished, Images, Message, Metrics, Progress, format_eta


class ProgressBar:
    def __init__(self, stream=None, unit: str = "step", interval_s: float | None = None):
        self.stream = stream or sys.stderr
        self.unit = unit
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval_s if interval_s is not None else (0.1 if self.tty else 5.0)
        self._last_draw = 0.0
        self._metrics: dict = {}
        self._progress: Progress | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress):
            self._progress = event
            self._draw()
        elif isinstance(event, Metrics):
            self._metrics = {k: v for k, v in event.values.items() if not k.startswith("lr_")}
        elif isinstance(event, Message):
            self._line(f"{event.level}: {event.text}" if event.level != "info" else event.text)
        elif isinstance(event, Images):
            pass
        elif isinstance(event, Finished | Failed):
            self._draw(force=True)
            if self.tty:
                self.stream.write("\n")

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()
        self._last_draw = 0.0

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        event = self._progress
        if event is None:
            return
        width = shutil.get_terminal_size((100, 20)).columns
        total = f"/{event.total}" if event.total else ""
        rate = f"{event.rate:.1f} {self.unit}/s" if event.rate else ""
        metrics = " ".join(f"{k} {v:.4g}" for k, v in list(self._metrics.items())[:4])
        text = f"{self.unit} {event.done}{total} {event.message} {rate} ETA {format_eta(event.eta_s)} {metrics}"
        text = " ".join(text.split())
        if event.total:
            bar_width = max(10, min(30, width - len(text) - 4))
            filled = int(bar_width * (event.fraction or 0))
            text = f"[{'#' * filled}{'.' * (bar_width - filled)}] {text}"
        if self.tty:
            self.stream.write("\r\033[K" + text[: width - 1])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
