"""U-Net segmentation: model builder, losses, metrics, datasets, input pipeline, training task, inference.

Nothing here imports TensorFlow at import time; the functions that need it call ``core.runtime.tensorflow()``.
"""
