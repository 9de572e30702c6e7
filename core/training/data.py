"""Data helpers every task's pipeline shares."""

from __future__ import annotations


def batch_indices(num_examples: int, global_batch_size: int, start_step: int, seed: int):
    """A dataset of int64 vectors: the example indices of batch ``start_step``, ``start_step + 1``, ...

    Every epoch is a fresh permutation (``tf.random.experimental.index_shuffle``, no shuffle buffer), so the
    batches are a pure function of (seed, step): resuming needs no saved iterator state.
    """
    from core.runtime import tensorflow

    tf = tensorflow()
    n = int(num_examples)
    b = int(global_batch_size)

    def indices(step):
        flat = step * b + tf.range(b, dtype=tf.int64)
        epoch = flat // n
        position = flat % n
        seeds = tf.stack([tf.fill([b], tf.constant(seed, tf.int64)), epoch, tf.zeros([b], tf.int64)], axis=1)
        return tf.raw_ops.RandomIndexShuffle(index=position, seed=seeds,
                                             max_index=tf.constant(n - 1, tf.int64), rounds=4)

    return tf.data.Dataset.range(int(start_step), 2**62).map(indices)
