"""One way to load a run's saved weights into a model built in code, for every task (the U-Net's segmenter,
the GAN's explorer, a U-Net started from another run's weights).

Which weights: ``default`` is what the run recorded in ``model/weights.json`` (see core.training.weights: best
validated, else averaged, else final); a run that recorded nothing (yet) gives its final ``<name>.weights.h5``
or its latest checkpoint (a run still training can already be used). ``best``, ``ema``, ``final`` or
``checkpoint`` ask for one of them. Weights only: nothing is deserialised as code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.training.run_folder import RunFolder
from core.training.weights import describe_variant, read_manifest, variant_file

WEIGHT_CHOICES = ("default", "best", "ema", "final", "checkpoint")


class WeightsError(Exception):
    """The run has no such weights, or they do not fit the model (the message names the run or file)."""


@dataclass(frozen=True)
class LoadedWeights:
    variant: str  # best, ema, final or checkpoint
    path: str  # the .weights.h5 file, or the checkpoint's prefix
    description: str  # for people: "best validated weights (step 512, validation/foreground_iou 0.861, ...)"


def load_run_weights(model, run_dir: str | os.PathLike, model_name: str, variant: str = "default", *,
                     final_names: tuple[str, ...] = (), newest: bool = True, label: str = "weights",
                     error: type[Exception] = WeightsError) -> LoadedWeights:
    """Load ``run_dir``'s weights of ``model_name`` (its ``<name>.weights.h5`` files and its checkpoint's
    ``model_<name>``) into ``model``; ``variant`` as in the module's docstring.

    With no recorded variant to use, the final weights are the first of ``final_names`` (default: the
    model's own name) present in ``model/``; ``newest``: a checkpoint saved after them wins (a finished run
    resumed and training again), else they always win over the checkpoint. ``label`` names the weights in
    "no saved ... yet"; failures raise ``error`` (the caller's own error type)."""
    if variant not in WEIGHT_CHOICES:
        raise error(f"weights must be one of {', '.join(WEIGHT_CHOICES)}, not {variant!r}")
    run = RunFolder(run_dir)
    model_dir = run.model_dir
    finals = [model_dir / f"{name}.weights.h5" for name in (final_names or (model_name,))]
    final = next((path for path in finals if path.is_file()), None)
    manifest = read_manifest(model_dir)
    wanted = manifest.get("default") if variant == "default" else variant
    if wanted and wanted != "checkpoint":
        path = variant_file(model_dir, wanted, model_name)
        if path is None and wanted == "final":
            path = final  # a run from before weights.json
        if path is not None:
            _load_file(model, path, error)
            return LoadedWeights(wanted, str(path), describe_variant(wanted, manifest["variants"].get(wanted)))
        if variant != "default":
            offered = ", ".join(sorted(manifest["variants"])) or "none recorded"
            raise error(f"{run_dir}: no {variant} weights (the run has: {offered})")
    from core.runtime import tensorflow

    tf = tensorflow()
    checkpoint = tf.train.latest_checkpoint(str(run.checkpoints_dir))
    final_wins = final is not None and (not newest or checkpoint is None
                                        or final.stat().st_mtime >= _mtime(checkpoint))
    if final_wins and variant != "checkpoint":
        _load_file(model, final, error)
        return LoadedWeights("final", str(final), describe_variant("final", None))
    if checkpoint is None:
        raise error(f"{run_dir}: no saved {label} yet (no model/ weights and no checkpoint)")
    tf.train.Checkpoint(**{f"model_{model_name}": model}).restore(checkpoint).expect_partial()
    step = checkpoint.rsplit("-", 1)[-1]
    return LoadedWeights("checkpoint", checkpoint, f"{describe_variant('checkpoint', None)}, step {step}")


def _load_file(model, path: Path, error: type[Exception]) -> None:
    try:
        model.load_weights(path)
    except Exception as exc:  # noqa: BLE001 - h5py and Keras raise many types for bad files
        raise error(f"{path}: cannot load these weights into the model built from the run's config "
                    f"({type(exc).__name__}: {exc})") from None


def _mtime(checkpoint_prefix: str) -> float:
    index = Path(checkpoint_prefix + ".index")
    return index.stat().st_mtime if index.exists() else 0.0
