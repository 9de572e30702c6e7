"""A workspace is a plain folder: ``images/``, ``masks/`` (palette PNG label maps), ``runs/<name>/``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PIL import Image

from core.atomic import atomic_open, atomic_save
from core.imageio import list_images

DEFAULT_SAMPLE_NAME = "sample_scene.png"


class Workspace:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser().resolve()

    @classmethod
    def open(cls, root: str | os.PathLike, create: bool = True) -> Workspace:
        """Open (and by default create) a workspace folder with its three sub-folders."""
        workspace = cls(root)
        if workspace.root.exists() and not workspace.root.is_dir():
            raise NotADirectoryError(f"{workspace.root}: not a folder")
        if create:
            for folder in (workspace.images_dir, workspace.masks_dir, workspace.runs_dir):
                folder.mkdir(parents=True, exist_ok=True)
        elif not workspace.root.is_dir():
            raise FileNotFoundError(f"{workspace.root}: no such folder")
        return workspace

    @property
    def images_dir(self) -> Path:
        return self.root / "images"

    @property
    def masks_dir(self) -> Path:
        return self.root / "masks"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def images(self) -> list[Path]:
        return list_images(self.images_dir)

    def mask_path(self, image_path: str | os.PathLike) -> Path:
        """Where the label map of an image lives: ``masks/<image stem>.png``."""
        return self.masks_dir / f"{Path(image_path).stem}.png"

    def runs(self) -> list[Path]:
        if not self.runs_dir.is_dir():
            return []
        return sorted(p for p in self.runs_dir.iterdir() if p.is_dir())

    def add_image(self, source: str | os.PathLike) -> Path:
        """Copy an image into ``images/`` (atomically), never overwriting: a clash gets a numbered name."""
        source = Path(source)
        target = self.images_dir / source.name
        counter = 1
        while target.exists():
            target = self.images_dir / f"{source.stem}_{counter}{source.suffix}"
            counter += 1
        with open(source, "rb") as src, atomic_open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return target

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"


def default_workspace_dir() -> Path:
    from platformdirs import user_data_dir

    override = os.environ.get("SEGGAN_WORKSPACE")
    if override:
        return Path(override).expanduser()
    return Path(user_data_dir("seggan-studio", appauthor=False)) / "workspace"


def ensure_default_workspace(root: str | os.PathLike | None = None) -> Workspace:
    """Open the default workspace; on first start, put the generated sample scene in it."""
    root = Path(root) if root is not None else default_workspace_dir()
    first_start = not root.exists()
    workspace = Workspace.open(root)
    if first_start or not any(workspace.images()):
        save_sample(workspace)
    return workspace


def save_sample(workspace: Workspace) -> Path:
    """Put the generated sample scene in ``images/`` with its named four-object mask in ``masks/`` (a mask
    the user already has there is kept), so a first start shows every panel with something to work on."""
    from core.maskio import write_mask
    from core.sample_scene import OBJECT_NAMES, make_sample_scene

    image_path = workspace.images_dir / DEFAULT_SAMPLE_NAME
    rgb, labels = make_sample_scene()
    atomic_save(image_path, lambda handle: Image.fromarray(rgb).save(handle, format="PNG"))
    mask_path = workspace.mask_path(image_path)
    if not mask_path.exists():
        write_mask(mask_path, labels, names=dict(enumerate(OBJECT_NAMES, start=1)))
    return image_path
