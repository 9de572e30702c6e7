"""``seggan train-gan``, ``seggan sample`` and ``seggan interpolate`` end to end (in-process, tiny runs)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from core.cli import main


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "run"
    code = main(["train-gan", "--data", "procedural", "--out", str(run), "--steps", "20", "--size", "28",
                 "--width", "8", "--latent-dim", "16", "--batch-size", "16", "--sample-every", "10",
                 "--quality-every", "0"])
    assert code == 0
    return run


def test_train_gan_writes_a_complete_run(cli_run, capsys):
    config = json.loads((cli_run / "config.json").read_text())
    assert config["task"] == "gan" and config["task_params"]["size"] == 28
    assert config["learning_rates"] == {"generator": 2e-4, "discriminator": 2e-4}
    architecture = json.loads((cli_run / "model" / "architecture.json").read_text())
    assert architecture["arch"]["num_classes"] == 3  # procedural shapes have 3 classes: conditional by "auto"
    assert architecture["class_names"] == ["disc", "square", "triangle"]
    assert {p.name for p in (cli_run / "model").glob("*.h5")} == {
        "generator.weights.h5", "discriminator.weights.h5", "generator_ema.weights.h5"}
    assert sorted(p.name for p in (cli_run / "samples").iterdir()) == ["step_000010.png", "step_000020.png"]


def test_sample_writes_one_png_per_seed_and_grids(cli_run, tmp_path, capsys):
    out = tmp_path / "samples"
    assert main(["sample", "--run", str(cli_run), "--count", "3", "--seed", "7", "--output", str(out),
                 "--class", "1"]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["seed000007.png", "seed000008.png", "seed000009.png"]
    first = np.asarray(Image.open(out / "seed000008.png"))
    assert first.shape == (28, 28)  # grayscale samples stay grayscale
    again = tmp_path / "again"
    main(["sample", "--run", str(cli_run), "--count", "1", "--seed", "8", "--output", str(again), "--class", "1"])
    assert np.array_equal(np.asarray(Image.open(again / "seed000008.png")), first)  # a seed is a picture
    grid = tmp_path / "grid.png"
    assert main(["sample", "--run", str(cli_run), "--count", "16", "--seed", "0", "--output", str(grid),
                 "--grid", "--truncation", "0.5", "--scale", "2"]) == 0
    assert Image.open(grid).size == (4 * 57 - 1, 4 * 57 - 1)
    assert "16-sample grid" in capsys.readouterr().out


def test_interpolate_writes_a_gif_whose_ends_are_the_samples(cli_run, tmp_path):
    gif = tmp_path / "walk.gif"
    assert main(["interpolate", "--run", str(cli_run), "--from", "3", "--to", "5", "--frames", "6",
                 "--output", str(gif)]) == 0
    main(["sample", "--run", str(cli_run), "--count", "1", "--seed", "3", "--output", str(tmp_path / "s"),
          "--class", "0"])
    with Image.open(gif) as picture:
        assert picture.n_frames == 10  # 6 forward, 4 back
        picture.seek(0)
        first = np.asarray(picture.convert("L"))
    sample = np.asarray(Image.open(tmp_path / "s" / "seed000003.png"))
    assert np.abs(first.astype(int) - sample.astype(int)).max() <= 2  # GIF palette rounding only


def test_bad_input_gets_clear_messages(cli_run, tmp_path, capsys):
    assert main(["sample", "--run", str(tmp_path), "--output", str(tmp_path / "o")]) == 2
    assert "not a GAN run folder" in capsys.readouterr().err
    assert main(["sample", "--run", str(cli_run), "--class", "9", "--output", str(tmp_path / "o")]) == 2
    assert "class must be in 0..2" in capsys.readouterr().err
    assert main(["train-gan", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # no half-made run folder
    with pytest.raises(SystemExit):
        main(["sample", "--run", str(cli_run), "--seed", "-3", "--output", str(tmp_path / "o")])
