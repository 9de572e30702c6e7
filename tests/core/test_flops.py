"""Counting a traced step's FLOPs with TensorFlow's profiler."""

from __future__ import annotations

import numpy as np

from core.training.flops import count_flops, count_task_step_flops
from tests.core.unet_helpers import unet_params, write_folders


def test_a_convolution_counts_two_flops_per_multiply_add():
    from core.runtime import tensorflow

    tf = tensorflow()
    kernel = tf.constant(np.ones((3, 3, 3, 4), np.float32))
    spec = tf.TensorSpec([2, 8, 8, 3], tf.float32)
    count = count_flops(lambda x: tf.nn.conv2d(x, kernel, 1, "SAME"), spec)
    assert count.by_op_type["Conv2D"] == 2 * (2 * 8 * 8 * 4) * (3 * 3 * 3)
    assert count.total >= count.by_op_type["Conv2D"]


def test_a_unet_training_step_is_about_three_forward_passes(tmp_path):
    from core.runtime import tensorflow
    from core.unet.model import UNetSpec, build_unet
    from core.unet.task import UNetTask

    tf = tensorflow()
    images, masks = write_folders(tmp_path / "data", count=3)
    params = unet_params(images, masks)
    task = UNetTask(params, seed=0)
    task.build({"main": 1e-3})
    step = count_task_step_flops(task, 4)
    model = build_unet(UNetSpec.from_params(params))
    forward = count_flops(lambda x: model(x, training=False), tf.TensorSpec([4, 32, 32, 3], tf.float32))
    # backward = input gradients + weight gradients, each about a forward pass
    assert 2.5 * forward.total < step.total < 3.6 * forward.total
    assert {"Conv2DBackpropFilter", "Conv2DBackpropInput"} <= set(step.by_op_type)
