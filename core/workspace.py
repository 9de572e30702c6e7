"""A workspace is a plain folder: ``images/``, ``masks/`` (palette PNG label maps), ``runs/<name>/``."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import stat
from pathlib import Path

from PIL import Image

from core.atomic import atomic_open, atomic_save, remove_stale_temp_files
from core.imageio import list_images
from core.pathtext import display_path

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_NAME = "sample_scene.png"
SUBFOLDERS = ("images", "masks", "runs")


class WorkspaceError(OSError):
    """A folder cannot be used as a workspace. ``str(err)`` names the path and what is wrong with it.
    (An OSError, so callers that catch file-system errors catch it too.)"""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = os.fsdecode(path)
        self.problem = problem
        super().__init__(f"{display_path(path)}: {problem}")

    def __str__(self) -> str:
        return self.args[0]


def _what_is_wrong(path: Path, role: str) -> str | None:
    """Why ``path`` cannot be a folder of the workspace (``role`` says which), or None if it can or does
    not exist yet."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return f"{role} is a broken symbolic link (its target {display_path(os.readlink(path))} does not exist)"
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{role} is a symbolic link loop (it points back to itself)"
        if exc.errno == errno.ENOTDIR:
            return f"{role} lies under a file, not a folder"
        if exc.errno == errno.EACCES:
            return f"{role} cannot be reached: permission denied"
        return f"{role} cannot be reached ({exc.strerror or exc})"
    if stat.S_ISDIR(info.st_mode):
        if not os.access(path, os.R_OK | os.X_OK):
            return f"{role} cannot be read: permission denied"
        return None
    kind = "a file" if stat.S_ISREG(info.st_mode) else "a special file (pipe, device or socket)"
    return f"{role} is {kind}, not a folder"


class Workspace:
    def __init__(self, root: str | os.PathLike):
        root = Path(root).expanduser()
        try:
            self.root = root.resolve()
        except (OSError, RuntimeError):  # a symlink loop: open() explains it
            self.root = root.absolute()

    @classmethod
    def open(cls, root: str | os.PathLike, create: bool = True) -> Workspace:
        """Open (and by default create) a workspace folder with its three sub-folders. Anything in the way
        (the path is a file, ``images/`` is a file or a link loop, no permission, ...) is a
        :class:`WorkspaceError` naming the path and the problem. Temp files left by interrupted saves are
        removed."""
        workspace = cls(root)
        problem = _what_is_wrong(workspace.root, "the workspace path")
        if problem:
            raise WorkspaceError(workspace.root, problem)
        if not workspace.root.exists() and not create:
            raise WorkspaceError(workspace.root, "no such folder")
        for name in SUBFOLDERS:
            folder = workspace.root / name
            problem = _what_is_wrong(folder, f"its {name}/")
            if problem:
                raise WorkspaceError(folder, problem)
            if create and not folder.is_dir():
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise WorkspaceError(folder, f"cannot create its {name}/ folder "
                                         f"({exc.strerror or exc})") from None
        workspace.remove_stale_temp_files()
        return workspace

    def remove_stale_temp_files(self) -> int:
        """Temp files of interrupted atomic saves in the workspace's folders (see core.atomic)."""
        removed = []
        for folder in (self.root, self.images_dir, self.masks_dir, *self._subfolders()):
            removed += remove_stale_temp_files(folder)
        if removed:
            log.info("removed %d temp files left by interrupted saves in %s", len(removed),
                     display_path(self.root))
        return len(removed)

    def _subfolders(self) -> list[Path]:
        """Sequence folders of ``images/`` and per-frame mask folders of ``masks/`` (stacks)."""
        found = []
        for parent in (self.images_dir, self.masks_dir):
            try:
                found += [Path(e.path) for e in os.scandir(parent) if e.is_dir(follow_symlinks=False)]
            except OSError:
                continue
        return found

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
        """Image files of ``images/`` (a multi-page or animated file is one entry); see :meth:`items`."""
        return list_images(self.images_dir)

    def items(self) -> list[Path]:
        """One entry per image or stack: the image files plus the sequence folders (sub-folders holding
        images) of ``images/``, sorted by name."""
        try:
            folders = [p for p in self.images_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
                       and list_images(p)]
        except OSError:
            folders = []
        return sorted(self.images() + folders, key=lambda p: p.name.lower())

    def frame_mask_path(self, stack_path: str | os.PathLike, index: int) -> Path:
        """Where frame ``index`` (0-based) of a stack keeps its label map: ``masks/<stem>/<index:04d>.png``."""
        from core.stacks.frame_masks import frame_mask_path

        return frame_mask_path(self, stack_path, index)

    def masked_frames(self, stack_path: str | os.PathLike) -> list[int]:
        """The frames of a stack that have a label map, in order."""
        from core.stacks.frame_masks import masked_frames

        return masked_frames(self, stack_path)

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
