"""Counting the floating-point operations of a traced step with TensorFlow's profiler.

``count_flops`` traces a function for given inputs and sums TensorFlow's registered per-op FLOP counts over
the graph (convolutions and matrix products as 2 x multiply-adds, their gradients likewise, elementwise ops
one per element; ops without a registered count, such as the fused batch norm kernel, count zero, which
changes the total by well under 1 % for a U-Net). Dividing by the measured step time gives the GFLOP/s the
step achieves, to compare with core.hardware's peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FlopCount:
    total: int
    by_op_type: dict = field(default_factory=dict)  # op type -> FLOPs, largest first

    @property
    def gflop(self) -> float:
        return self.total / 1e9


def count_flops(fn, *args) -> FlopCount:
    """FLOPs of one call of ``fn(*args)`` (``args`` are tensors or tf.TensorSpecs with static shapes)."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    from core.runtime import tensorflow

    tf = tensorflow()
    graph = tf.function(fn).get_concrete_function(*args).graph
    options = option_builder.ProfileOptionBuilder(option_builder.ProfileOptionBuilder.float_operation()) \
        .with_empty_output().build()
    nodes = model_analyzer.profile(graph, options=options)
    by_type: dict[str, int] = {}
    types = {op.name: op.type for op in graph.get_operations()}  # the profile is keyed by op name

    def walk(item):
        if item.float_ops and item.name in types:
            by_type[types[item.name]] = by_type.get(types[item.name], 0) + int(item.float_ops)
        for child in item.children:
            walk(child)

    walk(nodes)
    ordered = dict(sorted(by_type.items(), key=lambda kv: -kv[1]))
    return FlopCount(int(nodes.total_float_ops), ordered)


def count_task_step_flops(task, global_batch_size: int) -> FlopCount:
    """FLOPs of one ``task.train_step`` on a batch shaped like the task's dataset (the task must be built)."""
    from core.runtime import tensorflow

    tf = tensorflow()
    spec = task.dataset(global_batch_size, 0).element_spec
    specs = tf.nest.map_structure(lambda s: tf.TensorSpec([global_batch_size, *s.shape[1:]], s.dtype), spec)
    return count_flops(lambda batch: task.train_step(batch, global_batch_size), specs)
