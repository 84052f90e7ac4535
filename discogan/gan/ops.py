"""Layer ops built from tf.compat.v1.get_variable and tf.nn (tf.compat.v1.layers is gone under Keras 3).

Every op opens its own variable_scope, so variables read `generator_AB/dwn2/conv/weights` and so on.
Data layout is NHWC, the layout TensorFlow's CPU (oneDNN) and GPU (cuDNN) kernels all support.
"""
import contextlib
import threading

import numpy as np

from discogan.gan.cpu_forms import IMAGE_SIDE_MAX_CHANNELS, block_conv2d_transpose, is_4x4_stride_2_same
from discogan.runtime.tf_compat import tf, v1


WEIGHT_INIT_STDDEV = 0.02  # DCGAN / DiscoGAN initialisation
BATCH_NORM_DECAY = 0.9  # PyTorch's momentum 0.1, as in the official DiscoGAN
BATCH_NORM_EPSILON = 1e-5


def _weights(shape):
    return v1.get_variable("weights", shape, initializer=v1.random_normal_initializer(stddev=WEIGHT_INIT_STDDEV))


def conv2d(x, filters, name, kernel=4, stride=2, padding="SAME"):
    """4x4 convolution; 'SAME' with stride 2 pads 1 pixel each side on even sizes, like PyTorch's padding=1.

    A 'VALID' conv whose kernel covers the whole input (4x4 -> 1x1, the code and logit layers) is computed as the
    equal matmul, which oneDNN runs faster than its conv kernels (benchmarks/README.md, bench_forms.py).
    """
    with v1.variable_scope(name):
        channels = x.shape[-1]
        weights = _weights([kernel, kernel, channels, filters])
        if padding == "VALID" and x.shape[1] == x.shape[2] == kernel:
            flat = tf.reshape(x, [-1, kernel * kernel * channels])
            y = tf.reshape(tf.matmul(flat, tf.reshape(weights, [-1, filters])), [-1, 1, 1, filters])
        else:
            y = tf.nn.conv2d(x, weights, [1, stride, stride, 1], padding)
        return y


def conv2d_transpose(x, filters, name, kernel=4, stride=2, padding="SAME"):
    """Transposed convolution: stride 2 'SAME' doubles height and width; 'VALID' from 1x1 gives kernel x kernel.

    From 1x1 'VALID' it is computed as the equal matmul, for the same reason as in `conv2d`; to 3 channels
    (the image) as `cpu_forms.block_conv2d_transpose`.
    """
    with v1.variable_scope(name):
        return _transposed(x, _weights([kernel, kernel, filters, x.shape[-1]]), stride, padding)


def _transposed(x, weights, stride, padding):
    """The transposed convolution of x with `weights` [kernel, kernel, filters, channels]."""
    kernel, filters, channels = int(weights.shape[0]), int(weights.shape[2]), int(weights.shape[3])
    height, width = int(x.shape[1]), int(x.shape[2])
    if padding == "VALID" and height == width == 1:
        y = tf.matmul(tf.reshape(x, [-1, channels]), tf.reshape(weights, [-1, channels]), transpose_b=True)
        return tf.reshape(y, [-1, kernel, kernel, filters])
    if padding == "SAME":
        out_height, out_width = height * stride, width * stride
    else:
        out_height, out_width = (height - 1) * stride + kernel, (width - 1) * stride + kernel
    if filters <= IMAGE_SIDE_MAX_CHANNELS and is_4x4_stride_2_same(kernel, stride, padding, out_height, out_width):
        y = block_conv2d_transpose(x, weights)
    else:
        batch = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
        output_shape = tf.stack([batch, out_height, out_width, filters])
        y = tf.nn.conv2d_transpose(x, weights, output_shape, [1, stride, stride, 1], padding)
    return tf.ensure_shape(y, [x.shape[0], out_height, out_width, filters])


def dense(x, units, name):
    """A fully connected layer without bias, [N, C] -> [N, units]."""
    with v1.variable_scope(name):
        return tf.matmul(x, _weights([x.shape[-1], units]))


SEPARABLE_WINDOW = 9  # from this stride-1 window on, two 1-D passes cost less than one 2-D pass


def pool2d(x, kind, window, stride, padding):
    """tf.nn.max_pool2d or avg_pool2d (`kind` "max" or "avg") of each image of `x` [N, H, W, C] alone, run with
    the batch folded into the channels: CPU pooling kernels vectorise over channels, and masks have one. A window
    is its rows times its columns, so a large one is pooled as a row, then a column: 2w taps a pixel, not w^2."""
    pool = {"max": tf.nn.max_pool2d, "avg": tf.nn.avg_pool2d}[kind]
    height, width, channels = (int(side) for side in x.shape[1:])
    folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, height, width, -1])
    if stride == 1 and window >= SEPARABLE_WINDOW:
        folded = pool(pool(folded, [1, window], 1, padding), [window, 1], 1, padding)
    else:
        folded = pool(folded, window, stride, padding)
    return tf.transpose(tf.reshape(folded, [int(folded.shape[1]), int(folded.shape[2]), -1, channels]), [2, 0, 1, 3])


def weighted_mean(values, weights):
    """[N, C]: the mean of each image's channels of `values` [N, H, W, C], each pixel weighted by `weights`
    [N, H, W, 1]; an image of no weight gives 0, not a division by zero."""
    return tf.reduce_sum(weights * values, axis=[1, 2]) / (tf.reduce_sum(weights, axis=[1, 2]) + 1e-3)


def weighted_moments(values, weights):
    """(mean, standard deviation) of each image's channels of `values` [N, H, W, C] over its area, each pixel
    weighted by `weights` [N, H, W, 1]; [N, C] each."""
    mean = weighted_mean(values, weights)
    return mean, tf.sqrt(weighted_mean(tf.square(values - mean[:, None, None, :]), weights) + 1e-6)


# Nearest-neighbour upsampling then a 3x3 conv equals a 4x4 stride-2 transposed conv whose taps are tied: an
# even output pixel reads its input's row above with tap 0 and its own with taps 1 + 2, an odd one its own with
# taps 0 + 1 and the row below with tap 2 (likewise for columns). Row k of RESIZE_TAPS ties kernel row k to taps;
# its Kronecker square ties the 16 positions of the 4x4 kernel to the 9 of the 3x3 one.
RESIZE_TAPS = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], np.float32)
RESIZE_KERNEL_TIES = np.kron(RESIZE_TAPS, RESIZE_TAPS)


def resize_conv2d(x, filters, name):
    """Nearest-neighbour upsampling by 2, then a 3x3 convolution: every output pixel sums the same taps, so there
    is none of the checkerboard a free transposed convolution draws (Odena et al. 2016, "Deconvolution and
    Checkerboard Artifacts"). Computed as the equal tied transposed conv: a quarter of the upsampled conv's work,
    and the transposed conv's faster CPU forms."""
    with v1.variable_scope(name):
        channels = int(x.shape[-1])
        taps = tf.reshape(_weights([3, 3, filters, channels]), [9, filters * channels])
        weights = tf.reshape(tf.matmul(RESIZE_KERNEL_TIES, taps), [4, 4, filters, channels])
        return _transposed(x, weights, 2, "SAME")


def bilinear_conv2d(x, filters, name):
    """Bilinear upsampling by 2 (half-pixel centres, edges clamped), then a 3x3 convolution: neighbouring cells of
    the map below blend across their border, where resize_conv2d's nearest upsampling leaves a hard step that the
    decoder must smooth itself (on real photos it draws grid lines and holes at the 4x4 middle's cell corners)."""
    with v1.variable_scope(name):
        height, width, channels = int(x.shape[1]), int(x.shape[2]), int(x.shape[3])
        upsampled = tf.cast(tf.image.resize(x, [2 * height, 2 * width], "bilinear"), x.dtype)
        return tf.nn.conv2d(upsampled, _weights([3, 3, channels, filters]), 1, "SAME")


def batch_norm(x, name, training):
    """Fused batch norm: batch statistics and moving-average updates in training, moving averages otherwise.

    In training the batch statistics go to this thread's innermost `collect_update_ops` block, which makes the
    moving-average updates the train op must run. Outside training the output of one image never depends on the
    rest of the batch.
    """
    channels = x.shape[-1]
    with v1.variable_scope(name):
        gamma = v1.get_variable("gamma", [channels], initializer=v1.ones_initializer())
        beta = v1.get_variable("beta", [channels], initializer=v1.zeros_initializer())
        # Replicas (discogan.training.distributed) move one set of averages by the mean of their updates.
        moving = dict(trainable=False, aggregation=v1.VariableAggregation.MEAN)
        moving_mean = v1.get_variable("moving_mean", [channels], initializer=v1.zeros_initializer(), **moving)
        moving_variance = v1.get_variable("moving_variance", [channels], initializer=v1.ones_initializer(), **moving)
        if not training:
            y, _, _ = v1.nn.fused_batch_norm(x, gamma, beta, mean=moving_mean, variance=moving_variance,
                                             epsilon=BATCH_NORM_EPSILON, is_training=False)
            return y
        y, mean, variance = v1.nn.fused_batch_norm(x, gamma, beta, epsilon=BATCH_NORM_EPSILON, is_training=True)
        blocks = _open_blocks()
        if blocks:
            for average, batch_value in ((moving_mean, mean), (moving_variance, variance)):
                blocks[-1].setdefault(average.name, (average, []))[1].append(batch_value)
        return y


def lrelu(x, alpha=0.2):
    return tf.nn.leaky_relu(x, alpha)


_collecting = threading.local()


def _open_blocks():
    """This thread's open `collect_update_ops` blocks, innermost last: each maps a moving average's name to the
    variable and the batch statistics of its passes."""
    if not hasattr(_collecting, "blocks"):
        _collecting.blocks = []
    return _collecting.blocks


@contextlib.contextmanager
def collect_update_ops():
    """Yield a list that receives, when the block ends, the moving-average updates of the batch-norm passes this
    thread built inside it: one op per average, moved by the sum of its passes' moves from the step's value.

    One op per average leaves no race between two passes' reads and writes of one variable. Per thread, not a slice
    of the graph's UPDATE_OPS collection: tf.distribute builds each replica in a thread of its own on one shared
    graph, so a slice took in the other replicas' updates, those of passes that must not move the averages among
    them.
    """
    created, statistics = [], {}
    blocks = _open_blocks()
    blocks.append(statistics)
    try:
        yield created
    finally:
        blocks.pop()
    for moving, batch_values in statistics.values():
        created.append(v1.assign_sub(moving, (1.0 - BATCH_NORM_DECAY) * tf.add_n([moving - value
                                                                                  for value in batch_values])))
