"""The training engine: one custom loop over tf.distribute for every task (segmentation, GANs, ...).

- :mod:`core.training.config`: the run configuration saved as ``config.json``.
- :mod:`core.training.run_folder`: the run folder layout, metrics.csv, status.json, samples.
- :mod:`core.training.task`: the interface a model plugs into the loop with.
- :mod:`core.training.engine`: the loop (budget, checkpoints, summaries, control, NaN guard, resume).
- :mod:`core.training.runs`: listing, summarising and exporting runs (CLI and Train panel).
"""
