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


def test_a_stride_2_conv_to_4x4_takes_its_weight_gradient_from_a_matmul_of_windows_and_equals_the_convolution():
    _compare(lambda x: conv2d(x, 5, "layer"), lambda x, w: tf.nn.conv2d(x, w, 2, "SAME"), [3, 8, 8, 6])
    _compare(lambda x: conv2d(x, 5, "layer"), lambda x, w: tf.nn.conv2d(x, w, 2, "SAME"), [2, 6, 4, 3])


def test_a_stride_2_transposed_conv_from_4x4_takes_the_same_weight_gradient_and_equals_the_convolution():
    _compare(lambda x: conv2d_transpose(x, 5, "layer"),
             lambda x, w: tf.nn.conv2d_transpose(x, w, [3, 8, 8, 5], 2, "SAME"), [3, 4, 4, 6])


def test_the_window_weight_gradient_is_used_up_to_8x8_inputs_and_the_convolution_s_above():
    graph = tf.Graph()
    with graph.as_default():
        outputs = [conv2d(tf.zeros([1, side, side, 2]), 3, name) for name, side in (("small", 8), ("large", 16))]
        tf.gradients(tf.add_n([tf.reduce_sum(y) for y in outputs]), v1.trainable_variables())
    types = {name: {op.type for op in graph.get_operations() if op.name.startswith(f"gradients/{name}")}
             for name in ("small", "large")}
    assert "SpaceToDepth" in types["small"] and "Conv2DBackpropFilter" not in types["small"]
    assert "Conv2DBackpropFilter" in types["large"] and "SpaceToDepth" not in types["large"]
