"""Which saved weights a run offers, and which of them to use: ``model/weights.json``.

    {"default": "best",
     "variants": {"final": {"files": ["unet.weights.h5"], "step": 640},
                  "ema":   {"files": ["ema/unet.weights.h5"], "step": 640},
                  "best":  {"files": ["best/unet.weights.h5"], "step": 512, "weights": "ema",
                            "metric": "validation/mean_iou", "value": 0.861, "measured_on": "5 validation images"}}}

``best`` are the weights that scored best on the run's validation measure (the averaged weights when the
task keeps an average), ``ema`` the averaged weights at the end, ``final`` the optimizer's weights at the end.
The default is the best of what exists: best, then ema, then final. Files are relative to ``model/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.atomic import atomic_write_json

MANIFEST = "weights.json"
PREFERENCE = ("best", "ema", "final")
DESCRIPTIONS = {
    "best": "best validated weights",
    "ema": "averaged (EMA) weights at the end",
    "final": "final weights",
    "checkpoint": "latest checkpoint (the run is still training)",
}


def read_manifest(model_dir: str | Path) -> dict:
    """The manifest, or an empty one (older runs, runs that saved nothing yet, an unreadable file)."""
    try:
        data = json.loads((Path(model_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"default": None, "variants": {}}
    if not isinstance(data, dict) or not isinstance(data.get("variants"), dict):
        return {"default": None, "variants": {}}
    return data


def record_variant(model_dir: str | Path, name: str, files: list[str | Path], step: int, **info) -> dict:
    """Add or replace one variant and make the default the most preferred variant present."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    relative = [str(Path(f).resolve().relative_to(model_dir.resolve())) if Path(f).is_absolute() else str(f)
                for f in files]
    manifest["variants"][name] = {"files": relative, "step": int(step), **info}
    manifest["default"] = next((v for v in PREFERENCE if v in manifest["variants"]), name)
    atomic_write_json(model_dir / MANIFEST, manifest)
    return manifest


def variant_file(model_dir: str | Path, variant: str, model_name: str) -> Path | None:
    """The weights file of ``model_name`` (e.g. "unet") in ``variant``, if recorded and present."""
    entry = read_manifest(model_dir)["variants"].get(variant)
    if not entry:
        return None
    for name in entry.get("files", []):
        path = Path(model_dir) / name
        if Path(name).name == f"{model_name}.weights.h5" and path.is_file():
            return path
    return None


def describe_variant(variant: str, entry: dict | None) -> str:
    """One line for people: 'best validated weights (step 512, validation/mean_iou 0.861, averaged weights)'."""
    text = DESCRIPTIONS.get(variant, variant)
    if not entry:
        return text
    details = [f"step {entry['step']}"] if "step" in entry else []
    if entry.get("metric") and entry.get("value") is not None:
        details.append(f"{entry['metric']} {float(entry['value']):.4g}")
    if entry.get("measured_on"):
        details.append(f"on {entry['measured_on']}")
    if entry.get("weights") == "ema" and variant == "best":
        details.append("averaged weights")
    return f"{text} ({', '.join(details)})" if details else text
