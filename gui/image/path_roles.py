"""File paths as Qt item data: a path whose name is not UTF-8 is kept as its bytes, hex-encoded, so Qt's
strings never drop undecodable bytes and the same file opens again."""

from __future__ import annotations

import os
from pathlib import Path

_BYTES_PREFIX = "\0fsbytes:"  # a path whose name is not UTF-8: Qt strings would drop its undecodable bytes


def path_to_role(path: str) -> str:
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return _BYTES_PREFIX + os.fsencode(path).hex()


def path_from_role(value: str) -> Path:
    if value.startswith(_BYTES_PREFIX):
        return Path(os.fsdecode(bytes.fromhex(value[len(_BYTES_PREFIX):])))
    return Path(value)
