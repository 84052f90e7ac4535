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


# Up to this input side (8x8 -> 4x4, the last stride-2 layer at any image size), a 4x4 stride-2 conv's weight
# gradient is one matmul of the input's windows: oneDNN's AMX kernel for it runs about 5x slower in bfloat16
# there, for want of output positions to spread over (benchmarks/README.md, "Where the bfloat16 step lost the
# matrix units").
WINDOW_GRADIENT_MAX_SIDE = 8
WINDOW_GRADIENT = {"Conv2D": "WindowWeightGradientConv2D",
                   "Conv2DBackpropInput": "WindowWeightGradientConv2DBackpropInput"}


def windows(x):
    """The 4x4 stride-2 windows of x [N, H, W, C] (H, W even, padded 1 pixel as 'SAME'): [N, H/2, W/2, 16C].

    Gathered as four shifted views of a space-to-depth (copies, no gather op), so each window's 16C values are
    ordered (row block, column block, row in block, column in block, channel): kernel row = 2 * block + row.
    """
    height, width = int(x.shape[1]), int(x.shape[2])
    blocks = tf.nn.space_to_depth(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 2)
    return tf.concat([blocks[:, row:row + height // 2, column:column + width // 2, :]
                      for row in (0, 1) for column in (0, 1)], axis=-1)


def window_weight_gradient(x, gradient):
    """The weight gradient [4, 4, C, K] of the 4x4 stride-2 'SAME' conv of x [N, H, W, C] given the gradient
    [N, H/2, W/2, K] of its output: the windows' transpose times the gradient, as one matmul."""
    channels, filters = int(x.shape[-1]), int(gradient.shape[-1])
    product = tf.matmul(tf.reshape(windows(x), [-1, 16 * channels]), tf.reshape(gradient, [-1, filters]),
                        transpose_a=True)
    blocked = tf.reshape(product, [2, 2, 2, 2, channels, filters])  # row block, column block, row, column
    return tf.reshape(tf.transpose(blocked, [0, 2, 1, 3, 4, 5]), [4, 4, channels, filters])


@tf.RegisterGradient(WINDOW_GRADIENT["Conv2D"])
def _conv2d_gradient(op, gradient):
    x, weights = op.inputs
    strides, padding = op.get_attr("strides"), op.get_attr("padding")
    return (v1.nn.conv2d_backprop_input(tf.shape(x), weights, gradient, strides, padding),
            window_weight_gradient(x, gradient))


@tf.RegisterGradient(WINDOW_GRADIENT["Conv2DBackpropInput"])
def _conv2d_transpose_gradient(op, gradient):
    _, weights, x = op.inputs  # the transposed conv of x is the gradient op of a conv whose output x is
    strides, padding = op.get_attr("strides"), op.get_attr("padding")
    return None, window_weight_gradient(gradient, x), tf.nn.conv2d(gradient, weights, strides, padding)


def window_gradient_scope(side, kernel, stride, padding):
    """Where a 4x4 stride-2 'SAME' conv's input side (a transposed conv's output side) is even and at most
    WINDOW_GRADIENT_MAX_SIDE, the gradients of the convs made in it take their weight gradient from
    `window_weight_gradient`; elsewhere the scope changes nothing."""
    if (kernel, stride, padding) == (4, 2, "SAME") and side % 2 == 0 and side <= WINDOW_GRADIENT_MAX_SIDE:
        return v1.get_default_graph().gradient_override_map(WINDOW_GRADIENT)
    return contextlib.nullcontext()


def conv2d(x, filters, name, kernel=4, stride=2, padding="SAME"):
    """4x4 convolution; 'SAME' with stride 2 pads 1 pixel each side on even sizes, like PyTorch's padding=1.

    A 'VALID' conv whose kernel covers the whole input (4x4 -> 1x1, the code and logit layers) is computed as
    the equal matmul: oneDNN's conv kernels run that shape several times slower (benchmarks/README.md).
    """
    with v1.variable_scope(name):
        channels = x.shape[-1]
        weights = _weights([kernel, kernel, channels, filters])
        if padding == "VALID" and x.shape[1] == x.shape[2] == kernel:
            flat = tf.reshape(x, [-1, kernel * kernel * channels])
            y = tf.reshape(tf.matmul(flat, tf.reshape(weights, [-1, filters])), [-1, 1, 1, filters])
        else:
            with window_gradient_scope(int(x.shape[1]), kernel, stride, padding):
                y = tf.nn.conv2d(x, weights, [1, stride, stride, 1], padding)
        return y


def conv2d_transpose(x, filters, name, kernel=4, stride=2, padding="SAME"):
    """Transposed convolution: stride 2 'SAME' doubles height and width; 'VALID' from 1x1 gives kernel x kernel.

    From 1x1 'VALID' it is computed as the equal matmul, for the same reason as in `conv2d`.
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
            batch = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
            output_shape = tf.stack([batch, out_height, out_width, filters])
            with window_gradient_scope(out_height, kernel, stride, padding):
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
