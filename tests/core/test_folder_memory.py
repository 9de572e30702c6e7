"""Where file dialogs start: the workspace first, then the last folder chosen for that kind of file."""

from __future__ import annotations

from core.folder_memory import FolderMemory


def test_dialogs_start_in_the_workspace_folder_for_their_kind(tmp_path):
    for sub in ("images", "masks", "runs"):
        (tmp_path / sub).mkdir()
    memory = FolderMemory({})
    assert memory.start("images", tmp_path) == tmp_path / "images"
    assert memory.start("runs", tmp_path) == tmp_path / "runs"
    assert memory.start("exports", tmp_path) == tmp_path
    assert memory.start_file("exports", tmp_path, "metrics.csv") == tmp_path / "metrics.csv"


def test_the_last_chosen_folder_wins_per_kind_while_it_exists(tmp_path):
    (tmp_path / "images").mkdir()
    chosen = tmp_path / "elsewhere"
    chosen.mkdir()
    store = {}
    memory = FolderMemory(store)
    memory.remember("exports", chosen / "grid.png")  # a file: its folder is remembered
    memory.remember("images", chosen)  # a folder: itself
    assert memory.start("exports", tmp_path) == chosen
    assert memory.start("images", tmp_path) == chosen
    assert memory.start("masks", tmp_path) == tmp_path  # other kinds are not affected
    assert FolderMemory(store).start("exports", tmp_path) == chosen  # kept in the store (QSettings in the app)
    chosen.rmdir()
    assert memory.start("images", tmp_path) == tmp_path / "images"  # gone: back to the workspace
