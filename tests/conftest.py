from __future__ import annotations

import os
import tempfile

# Qt tests run offscreen; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Runs with precision "auto" compute in float32 here, on every machine, so that numbers compared across runs
# do not depend on the machine's measured precision choice (tests of that choice unset this themselves), and
# nothing is cached in the user's folders.
os.environ.setdefault("SEGGAN_PRECISION", "float32")
os.environ.setdefault("SEGGAN_PRECISION_CACHE", os.path.join(tempfile.gettempdir(),
                                                             f"seggan-test-precision-{os.getpid()}.json"))
