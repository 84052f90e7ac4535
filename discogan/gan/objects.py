"""Where a product lies on its white page: its ink, cover and interior, patches, print and two tones, and whether
an image shows one.

The colour, texture and print terms (discogan.gan.losses) and the style, carry and retone generators
(discogan.gan.networks) read the object alone, so that they compare a bag with a shoe whatever the two shapes, and
lay a print or a tone on the shoe, not on its page. No gradient flows through a mask.
"""
from discogan.gan.ops import pool2d, weighted_mean
from discogan.runtime.tf_compat import tf
from discogan.scores.colour_metrics import BACKGROUND_LEVEL, OPPONENT_AXES

BORDER = 2  # pixels: the frame whose whiteness tells a product on a white page
PAGE_LEVEL = 0.8  # the frame's mean darkest channel above which an image counts as an object on a white page
CLOSING = 5  # window of the dilation that fills a print's pale parts (white stripes have no ink) into the object
INTERIOR_MARGIN = 9  # window of the erosion after it, so that the outline against the page is not texture
PATCH_SHARE = 0.25  # a print patch's side, as a share of the image side: a few repeats of the demo's prints
PRINT_STRIDE = 4  # pixels between the squares that carried_print chooses among
INK_FULL = 0.1  # ink from which a drawn pixel counts wholly as object: a pale beige shoe's
PAGE = 1.0  # white in [-1, 1]: what a patch or a DiffAugment shift reaching past the image's edge shows


def object_ink(images):
    """[N, H, W, 1] each pixel's ink, no gradient: how far its darkest channel lies below the white page's
    BACKGROUND_LEVEL. The page weighs nothing and faint noise little, without a threshold that a fresh generator's
    grey page would cross whole."""
    unit = (images + 1.0) / 2.0
    return tf.stop_gradient(tf.nn.relu(BACKGROUND_LEVEL - tf.reduce_min(unit, axis=-1, keepdims=True)))


def on_white_page(images):
    """[N] in [0, 1], no gradient: how far each image's outer frame is white, i.e. it shows an object on a page."""
    unit = tf.reduce_min((images + 1.0) / 2.0, axis=-1)
    frame = tf.concat([unit[:, :BORDER, :], unit[:, -BORDER:, :], tf.transpose(unit[:, :, :BORDER], [0, 2, 1]),
                       tf.transpose(unit[:, :, -BORDER:], [0, 2, 1])], axis=1)
    return tf.stop_gradient(tf.sigmoid((tf.reduce_mean(frame, axis=[1, 2]) - PAGE_LEVEL) * 40.0))


def eroded(weights, window):
    """The least of `weights` [N, H, W, 1] over each `window` x `window` neighbourhood, nothing beyond the border."""
    margin = window // 2
    padded = tf.pad(weights, [[0, 0], [margin, margin], [margin, margin], [0, 0]])
    return -pool2d(-padded, "max", window, 1, "VALID")


def filled_ink(ink):
    """`ink` [N, H, W, 1] dilated by a CLOSING window, so that a print's pale parts count as the object's."""
    return pool2d(ink, "max", CLOSING, 1, "SAME")


def object_interior(ink, margin=INTERIOR_MARGIN):
    """Each pixel's share of the object's interior: its `ink` [N, H, W, 1] filled over the print's pale parts
    (filled_ink), then eroded by a `margin` window."""
    return eroded(filled_ink(ink), margin)


def object_cover(images):
    """[N, H, W, 1] in [0, 1], no gradient: how surely each pixel is the object rather than the page, its ink closed
    over a print's pale parts (dilated, then eroded by CLOSING, so the cover does not grow past the outline; an
    object reaching the image's edge keeps it) and full from INK_FULL."""
    closed = -pool2d(-filled_ink(object_ink(images)), "max", CLOSING, 1, "SAME")
    return tf.minimum(closed / INK_FULL, 1.0)


def _patch_side(size):
    """The side of a print square in an image of side `size`: PATCH_SHARE of it, at least 4 pixels."""
    return max(int(size * PATCH_SHARE), 4)


def _squares(images, tops, lefts, side, owners):
    """[M, side, side, C]: the squares of images[owners] whose top-left pixels are (tops, lefts), copied pixel for
    pixel (crop_and_resize with the corners side - 1 pixels apart); past the image's edge, page."""
    size = int(images.shape[1])
    boxes = tf.stack([tops, lefts, tops + side - 1, lefts + side - 1], axis=-1) / (size - 1)
    return tf.image.crop_and_resize(images, boxes, owners, [side, side], extrapolation_value=PAGE)


def object_patches(images, count):
    """[N * count, S, S, C]: `count` square patches of each image, PATCH_SHARE of its side, centred on pixels drawn
    at random from its object's interior (anywhere, for an image without one); image i's are rows i * count on."""
    size = int(images.shape[1])
    side = _patch_side(size)
    interior = tf.reshape(object_interior(object_ink(images)), [-1, size * size])
    centres = tf.reshape(tf.random.categorical(tf.math.log(interior + 1e-4), count), [-1])
    tops = tf.cast(centres // size - side // 2, tf.float32)
    lefts = tf.cast(centres % size - side // 2, tf.float32)
    return _squares(images, tops, lefts, side, tf.repeat(tf.range(tf.shape(images)[0]), count))


def carried_print(images):
    """[N, H, W, C], no gradient: each image's print, a PATCH_SHARE square of its object less the square's mean
    colour, mirror-tiled over the whole image. Of the squares at least half as far inside the object's interior as
    the most inside one, the one of least spread: the print that covers the object, not a clasp, a logo or the
    page's edge, and plain page where there is no object."""
    size = int(images.shape[1])
    side = _patch_side(size)
    inside = pool2d(object_interior(object_ink(images)), "avg", side, PRINT_STRIDE, "VALID")[..., 0]
    mean = pool2d(images, "avg", side, PRINT_STRIDE, "VALID")
    spread = tf.reduce_sum(pool2d(tf.square(images), "avg", side, PRINT_STRIDE, "VALID") - tf.square(mean), -1)
    grid = int(inside.shape[1])
    inside, spread = tf.reshape(inside, [-1, grid * grid]), tf.reshape(spread, [-1, grid * grid])
    candidate = inside >= 0.5 * tf.reduce_max(inside, axis=1, keepdims=True)
    chosen = tf.argmin(tf.where(candidate, spread, tf.fill(tf.shape(spread), float("inf"))), axis=1,
                       output_type=tf.int32)
    tops, lefts = tf.cast(chosen // grid * PRINT_STRIDE, tf.float32), tf.cast(chosen % grid * PRINT_STRIDE, tf.float32)
    patch = _squares(images, tops, lefts, side, tf.range(tf.shape(images)[0]))
    patch = patch - tf.reduce_mean(patch, axis=[1, 2], keepdims=True)
    row = tf.concat([patch, patch[:, :, ::-1]], axis=2)
    block = tf.concat([row, row[:, ::-1]], axis=1)
    repeats = -(-size // (2 * side))  # enough blocks to cover the image
    return tf.stop_gradient(tf.tile(block, [1, repeats, repeats, 1])[:, :size, :size])


TONE_MARGIN = 3  # window of the erosion of the inked pixels: the outline's blend with the page is neither tone
TONE_ROUNDS = 3  # Lloyd iterations of the two-means
TONE_CHROMA = 0.25  # share of the object's chroma from which a pixel counts wholly as one of its tones
SATURATED = 0.1  # chroma (unit RGB) from which an object counts wholly as coloured
REGION_WINDOW = 15  # pixels: the second tone's region is where it is most of the tones around, one area, not specks
REGION_SHARPNESS = 12.0  # slope of that majority's sigmoid


def _hue_gate(unit, weights):
    """[N, H, W, 1]: on a coloured object (its colour over `weights`), how far each pixel of `unit` ([0, 1] images)
    has the object's hue, so that a black sole, a white lace or a gold clasp is no tone of it; 1 on a grey one."""
    chroma = tf.tensordot(unit, OPPONENT_AXES[:, 1:], 1)
    hue = weighted_mean(chroma, weights)[:, None, None, :]
    strength = tf.reduce_sum(tf.square(hue), -1, keepdims=True)
    share_of_hue = tf.reduce_sum(chroma * hue, -1, keepdims=True) / (strength + 1e-6)
    saturated = tf.minimum(tf.sqrt(strength) / SATURATED, 1.0)
    return 1.0 - saturated + saturated * tf.clip_by_value(share_of_hue / TONE_CHROMA, 0.0, 1.0)


def object_tones(images):
    """([N, 1, 1, C], [N, 1, 1, C], [N, H, W, 1], [N, H, W, 1]): each object's main and second colour, where the
    second lies, and its body (the object's pixels of its own hue: no sole, lace or clasp).
    The colours are the means of the larger and the smaller of two groups of its tones' pixels (two-means, started
    from those lighter and darker than the mean): the second is a two-tone shoe's toe cap, a two-tone bag's band, a
    shade of a plain object's own colour. Gradients reach each group's pixels, not which group a pixel is in: a
    round trip short of its toe cap's colour asks the bag for it. The region, no gradient, is where the smaller
    group is most of the tones within REGION_WINDOW, on the object and of its hue: one area, such as a bag's shaded
    lower part, never scattered pixels."""
    unit = (images + 1.0) / 2.0
    inked = eroded(tf.minimum(object_ink(images) / INK_FULL, 1.0), TONE_MARGIN)
    gate = tf.stop_gradient(_hue_gate(unit, inked))
    weights = inked * gate
    height, width, channels = (int(side) for side in images.shape[1:])
    pixels = tf.reshape(unit, [-1, height * width, channels])  # sums over pixels as batched matmuls, fast

    def mean_colour(group):
        group = tf.reshape(group, [-1, height * width, 1])
        return tf.matmul(group, pixels, transpose_a=True) / (tf.reduce_sum(group, axis=1, keepdims=True) + 1e-3)

    def nearer_first(first, second):  # |p - first|^2 <= |p - second|^2, written linear in p
        return tf.cast(2.0 * tf.matmul(pixels, second - first, transpose_b=True) <= tf.reduce_sum(
            tf.square(second) - tf.square(first), -1, keepdims=True), tf.float32)

    centre = mean_colour(weights)
    lighter = nearer_first(centre + 1.0, centre - 1.0)  # lighter than the mean
    for _ in range(TONE_ROUNDS):
        lighter = tf.reshape(lighter, [-1, height, width, 1])
        lighter = nearer_first(mean_colour(weights * lighter), mean_colour(weights * (1.0 - lighter)))
    lighter = tf.reshape(lighter, [-1, height, width, 1])
    light_share = tf.reduce_sum(weights * lighter, axis=[1, 2, 3]) / (tf.reduce_sum(weights, axis=[1, 2, 3]) + 1e-3)
    group = tf.stop_gradient(weights * tf.where(light_share[:, None, None, None] < 0.5, lighter, 1.0 - lighter))
    share = pool2d(group, "avg", REGION_WINDOW, 1, "SAME") / (pool2d(weights, "avg", REGION_WINDOW, 1, "SAME") + 1e-3)
    body = gate * object_cover(images)
    region = tf.sigmoid((share - 0.5) * REGION_SHARPNESS) * body
    main, second = (tf.reshape(mean_colour(part), [-1, 1, 1, channels]) for part in (weights - group, group))
    return main * 2.0 - 1.0, second * 2.0 - 1.0, tf.stop_gradient(region), body
