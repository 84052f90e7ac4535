"""Differentiable augmentation of the discriminators' inputs (DiffAugment, Zhao et al. 2020).

With about a thousand training images per domain a discriminator soon remembers them, and its gradients then
teach the generator those images' details rather than what a shoe looks like. Every image a discriminator sees,
real or generated, in its own step and in the generator's, is moved and has a square cut out, at random; the
operations are differentiable, so the generator still learns through them. Plain tensor ops (gathers and a
mask), so they run wherever the discriminator does.
"""
from discogan.gan.objects import PAGE
from discogan.options.checks import augmentations
from discogan.runtime.tf_compat import tf

TRANSLATION_SHARE = 0.125  # the largest shift, as a share of the image side
CUTOUT_SHARE = 0.5  # the cut-out square's side, as a share of the image side


def translation(images):
    """Each image shifted by up to TRANSLATION_SHARE of its side in each direction, the white PAGE coming in."""
    count, size = tf.shape(images)[0], int(images.shape[1])
    shift = int(size * TRANSLATION_SHARE + 0.5)
    padded = tf.pad(images, [[0, 0], [shift, shift], [shift, shift], [0, 0]], constant_values=PAGE)
    offsets = tf.random.uniform([2, count, 1], 0, 2 * shift + 1, tf.int32)
    positions = tf.range(size)[None, :]
    rows = tf.gather(padded, offsets[0] + positions, axis=1, batch_dims=1)
    return tf.gather(rows, offsets[1] + positions, axis=2, batch_dims=1)


def cutout(images):
    """Each image with a square of CUTOUT_SHARE of its side set to 0 (mid grey) at a random place."""
    count, size = tf.shape(images)[0], int(images.shape[1])
    half = int(size * CUTOUT_SHARE + 0.5) // 2
    centres = tf.random.uniform([2, count, 1, 1], 0, size, tf.int32)
    positions = tf.range(size)
    inside_rows = tf.abs(positions[None, :, None] - centres[0]) < half
    inside_columns = tf.abs(positions[None, None, :] - centres[1]) < half
    keep = tf.cast(tf.logical_not(tf.logical_and(inside_rows, inside_columns)), images.dtype)
    return images * keep[..., None]


AUGMENTATIONS = {"translation": translation, "cutout": cutout}


def diff_augment(images, policy):
    """`images` through each augmentation the --diff_augment `policy` names, in its order ("" leaves them)."""
    for name in augmentations(policy):
        images = AUGMENTATIONS[name](images)
    return images
