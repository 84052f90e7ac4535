"""The convolutions computed another way than by tf.nn (matmuls, windows, 2x2 pixel blocks) and the pools run with
the batch folded into the channels equal tf.nn's, with the same gradients."""
import contextlib

import numpy as np
import pytest
import tensorflow as tf

from discogan.gan.cpu_forms import faster_gradients
from discogan.gan.ops import conv2d, conv2d_transpose, pool2d

v1 = tf.compat.v1


def _compare(build, reference, input_shape):
    """Outputs and input gradients of `build` (our op, its gradients in the training step's forms) and
    `reference(x, weights)` (TensorFlow's) on the same weights."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(np.random.default_rng(0).standard_normal(input_shape).astype(np.float32))
        with faster_gradients("float32"):
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


def test_on_the_image_side_the_conv_s_input_gradient_and_the_transposed_conv_work_on_2x2_pixel_blocks():
    _compare(lambda x: conv2d(x, 5, "layer"), lambda x, w: tf.nn.conv2d(x, w, 2, "SAME"), [2, 16, 12, 3])
    _compare(lambda x: conv2d_transpose(x, 3, "layer"),
             lambda x, w: tf.nn.conv2d_transpose(x, w, [2, 16, 12, 3], 2, "SAME"), [2, 8, 6, 5])


def _op_types(build_layers, precision=None):
    """{name: (op types of the layer, op types of its gradient)} for each (name, output) `build_layers()` makes
    under faster_gradients(precision) (None: outside it)."""
    graph = tf.Graph()
    with graph.as_default(), faster_gradients(precision) if precision else contextlib.nullcontext():
        outputs = build_layers()
        tf.gradients(tf.add_n([tf.reduce_sum(y) for _, y in outputs]), v1.trainable_variables())
    ops = graph.get_operations()
    return {name: ({op.type for op in ops if op.name.startswith(f"{name}/")},
                   {op.type for op in ops if op.name.startswith(f"gradients/{name}/")}) for name, _ in outputs}


def _window_weight_gradient_sides(precision):
    """The input sides, among 8, 16 and 32, at which a conv's weight gradient is the matmul of its windows."""
    sides = (8, 16, 32)
    types = _op_types(lambda: [(f"side{side}", conv2d(tf.zeros([1, side, side, 8]), 3, f"side{side}"))
                               for side in sides], precision)
    found = []
    for side in sides:
        gradient = types[f"side{side}"][1]
        assert ("SpaceToDepth" in gradient) != ("Conv2DBackpropFilter" in gradient)
        assert "Conv2DBackpropInput" in gradient and "DepthToSpace" not in gradient
        found += [side] * ("SpaceToDepth" in gradient)
    return found


def test_the_window_weight_gradient_is_used_up_to_8x8_inputs_and_in_bfloat16_up_to_16x16_where_asked_for():
    assert _window_weight_gradient_sides(None) == []
    assert _window_weight_gradient_sides("float32") == [8]
    assert _window_weight_gradient_sides("bfloat16") == [8, 16]


def test_only_the_image_side_works_on_2x2_pixel_blocks():
    def layers():
        down = conv2d(tf.zeros([1, 32, 32, 3]), 8, "down")
        return [("down", down), ("image_up", conv2d_transpose(down, 3, "image_up")),
                ("wide_up", conv2d_transpose(down, 8, "wide_up"))]
    types = _op_types(layers, "float32")
    down, down_gradient = types["down"]
    assert "Conv2D" in down and {"DepthToSpace", "Conv2DBackpropFilter"} <= down_gradient
    image_up, _ = types["image_up"]
    assert "DepthToSpace" in image_up
    wide_up, wide_up_gradient = types["wide_up"]
    assert "DepthToSpace" not in wide_up | wide_up_gradient and "Conv2DBackpropInput" in wide_up


@pytest.mark.parametrize("kind, window, stride, padding, channels", [
    ("max", 5, 1, "SAME", 1), ("max", 9, 1, "VALID", 1), ("avg", 16, 4, "VALID", 3), ("avg", 2, 2, "VALID", 1),
    ("avg", 15, 1, "SAME", 1), ("max", 11, 1, "SAME", 3)])
def test_pools_with_the_batch_folded_into_the_channels_are_each_images_own(kind, window, stride, padding, channels):
    """Each image pooled alone, whatever the batch size (a dynamic one too): no image's pixels reach another's; a
    large stride-1 window pooled in two 1-D passes, with the same values and gradients at the borders too."""
    images = np.random.default_rng(1).standard_normal([3, 20, 20, channels]).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 20, 20, channels])
        ours = pool2d(x, kind, window, stride, padding)
        expected = {"max": tf.nn.max_pool2d, "avg": tf.nn.avg_pool2d}[kind](x, window, stride, padding)
        grads = [tf.gradients(tf.reduce_sum(y * y), x)[0] for y in (ours, expected)]
        with v1.Session(graph=graph) as sess:
            got, want, (got_grad, want_grad) = sess.run([ours, expected, grads], {x: images})
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-5, atol=1e-6)
