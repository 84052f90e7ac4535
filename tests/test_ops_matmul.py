"""The 4x4 -> 1x1 conv and the 1x1 -> 4x4 transposed conv, computed as matmuls, equal the tf.nn convolutions."""
import numpy as np
import tensorflow as tf

from discogan.gan.ops import conv2d, conv2d_transpose

v1 = tf.compat.v1


def _compare(build, reference, input_shape):
    """Outputs and input gradients of `build` (our op) and `reference(x, weights)` on the same weights."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(np.random.default_rng(0).standard_normal(input_shape).astype(np.float32))
        ours = build(x)
        [weights] = v1.trainable_variables()
        expected = reference(x, weights)
        grads = [tf.gradients(tf.reduce_sum(y * y), [x, weights]) for y in (ours, expected)]
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            got, want, (got_grads, want_grads) = sess.run([ours, expected, grads])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    for got_grad, want_grad in zip(got_grads, want_grads):
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-4, atol=1e-5)


def test_valid_conv_to_1x1_is_the_convolution():
    _compare(lambda x: conv2d(x, 5, "layer", stride=1, padding="VALID"),
             lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"), [3, 4, 4, 6])


def test_valid_transposed_conv_from_1x1_is_the_convolution():
    _compare(lambda x: conv2d_transpose(x, 5, "layer", stride=1, padding="VALID"),
             lambda x, w: tf.nn.conv2d_transpose(x, w, [3, 4, 4, 5], 1, "VALID"), [3, 1, 1, 6])
