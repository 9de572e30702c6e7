"""Application logging to a rotating file in the user log folder (platformdirs)."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOG_NAME = "seggan-studio.log"


def log_dir() -> Path:
    override = os.environ.get("SEGGAN_LOG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_log_dir

    return Path(user_log_dir("seggan-studio", appauthor=False))


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to ``<log dir>/seggan-studio.log`` (1 MB x 3 files); returns the file's path. Idempotent."""
    folder = log_dir()
    path = folder / LOG_NAME
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_seggan", False) and Path(handler.baseFilename) == path:
            return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return path
    handler._seggan = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return path
