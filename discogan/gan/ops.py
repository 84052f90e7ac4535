"""Layer ops built from tf.compat.v1.get_variable and tf.nn (tf.compat.v1.layers is gone under Keras 3).

Every op opens its own variable_scope, so variables read `generator_AB/dwn2/conv/weights` and so on.
Data layout is NHWC, the layout TensorFlow's CPU (oneDNN) and GPU (cuDNN) kernels all support.
"""
import contextlib

from discogan.runtime.tf_compat import tf, v1


WEIGHT_INIT_STDDEV = 0.02  # DCGAN / DiscoGAN initialisation
BATCH_NORM_DECAY = 0.9  # PyTorch's momentum 0.1, as in the official DiscoGAN
BATCH_NORM_EPSILON = 1e-5


def _weights(shape):
    return v1.get_variable("weights", shape, initializer=v1.random_normal_initializer(stddev=WEIGHT_INIT_STDDEV))


# oneDNN runs two shapes of the 4x4 stride-2 'SAME' conv slowly: they take other forms (benchmarks/README.md, bench_forms.py).
# The weight gradient up to this input side, with few output positions to spread over: `window_weight_gradient`.
WINDOW_GRADIENT_MAX_SIDE = {"float32": 8, "bfloat16": 16, "float16": 8}
TRAINING_PRECISION = "discogan_training_precision"  # graph collection: the precision a graph's session trains in
# The image side, with too few channels to vectorise over: `block_conv2d_transpose`.
IMAGE_SIDE_MAX_CHANNELS = 4
STRIDE_2_GRADIENT = {"Conv2D": "DiscoGANStride2Conv2D", "Conv2DBackpropInput": "DiscoGANStride2Conv2DTranspose"}


def _is_4x4_stride_2_same(kernel, stride, padding, height, width):
    """Whether a conv with this input side (a transposed conv with this output side) is one the two faster
    forms above apply to."""
    return (kernel, stride, padding) == (4, 2, "SAME") and height % 2 == 0 and width % 2 == 0


def _stride_2_gradients(kernel, stride, padding, height, width):
    """A scope in which the gradients of such convs take the faster forms; for other convs it changes nothing."""
    if _is_4x4_stride_2_same(kernel, stride, padding, height, width):
        return v1.get_default_graph().gradient_override_map(STRIDE_2_GRADIENT)
    return contextlib.nullcontext()


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


def record_training_precision(precision):
    """Record in the default graph the precision (discogan.runtime.precision) its training session will run in:
    the gradients built after it take the fastest form for that precision."""
    v1.add_to_collection(TRAINING_PRECISION, precision)


def _weight_gradient(x, weights, gradient, strides, padding):
    """The weight gradient of the 4x4 stride-2 conv of x whose output's gradient is `gradient`."""
    precision = (x.graph.get_collection(TRAINING_PRECISION) or ["float32"])[-1]
    if int(x.shape[1]) <= WINDOW_GRADIENT_MAX_SIDE[precision]:
        return window_weight_gradient(x, gradient)
    return v1.nn.conv2d_backprop_filter(x, tf.shape(weights), gradient, strides, padding)


@tf.RegisterGradient(STRIDE_2_GRADIENT["Conv2D"])
def _conv2d_gradient(op, gradient):
    x, weights = op.inputs
    strides, padding = op.get_attr("strides"), op.get_attr("padding")
    if int(x.shape[-1]) <= IMAGE_SIDE_MAX_CHANNELS:
        input_gradient = block_conv2d_transpose(gradient, weights)
    else:
        input_gradient = v1.nn.conv2d_backprop_input(tf.shape(x), weights, gradient, strides, padding)
    return input_gradient, _weight_gradient(x, weights, gradient, strides, padding)


@tf.RegisterGradient(STRIDE_2_GRADIENT["Conv2DBackpropInput"])
def _conv2d_transpose_gradient(op, gradient):
    _, weights, x = op.inputs  # the transposed conv of x is the gradient op of a conv whose output x is
    strides, padding = op.get_attr("strides"), op.get_attr("padding")
    return (None, _weight_gradient(gradient, weights, x, strides, padding),
            tf.nn.conv2d(gradient, weights, strides, padding))


def conv2d(x, filters, name, kernel=4, stride=2, padding="SAME"):
    """4x4 convolution; 'SAME' with stride 2 pads 1 pixel each side on even sizes, like PyTorch's padding=1.

    Its gradients take the faster forms above where they apply. A 'VALID' conv whose kernel covers the whole
    input (4x4 -> 1x1, the code and logit layers) is computed as the equal matmul, which oneDNN runs faster than
    its conv kernels (benchmarks/README.md, bench_forms.py).
    """
    with v1.variable_scope(name):
        channels = x.shape[-1]
        weights = _weights([kernel, kernel, channels, filters])
        if padding == "VALID" and x.shape[1] == x.shape[2] == kernel:
            flat = tf.reshape(x, [-1, kernel * kernel * channels])
            y = tf.reshape(tf.matmul(flat, tf.reshape(weights, [-1, filters])), [-1, 1, 1, filters])
        else:
            with _stride_2_gradients(kernel, stride, padding, int(x.shape[1]), int(x.shape[2])):
                y = tf.nn.conv2d(x, weights, [1, stride, stride, 1], padding)
        return y


def conv2d_transpose(x, filters, name, kernel=4, stride=2, padding="SAME"):
    """Transposed convolution: stride 2 'SAME' doubles height and width; 'VALID' from 1x1 gives kernel x kernel.

    From 1x1 'VALID' it is computed as the equal matmul, for the same reason as in `conv2d`; to 3 channels
    (the image) as `block_conv2d_transpose`; its gradients take the faster forms above where they apply.
    """
    with v1.variable_scope(name):
        channels = x.shape[-1]
        weights = _weights([kernel, kernel, filters, channels])
        height, width = int(x.shape[1]), int(x.shape[2])
        if padding == "VALID" and height == width == 1:
            y = tf.matmul(tf.reshape(x, [-1, channels]), tf.reshape(weights, [-1, channels]), transpose_b=True)
            y = tf.reshape(y, [-1, kernel, kernel, filters])
        else:
            if padding == "SAME":
                out_height, out_width = height * stride, width * stride
            else:
                out_height, out_width = (height - 1) * stride + kernel, (width - 1) * stride + kernel
            if filters <= IMAGE_SIDE_MAX_CHANNELS and _is_4x4_stride_2_same(kernel, stride, padding, out_height,
                                                                            out_width):
                y = block_conv2d_transpose(x, weights)
            else:
                batch = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
                output_shape = tf.stack([batch, out_height, out_width, filters])
                with _stride_2_gradients(kernel, stride, padding, out_height, out_width):
                    y = tf.nn.conv2d_transpose(x, weights, output_shape, [1, stride, stride, 1], padding)
            y = tf.ensure_shape(y, [x.shape[0], out_height, out_width, filters])
        return y


def batch_norm(x, name, training):
    """Fused batch norm: batch statistics and moving-average updates in training, moving averages otherwise.

    In training the moving-average assignments go to the UPDATE_OPS collection; the train op must run them
    (see `collect_update_ops`). Outside training the output of one image never depends on the rest of the batch.
    """
    channels = x.shape[-1]
    with v1.variable_scope(name):
        gamma = v1.get_variable("gamma", [channels], initializer=v1.ones_initializer())
        beta = v1.get_variable("beta", [channels], initializer=v1.zeros_initializer())
        moving_mean = v1.get_variable("moving_mean", [channels], initializer=v1.zeros_initializer(),
                                      trainable=False)
        moving_variance = v1.get_variable("moving_variance", [channels], initializer=v1.ones_initializer(),
                                          trainable=False)
        if not training:
            y, _, _ = v1.nn.fused_batch_norm(x, gamma, beta, mean=moving_mean, variance=moving_variance,
                                             epsilon=BATCH_NORM_EPSILON, is_training=False)
            return y
        y, mean, variance = v1.nn.fused_batch_norm(x, gamma, beta, epsilon=BATCH_NORM_EPSILON, is_training=True)
        for moving, batch_value in ((moving_mean, mean), (moving_variance, variance)):
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS,
                                 v1.assign_sub(moving, (1.0 - BATCH_NORM_DECAY) * (moving - batch_value)))
        return y


def lrelu(x, alpha=0.2):
    return tf.nn.leaky_relu(x, alpha)


@contextlib.contextmanager
def collect_update_ops():
    """Yield a list that receives the batch-norm update ops created inside the `with` block."""
    collection = v1.get_collection_ref(v1.GraphKeys.UPDATE_OPS)
    start = len(collection)
    created = []
    yield created
    created.extend(collection[start:])
