"""Workers of a multi-worker run agree on when to stop.

A step budget stops every worker at the same step, but a time budget and Ctrl+C are decided by each process
on its own clock: one worker leaves the loop while the others wait in the next step's all-reduce, and the
cluster fails ("tasks have crashed") with the chief's run marked failed. So before each step the workers
sum their stop requests with one small all-reduce and all stop together. One process (one device or
MirroredStrategy) needs no agreement and pays nothing.
"""

from __future__ import annotations

from core.runtime import tensorflow


class StopAgreement:
    """``agree(cancelled, out_of_time)``: whether any worker wants to stop, and why."""

    def __init__(self, strategy):
        self._sum = None
        resolver = getattr(strategy, "cluster_resolver", None)
        if resolver is None or not resolver.cluster_spec().as_dict():
            return  # a single process: its own decision is the decision
        tf = tensorflow()

        @tf.function
        def sum_requests(requests):
            per_replica = strategy.run(lambda r: tf.identity(r), args=(requests,))
            return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

        self._tf = tf
        self._sum = sum_requests

    @property
    def across_workers(self) -> bool:
        return self._sum is not None

    def agree(self, cancelled: bool, out_of_time: bool) -> tuple[bool, bool]:
        if self._sum is None:
            return cancelled, out_of_time
        # Every replica of a worker holds that worker's flags; a sum above zero means someone asked.
        total = self._sum(self._tf.constant([float(cancelled), float(out_of_time)], self._tf.float32)).numpy()
        return bool(total[0] > 0), bool(total[1] > 0)
