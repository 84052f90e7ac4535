"""The image pool of CycleGAN (Shrivastava et al. 2017), in the graph.

The discriminator sees a mix of the newest fakes and fakes from earlier steps, which damps oscillation.
Semantics per image, in batch order: while the pool holds fewer than `pool_size` images, store the new image
and return it; once full, with probability 0.5 return a stored image and put the new one in its place,
otherwise return the new image; the discriminator step trains on what it returns. The pool lives in variables,
so a training step needs no host round-trip and the pool is saved with the checkpoint.
"""
from discogan.runtime.tf_compat import tf, v1


def pool_query(buffer, count, images, swap_draws, slot_draws):
    """One pool query, vectorised over the batch with the same result as the per-image loop.

    `swap_draws` are uniform [0, 1) numbers and `slot_draws` pool indices, one per image. Returns
    (images for the discriminator, the new buffer, the new count).
    """
    pool_size = buffer.shape[0]
    batch = tf.shape(images)[0]
    order = tf.range(batch)
    fills = order < pool_size - count
    writes = fills | (swap_draws > 0.5)
    slots = tf.where(fills, count + order, slot_draws)
    earlier_writer = (writes[:, None] & tf.equal(slots[:, None], slots[None, :])
                      & (order[:, None] < order[None, :]))
    last_writer = tf.reduce_max(tf.where(earlier_writer, order[:, None], -1), axis=0)
    stored = tf.where((last_writer >= 0)[:, None, None, None],
                      tf.gather(images, tf.maximum(last_writer, 0)),
                      tf.gather(buffer, tf.minimum(slots, pool_size - 1)))
    swaps = writes & ~fills
    returned = tf.where(swaps[:, None, None, None], stored, images)
    slot_writer = tf.math.unsorted_segment_max(tf.where(writes, order, -1), tf.where(writes, slots, 0), pool_size)
    new_buffer = tf.where((slot_writer >= 0)[:, None, None, None],
                          tf.gather(images, tf.maximum(slot_writer, 0)), buffer)
    return returned, new_buffer, tf.minimum(count + batch, pool_size)


class ImagePool:
    """A pool of up to `pool_size` earlier fakes held in graph variables; `query` returns the pooled batch."""

    def __init__(self, image_shape, name, pool_size=50):
        self.pool_size = pool_size
        if pool_size > 0:
            # Each replica (discogan.training.distributed) pools its own fakes; checkpoints hold the first one's.
            own = dict(trainable=False, synchronization=v1.VariableSynchronization.ON_READ,
                       aggregation=v1.VariableAggregation.ONLY_FIRST_REPLICA)
            with v1.variable_scope(name):
                self.buffer = v1.get_variable("buffer", [pool_size, *image_shape], initializer=v1.zeros_initializer(),
                                              **own)
                self.count = v1.get_variable("count", [], tf.int32, initializer=v1.zeros_initializer(), **own)

    def query(self, images):
        """Images for the discriminator: new fakes mixed with stored ones; updates the pool as it runs."""
        images = tf.stop_gradient(images)
        if self.pool_size == 0:
            return images
        batch = tf.shape(images)[0]
        swap_draws = v1.random_uniform([batch])
        slot_draws = v1.random_uniform([batch], maxval=self.pool_size, dtype=tf.int32)
        returned, new_buffer, new_count = pool_query(self.buffer.read_value(), self.count.read_value(), images,
                                                     swap_draws, slot_draws)
        with tf.control_dependencies([returned]):
            update = tf.group(self.buffer.assign(new_buffer), self.count.assign(new_count))
        with tf.control_dependencies([update]):
            return tf.identity(returned)
