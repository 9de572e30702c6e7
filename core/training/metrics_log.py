"""``metrics.csv``: one row per logging step, appended and flushed as training goes, readable while written.

A crash can tear the last line; readers ignore a line without its newline. Columns are ``step``,
``epoch``, ``wall_time``, ``elapsed_s`` and then the metric names in order of first appearance; a
metric that appears later makes the writer rewrite the file (atomically) with the wider header.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

from core.atomic import atomic_write_text

FIXED_COLUMNS = ("step", "epoch", "wall_time", "elapsed_s")


def format_value(value) -> str:
    if value is None or value == "":
        return ""
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value) if not value.is_integer() or abs(value) > 1e15 else str(int(value))


def _parse(text: str) -> float | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _parse_lines(header: list[str], lines: list[str]) -> list[dict]:
    rows = []
    for record in csv.reader(lines):
        if len(record) != len(header):
            continue  # a damaged line: skip it rather than fail the whole file
        row = {name: _parse(value) for name, value in zip(header, record, strict=True)}
        if row.get("step") is None:
            continue
        rows.append(row)
    return rows


def read_metrics(path: str | os.PathLike) -> tuple[list[str], list[dict]]:
    """(columns, rows); each row maps column -> float or None. Missing file -> ([], [])."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], []
    lines = text.split("\n")
    complete = lines[:-1]  # the part after the last newline is torn (or empty)
    if not complete:
        return [], []
    header = next(csv.reader([complete[0]]))
    return header, _parse_lines(header, complete[1:])


class MetricsWriter:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.columns, rows = read_metrics(self.path)
        self.columns = self.columns or list(FIXED_COLUMNS)
        self._last_step = int(rows[-1]["step"]) if rows else None
        self._handle = None
        if self.path.exists() and not self.path.read_bytes().endswith(b"\n"):
            self._rewrite_with(self.columns)  # a crash tore the last line: drop it, or the next row joins it

    def append(self, step: int, epoch: float, wall_time: float, elapsed_s: float, values: dict) -> None:
        new = [name for name in values if name not in self.columns]
        if new or not self.path.exists():
            self._rewrite_with(self.columns + new)
        row = {"step": step, "epoch": epoch, "wall_time": wall_time, "elapsed_s": elapsed_s, **values}
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([format_value(row.get(name)) for name in self.columns])
        handle = self._open()
        handle.write(buffer.getvalue())
        handle.flush()
        self._last_step = step

    def _open(self):
        if self._handle is None or self._handle.closed:
            self._handle = open(self.path, "a", encoding="utf-8", newline="")
        return self._handle

    def sync(self) -> None:
        """fsync: called with each checkpoint so the file on disk matches what the checkpoint saw."""
        if self._handle is not None and not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def _rewrite_with(self, columns: list[str], keep_until: int | None = None) -> None:
        _, rows = read_metrics(self.path)
        if keep_until is not None:
            rows = [row for row in rows if row["step"] <= keep_until]
        self.close()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([format_value(row.get(name)) for name in columns])
        atomic_write_text(self.path, buffer.getvalue())
        self.columns = list(columns)

    def truncate_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (the checkpoint a resumed run restarts from)."""
        if self.path.exists():  # (a run killed before its first row has nothing to drop: write no bare header)
            self._rewrite_with(self.columns, keep_until=step)
        self._last_step = step

    def close(self) -> None:
        if self._handle is not None and not self._handle.closed:
            self._handle.close()
        self._handle = None


class MetricsTail:
    """Reads only the rows added since the last call; starts over if the file was rewritten."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.columns: list[str] = []
        self._offset = 0
        self._inode = None
        self._pending = ""

    def reset(self) -> None:
        self.columns, self._offset, self._inode, self._pending = [], 0, None, ""

    def read_new(self) -> tuple[list[dict], bool]:
        """(new rows, restarted): ``restarted`` is True when the caller must drop what it had."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            restarted = bool(self.columns)
            self.reset()
            return [], restarted
        restarted = False
        if self._inode is not None and (stat.st_ino != self._inode or stat.st_size < self._offset):
            self.reset()
            restarted = True
        self._inode = stat.st_ino
        if stat.st_size == self._offset:
            return [], restarted
        with open(self.path, encoding="utf-8", errors="replace", newline="") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
            self._offset = handle.tell()
        text = self._pending + chunk
        lines = text.split("\n")
        self._pending = lines[-1]
        complete = [line for line in lines[:-1]]
        if not self.columns:
            if not complete:
                return [], restarted
            self.columns = next(csv.reader([complete[0]]))
            complete = complete[1:]
        return _parse_lines(self.columns, complete), restarted
