"""Faster forms of the 4x4 stride-2 'SAME' conv for the CPU, where oneDNN runs two of its shapes slowly
(benchmarks/README.md, bench_forms.py):
- the weight gradient at small input sides, with few output positions to spread over: one matmul of the input's
  windows (`window_weight_gradient`), up to WINDOW_GRADIENT_MAX_SIDE for the precision trained in;
- the image side (at most IMAGE_SIDE_MAX_CHANNELS channels, too few to vectorise over): a stride-1 transposed conv
  over 2x2 pixel blocks (`block_conv2d_transpose`), both the last layer's forward pass (ops.conv2d_transpose) and
  the first conv's input gradient.

The gradients take these forms only in a graph built under `faster_gradients(precision)`, as the training step
builds its own; elsewhere TensorFlow's gradients stand.
"""
import contextlib

from discogan.runtime.tf_compat import tf, v1


WINDOW_GRADIENT_MAX_SIDE = {"float32": 8, "bfloat16": 16, "float16": 8}  # in float32 the matmul loses at 16x16
IMAGE_SIDE_MAX_CHANNELS = 4
CONV_OPS = ("Conv2D", "Conv2DBackpropInput")  # the conv and the transposed conv, whose gradients take the forms
CONV_ATTRS = ("strides", "padding", "explicit_paddings", "data_format", "dilations", "use_cudnn_on_gpu")


def is_4x4_stride_2_same(kernel, stride, padding, height, width):
    """Whether a conv with this input side (a transposed conv with this output side) is one the forms apply to."""
    return (kernel, stride, padding) == (4, 2, "SAME") and height % 2 == 0 and width % 2 == 0


def windows(x):
    """The 4x4 stride-2 windows of x [N, H, W, C] (H, W even, padded 1 pixel as 'SAME'): [N, H/2, W/2, 16C].

    Gathered as four shifted views of a space-to-depth (copies, no gather op), so each window's 16C values are
    ordered (row block, column block, row in block, column in block, channel): kernel row = 2 * block + row.
    """
    height, width = int(x.shape[1]), int(x.shape[2])
    blocks = tf.nn.space_to_depth(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 2)
    return tf.concat([blocks[:, row:row + height // 2, column:column + width // 2, :]
                      for row in (0, 1) for column in (0, 1)], axis=-1)


def block_order(kernel):
    """A 4x4 kernel [4, 4, C, K] as [2, 2, 2, 2, C, K] in block order (row block, column block, row in block,
    column in block: kernel row = 2 * block + row), the order of `windows`; applied to that, kernel order again."""
    return tf.transpose(tf.reshape(kernel, [2, 2, 2, 2] + kernel.shape[-2:].as_list()), [0, 2, 1, 3, 4, 5])


def window_weight_gradient(x, gradient):
    """The weight gradient [4, 4, C, K] of the 4x4 stride-2 'SAME' conv of x [N, H, W, C] given the gradient
    [N, H/2, W/2, K] of its output: the windows' transpose times the gradient, as one matmul."""
    channels, filters = int(x.shape[-1]), int(gradient.shape[-1])
    product = tf.matmul(tf.reshape(windows(x), [-1, 16 * channels]), tf.reshape(gradient, [-1, filters]),
                        transpose_a=True)
    return tf.reshape(block_order(tf.reshape(product, [2, 2, 2, 2, channels, filters])), [4, 4, channels, filters])


def block_conv2d_transpose(x, weights):
    """The 4x4 stride-2 'SAME' transposed conv of x [N, H, W, K] with weights [4, 4, C, K]: [N, 2H, 2W, C].

    The stride-2 conv it is the adjoint of reads the padded input as (H+1)x(W+1) blocks of 2x2 pixels
    (space-to-depth) with a 2x2 kernel of blocks; so this is the stride-1 transposed conv to those blocks, back
    to pixels (depth-to-space), less the padding.
    """
    channels = int(weights.shape[2])
    height, width = int(x.shape[1]), int(x.shape[2])
    block_weights = tf.reshape(block_order(weights), [2, 2, 4 * channels, int(weights.shape[3])])
    shape = tf.stack([tf.shape(x)[0], height + 1, width + 1, 4 * channels])
    blocks = tf.nn.conv2d_transpose(x, block_weights, shape, 1, "VALID")
    # tf.slice rather than [:, 1:-1, 1:-1]: its gradient is a pad, a strided slice's a slow generic kernel
    return tf.slice(tf.nn.depth_to_space(blocks, 2), [0, 1, 1, 0], [-1, 2 * height, 2 * width, -1])


def _gradient_name(op_type, precision):
    return f"DiscoGANFaster{op_type}_{precision}"


@contextlib.contextmanager
def faster_gradients(precision):
    """Build the convs of the `with` block so that their gradients take the forms above, as fast as they are for
    `precision` (discogan.runtime.precision), the one the graph's session trains in."""
    with v1.get_default_graph().gradient_override_map({op: _gradient_name(op, precision) for op in CONV_OPS}):
        yield


def _takes_the_forms(x, weights, attrs):
    """Whether a conv (a transposed conv's adjoint) of input x with `weights` is 4x4 stride-2 'SAME' in NHWC."""
    plain = attrs["data_format"] == b"NHWC" and list(attrs["dilations"]) == [1, 1, 1, 1]
    kernel, stride = int(weights.shape[0]), list(attrs["strides"])
    return plain and stride == [1, 2, 2, 1] and int(weights.shape[1]) == kernel and is_4x4_stride_2_same(
        kernel, 2, attrs["padding"].decode(), int(x.shape[1]), int(x.shape[2]))


def _weight_gradient(x, weights, gradient, attrs, precision):
    """The weight gradient of the conv of x whose output's gradient is `gradient`."""
    if _takes_the_forms(x, weights, attrs) and int(x.shape[1]) <= WINDOW_GRADIENT_MAX_SIDE[precision]:
        return window_weight_gradient(x, gradient)
    return tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(weights), out_backprop=gradient, **attrs)


def _register(precision):
    """The gradients of the conv and the transposed conv built under `faster_gradients(precision)`."""
    @tf.RegisterGradient(_gradient_name("Conv2D", precision))
    def _conv2d_gradient(op, gradient):
        x, weights = op.inputs
        attrs = {name: op.get_attr(name) for name in CONV_ATTRS}
        if _takes_the_forms(x, weights, attrs) and int(x.shape[-1]) <= IMAGE_SIDE_MAX_CHANNELS:
            input_gradient = block_conv2d_transpose(gradient, weights)
        else:
            input_gradient = tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=weights,
                                                            out_backprop=gradient, **attrs)
        return input_gradient, _weight_gradient(x, weights, gradient, attrs, precision)

    @tf.RegisterGradient(_gradient_name("Conv2DBackpropInput", precision))
    def _conv2d_transpose_gradient(op, gradient):
        _, weights, x = op.inputs  # the transposed conv of x is the gradient op of a conv whose output x is
        attrs = {name: op.get_attr(name) for name in CONV_ATTRS}
        return (None, _weight_gradient(gradient, weights, x, attrs, precision),
                tf.raw_ops.Conv2D(input=gradient, filter=weights, **attrs))


for _precision in WINDOW_GRADIENT_MAX_SIDE:
    _register(_precision)
