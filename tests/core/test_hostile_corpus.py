"""Every case of the hostile corpus (tests/core/hostile_corpus.py) through its public core call: it loads
exactly as expected, or it is refused with the project's own error naming the file and the real problem.
Never a raw exception, never a hang."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.core.hostile_corpus import CASES, verify


def _as_nobody(case, monkeypatch) -> list[str]:
    """Permissions do not stop root (CI runs as root): build as root, then verify in a child that drops to
    'nobody'."""
    folder = Path(tempfile.mkdtemp(prefix="seggan-hostile-"))
    try:
        os.chmod(folder, 0o777)
        path = case.build(folder)
        if os.geteuid() != 0:
            return verify(case, path)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os.close(read_end)
                os.setgid(65534)
                os.setuid(65534)
                problems = verify(case, path)
                os.write(write_end, json.dumps(problems).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            text = pipe.read()
        os.waitpid(pid, 0)
        return json.loads(text)
    finally:
        for root, dirs, _files in os.walk(folder):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_corpus_has_at_least_100_cases():
    assert len(CASES) >= 100
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_case(case, tmp_path, monkeypatch):
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    if case.needs_non_root:
        problems = _as_nobody(case, monkeypatch)
    else:
        problems = verify(case, case.build(tmp_path))
    assert problems == []
