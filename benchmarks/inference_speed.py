"""U-Net inference speed: what `seggan segment` and the Segment panel's "Segment this image" cost.

For a trained U-Net run and a folder of images it measures, in one process (TensorFlow already loaded, as
it is in the app by the time someone segments):

- ``segment_this_image``: the panel's first click (load the run's weights into the model built in code, then
  predict one image: this includes tracing) and later clicks on another image (median of ``--repeats``);
- ``seggan_segment``: ``segment_images_job`` over the folder (decode, predict, write palette PNGs), as the
  CLI runs it, in images/s, with the segmenter loaded beforehand (the CLI loads it once);
- ``predict_only``: ``Segmenter.predict`` alone per image size (the folder's images, and a 2x2 mosaic of
  them, which is one 1024-pixel tile by default; it took nine overlapping 512-pixel tiles before).

TensorFlow gets both cores, as in ``seggan segment``; the app keeps one core for its UI, so for the panel's
latency as the app sees it run with ``SEGGAN_INTRA_OP_THREADS=1``. The script runs on older trees too (it
leaves out ``precision`` when not given), so the same file A/Bs a change against main.

Prints one JSON object:

    .venv/bin/python benchmarks/inference_speed.py --run RUN --images DIR [--precision float32]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SEGGAN_INTRA_OP_THREADS", "2")
os.environ.setdefault("SEGGAN_INTER_OP_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


def _load_segmenter(run: Path, precision: str | None):
    from core.unet.inference import load_segmenter

    if precision is None:  # the code under test may predate the precision argument
        return load_segmenter(run)
    return load_segmenter(run, precision=precision)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a trained unet run folder")
    parser.add_argument("--images", type=Path, required=True, help="folder of images to segment")
    parser.add_argument("--precision", default=None, help="passed to load_segmenter (default: its own default)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3, help="passes of segment_images_job over the folder")
    args = parser.parse_args(argv)

    from core.imageio import list_images, load_image
    from core.jobs import CancelToken
    from core.runtime import tensorflow
    from core.unet.inference import segment_images_job

    tf = tensorflow()
    paths = list_images(args.images)
    images = [load_image(p).rgb for p in paths]
    tf.constant(0.0).numpy()  # TensorFlow's first op, as in the app before anyone segments

    start = time.perf_counter()
    segmenter = _load_segmenter(args.run, args.precision)
    segmenter.predict(images[0])
    first_click = time.perf_counter() - start
    later = []
    for i in range(args.repeats):
        start = time.perf_counter()
        segmenter.predict(images[(i + 1) % len(images)])
        later.append(time.perf_counter() - start)

    mosaic = np.concatenate([np.concatenate(images[:2], axis=1), np.concatenate(images[2:4], axis=1)], axis=0) \
        if len(images) >= 4 else images[0]
    predict_only = {}
    for name, image in (("folder_image", images[0]), ("mosaic", mosaic)):
        segmenter.predict(image)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            segmenter.predict(image)
            times.append(time.perf_counter() - start)
        predict_only[name] = {"shape": list(image.shape[:2]), "median_ms": round(1000 * statistics.median(times), 1)}

    rates = []
    with tempfile.TemporaryDirectory(prefix="seggan-infer-") as out:
        for _ in range(args.passes):
            start = time.perf_counter()
            segment_images_job(args.run, paths, out, CancelToken(), lambda event: None, segmenter=segmenter)
            rates.append(len(paths) / (time.perf_counter() - start))

    report = {
        "benchmark": "inference_speed", "run": str(args.run), "images": len(paths),
        "image_shape": list(images[0].shape), "precision": getattr(segmenter, "precision", "float32"),
        "segment_this_image": {"first_click_s": round(first_click, 3),
                               "later_click_median_ms": round(1000 * statistics.median(later), 1)},
        "seggan_segment": {"images_per_s": round(statistics.median(rates), 2),
                           "per_pass": [round(r, 2) for r in rates]},
        "predict_only": predict_only,
        "threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                    "inter_op": tf.config.threading.get_inter_op_parallelism_threads()},
        "loadavg": [round(v, 2) for v in os.getloadavg()],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
