"""Test-time augmentation: class probabilities averaged over flipped and transposed views of the input.

On membrane (benchmarks/train_seg.py) 8 views gave +0.006 test mean IoU for 8x the inference time, so
``seggan segment`` uses none by default (``--tta N``).
"""

from __future__ import annotations

TTA_VIEWS = (1, 2, 4, 8)


def averaged_over_views(tf, probabilities, images, views: int):
    """Mean class probabilities over ``views`` flips (2: left-right; 4: and up-down) and, for 8, the same
    views transposed; each view's prediction is mapped back before averaging. One model call per group of
    same-shaped views (a batch ``views`` or ``views / 2`` times larger)."""
    flips = [(False, False), (False, True), (True, False), (True, True)][:min(views, 4)]

    def flip(x, up_down, left_right):
        if up_down:
            x = x[:, ::-1]
        return x[:, :, ::-1] if left_right else x

    n = tf.shape(images)[0]
    total = None
    for transposed in ((False, True) if views == 8 else (False,)):
        base = tf.transpose(images, [0, 2, 1, 3]) if transposed else images
        probs = probabilities(tf.concat([flip(base, *f) for f in flips], axis=0))
        for k, f in enumerate(flips):
            back = flip(probs[k * n:(k + 1) * n], *f)
            back = tf.transpose(back, [0, 2, 1, 3]) if transposed else back
            total = back if total is None else total + back
    return total / float(views)
