"""Text that is safe to show, log or encode for any path or message, including file names that are not
valid UTF-8 (on POSIX, Python keeps their bytes as lone surrogates, which no encoder accepts)."""

from __future__ import annotations

import os


def safe_text(text: str) -> str:
    """``text`` unchanged when it encodes as UTF-8; otherwise undecodable bytes become ``\\xNN`` escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")  # the original bytes of an os.fsdecode()d name
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")  # other lone surrogates
    return raw.decode("utf-8", "backslashreplace")


def display_path(path: str | bytes | os.PathLike) -> str:
    """A path as text for messages: ``os.fsdecode`` then :func:`safe_text`."""
    return safe_text(os.fsdecode(path))
