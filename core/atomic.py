"""Atomic file writes: write a temp file in the same folder, fsync, then rename over the target.

A crash at any moment leaves either the old file or the new one, never a half-written file. What a crash
does leave is the temp file; its name carries the writer (``.<name>.<host>-<pid>.<random>.tmp``) so that
:func:`remove_stale_temp_files` can remove the ones no live process is writing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None,
                durable: bool = True) -> Iterator[IO]:
    """Open a temp file beside ``path``; on a clean exit it replaces ``path`` atomically.

    On an exception the temp file is removed and ``path`` is untouched. ``durable=False`` skips the fsyncs
    (still atomic against crashes of this process) for files rewritten every second, like status.json.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open supports 'w' and 'wb', not {mode!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{_HOST_TAG}-{os.getpid()}.", suffix=".tmp",
                                    dir=target.parent)
    with _live_lock:
        _live_temp_files.add(os.path.abspath(tmp_name))
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if target.exists():
            os.chmod(tmp_name, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp_name, _umask_mode())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    finally:
        with _live_lock:
            _live_temp_files.discard(os.path.abspath(tmp_name))
    if durable:
        _fsync_dir(target.parent)


_HOST_TAG = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
_live_temp_files: set[str] = set()  # temp files this process is writing right now
_live_lock = threading.Lock()
# mkstemp's random part is 8 characters of [a-z0-9_]
_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<host>[0-9a-f]{6})-(?P<pid>\d+)\.[a-z0-9_]{8}\.tmp$")
_LEGACY_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp$")
LEGACY_TEMP_AGE = 600.0  # temp files without a writer in their name: stale once this old (seconds)
FOREIGN_TEMP_AGE = 86400.0  # written from another machine (a shared folder): cannot check its pid


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid > 0
    return True


def _is_stale(folder: Path, name: str, now: float) -> bool:
    path = folder / name
    try:
        age = now - path.lstat().st_mtime
    except OSError:
        return False
    match = _TEMP_NAME.match(name)
    if match is None:
        return _LEGACY_TEMP_NAME.match(name) is not None and age > LEGACY_TEMP_AGE
    if match["host"] != _HOST_TAG:
        return age > FOREIGN_TEMP_AGE
    pid = int(match["pid"])
    if pid == os.getpid():  # ours: stale unless a write of this process has it open now (pid reuse)
        with _live_lock:
            return os.path.abspath(path) not in _live_temp_files
    return not pid_alive(pid)


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove the temp files of atomic writes in ``folder`` that no live process is writing (left by a
    crash or a kill during a save); returns what was removed. Other files are never touched."""
    folder = Path(folder)
    removed: list[Path] = []
    now = time.time()
    try:
        names = [entry.name for entry in os.scandir(folder)
                 if entry.name.startswith(".") and entry.name.endswith(".tmp")
                 and entry.is_file(follow_symlinks=False)]
    except OSError:
        return removed
    for name in names:
        if _is_stale(folder, name, now):
            with contextlib.suppress(FileNotFoundError, PermissionError):
                (folder / name).unlink()
                removed.append(folder / name)
    return removed


def _umask_mode() -> int:
    """The mode a plain open() would give a new file (mkstemp makes 0600, which other tools can't read)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not all platforms allow opening a directory.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike, text: str, durable: bool = True) -> None:
    with atomic_open(path, "w", encoding="utf-8", durable=durable) as handle:
        handle.write(text)


def atomic_write_json(path: str | os.PathLike, obj: Any, durable: bool = True) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", durable=durable)


def atomic_save(path: str | os.PathLike, writer: Callable[[IO[bytes]], None]) -> None:
    """Call ``writer(handle)`` on a binary temp file, then rename it over ``path``."""
    with atomic_open(path, "wb") as handle:
        writer(handle)
