from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from core.atomic import atomic_open, atomic_write_json, atomic_write_text
from core.imageio import load_image
from core.maskio import read_mask, write_mask
from core.sample_scene import OBJECT_NAMES, make_sample_scene
from core.workspace import DEFAULT_SAMPLE_NAME, Workspace, WorkspaceError, ensure_default_workspace


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "config.json"
    atomic_write_json(path, {"a": 1})
    atomic_write_json(path, {"a": 2, "b": [1, 2]})
    assert json.loads(path.read_text()) == {"a": 2, "b": [1, 2]}
    assert os.listdir(tmp_path) == ["config.json"]


def test_crash_during_atomic_write_keeps_old_file(tmp_path):
    path = tmp_path / "metrics.csv"
    atomic_write_text(path, "step,loss\n1,0.5\n")
    with pytest.raises(RuntimeError):
        with atomic_open(path, "w", encoding="utf-8") as handle:
            handle.write("step,loss\n1,0.5\n2,")
            raise RuntimeError("power cut")
    assert path.read_text() == "step,loss\n1,0.5\n"
    assert os.listdir(tmp_path) == ["metrics.csv"]


def test_atomic_open_refuses_append():
    with pytest.raises(ValueError):
        with atomic_open("x", "a"):
            pass


def test_workspace_layout_and_mask_paths(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    for name in ("images", "masks", "runs"):
        assert (tmp_path / "ws" / name).is_dir()
    assert workspace.mask_path(workspace.images_dir / "cat.jpg") == workspace.masks_dir / "cat.png"
    (workspace.runs_dir / "run1").mkdir()
    assert [p.name for p in workspace.runs()] == ["run1"]


def test_workspace_add_image_never_overwrites(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    source = tmp_path / "pic.png"
    Image.new("RGB", (2, 2), (1, 2, 3)).save(source)
    first = workspace.add_image(source)
    second = workspace.add_image(source)
    assert first.name == "pic.png" and second.name == "pic_1.png"
    assert [p.name for p in workspace.images()] == ["pic.png", "pic_1.png"]


def test_workspace_on_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="the workspace path is a file, not a folder"):
        Workspace.open(tmp_path / "file")


def test_first_start_creates_sample_scene(tmp_path):
    workspace = ensure_default_workspace(tmp_path / "fresh")
    images = workspace.images()
    assert [p.name for p in images] == [DEFAULT_SAMPLE_NAME]
    loaded = load_image(images[0])
    assert loaded.rgb.shape == (480, 640, 3)
    # a second start does not add another copy
    ensure_default_workspace(tmp_path / "fresh")
    assert len(Workspace.open(tmp_path / "fresh").images()) == 1


def test_first_start_sample_scene_comes_with_its_named_mask(tmp_path):
    """The README's first picture: the sample scene with its four labelled objects, not an empty overlay."""
    workspace = ensure_default_workspace(tmp_path / "fresh")
    mask = read_mask(workspace.mask_path(workspace.images()[0]), expected_size=(640, 480))
    _, labels = make_sample_scene()
    np.testing.assert_array_equal(mask.labels, labels)
    assert mask.report.names == {1: "ball", 2: "box", 3: "ring", 4: "leaf"}


def test_restoring_the_sample_keeps_a_mask_the_user_made(tmp_path):
    workspace = ensure_default_workspace(tmp_path / "fresh")
    mask_path = workspace.mask_path(workspace.images()[0])
    mine = np.zeros((480, 640), np.uint8)
    mine[:10, :10] = 7
    write_mask(mask_path, mine)
    workspace.images()[0].unlink()  # the images folder is empty again: the sample comes back
    ensure_default_workspace(tmp_path / "fresh")
    np.testing.assert_array_equal(read_mask(mask_path).labels, mine)


def test_sample_scene_has_distinct_objects_on_textured_background():
    image, labels = make_sample_scene(seed=3)
    again, _ = make_sample_scene(seed=3)
    np.testing.assert_array_equal(image, again)
    assert set(np.unique(labels).tolist()) == set(range(len(OBJECT_NAMES) + 1))
    background = image[labels == 0].astype(float)
    assert background.std(axis=0).mean() > 10, "the background is textured, not flat"
    means = [image[labels == k].mean(axis=0) for k in range(1, 5)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert np.abs(means[i] - means[j]).max() > 30, "objects have distinct colours"


def test_atomic_files_get_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
        assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "a.txt", 0o600)
        atomic_write_text(tmp_path / "a.txt", "y")  # a replaced file keeps its mode
        assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
