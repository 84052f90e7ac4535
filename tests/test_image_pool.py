"""The in-graph image pool against the per-image loop of CycleGAN (difference 2: its output is used)."""
import numpy as np
import pytest
import tensorflow as tf

from discogan.gan.image_pool import ImagePool, pool_query

v1 = tf.compat.v1


def reference_query(buffer, count, images, swap_draws, slot_draws):
    """CycleGAN's ImagePool.query, one image at a time."""
    buffer, returned = buffer.copy(), []
    for image, swap, slot in zip(images, swap_draws, slot_draws):
        if count < len(buffer):
            buffer[count] = image
            count += 1
            returned.append(image)
        elif swap > 0.5:
            returned.append(buffer[slot].copy())
            buffer[slot] = image
        else:
            returned.append(image)
    return np.stack(returned), buffer, count


@pytest.mark.parametrize("count,batch", [(0, 3), (4, 5), (6, 6), (6, 12), (0, 9)])
def test_vectorised_query_equals_the_per_image_loop(count, batch):
    rng = np.random.default_rng(count * 100 + batch)
    pool_size = 6
    buffer = rng.normal(size=(pool_size, 2, 2, 3)).astype(np.float32)
    images = rng.normal(size=(batch, 2, 2, 3)).astype(np.float32)
    swap_draws = rng.random(batch).astype(np.float32)
    slot_draws = rng.integers(0, 2, batch).astype(np.int32)  # few slots: repeated picks within a batch
    expected = reference_query(buffer, count, images, swap_draws, slot_draws)
    with tf.Graph().as_default(), v1.Session() as session:
        got = session.run(pool_query(tf.constant(buffer), tf.constant(count), tf.constant(images),
                                     tf.constant(swap_draws), tf.constant(slot_draws)))
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[2] == expected[2]


def test_pool_fills_to_its_size_then_mixes_old_and_new_half_the_time():
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        images = v1.placeholder(tf.float32, [10, 1, 1, 1])
        pool = ImagePool([1, 1, 1], "pool", pool_size=50)
        pooled = pool.query(images)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            for step in range(5):  # the first 50 images fill the pool and come straight back
                batch = np.arange(step * 10, step * 10 + 10, dtype=np.float32).reshape(10, 1, 1, 1)
                np.testing.assert_array_equal(session.run(pooled, {images: batch}), batch)
            assert session.run(pool.count) == 50
            stored = set(session.run(pool.buffer).ravel())
            assert stored == set(range(50))
            old = 0
            for step in range(40):
                batch = np.full((10, 1, 1, 1), 1000.0 + step, np.float32)
                out = session.run(pooled, {images: batch}).ravel()
                assert all(value == 1000.0 + step or value < 1000.0 + step for value in out)
                old += int(np.sum(out != 1000.0 + step))
    assert 0.4 < old / 400 < 0.6  # a stored image about half the time


def test_pool_of_size_zero_passes_images_through():
    with tf.Graph().as_default(), v1.Session() as session:
        images = tf.random.uniform([4, 2, 2, 3])
        value, pooled = session.run([images, ImagePool([2, 2, 3], "pool", pool_size=0).query(images)])
    np.testing.assert_array_equal(value, pooled)
