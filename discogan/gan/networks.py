"""The DiscoGAN generator (conv encoder-decoder) and discriminator, as in the book, and the authors' variant.

For 64x64 images: four 4x4 stride-2 convs (gf, 2gf, 4gf, 8gf; batch norm after the first) to 4x4x8gf; the book
then squeezes that through a 4x4 valid conv to a 1x1x100 code and back (`bottleneck="code"`), the DiscoGAN
authors' default generator goes on from the 4x4x8gf map (`bottleneck="spatial"`); then mirrored transposed
convs back to 64x64x3 with tanh. `resize` draws the authors' middle back with resize-convolutions, `bilinear`
with bilinear upsampling and 3x3 convs, `style` modulates the resize decoder by the input's texture statistics,
and `carry` lays the input's own print on the bilinear drawing where a fourth channel says, which `retone` also
recolours where its drawing's second tone lies. `--bottleneck` names the generator in GENERATORS, every builder
of which takes the images, the Architecture and whether it trains.
Larger powers of two add stride-2 layers (channels capped at 8x). No layer has a bias, as in the official
DiscoGAN networks: batch norm's beta makes one redundant, and a bias between the first conv and its leaky ReLU
also stops TensorFlow's graph optimizer (its remapper pass fails on that pattern and skips every fusion).
"""
import math
from typing import NamedTuple


from discogan.gan.objects import carried_print, filled_ink, object_cover, object_ink, object_tones
from discogan.gan.ops import (batch_norm, bilinear_conv2d, collect_update_ops, conv2d, conv2d_transpose, dense,
                              lrelu, pool2d, resize_conv2d, weighted_moments)
from discogan.options.config import check_image_size
from discogan.runtime.tf_compat import tf, v1


CODE_SIZE = 100
GENERATOR_SCOPE, DISCRIMINATOR_SCOPE = "generator_", "discriminator_"  # the scopes' prefixes: whose variables
GENERATOR_SCOPES = {"AtoB": f"{GENERATOR_SCOPE}AB", "BtoA": f"{GENERATOR_SCOPE}BA"}
PRINT_ENCODER_SCOPE = f"{DISCRIMINATOR_SCOPE}print"  # trained in the discriminators' step, on real images only
PRINT_EMBEDDING = 64


class Architecture(NamedTuple):
    """What the networks' variables depend on; recorded in config.json and read back by every command."""
    image_size: int = 64
    gf: int = 64
    df: int = 64
    bottleneck: str = "code"  # the generator's name in GENERATORS

    @classmethod
    def of(cls, config):
        """From a TrainConfig or a config.json dict; a record older than the bottleneck option is the book's."""
        get = config.get if isinstance(config, dict) else lambda key, default=None: getattr(config, key, default)
        architecture = cls(get("image_size"), get("gf"), get("df"), get("bottleneck", "code"))
        generator_builder(architecture)
        return architecture


def _widths(base, image_size):
    """Channel widths of the stride-2 layers: base, 2*base, ... capped at 8*base, down to 4x4."""
    return [base * min(2 ** i, 8) for i in range(int(math.log2(image_size)) - 2)]


def _encoder(x, widths, training):
    """The stride-2 convs shared by generators and discriminators: conv, batch norm (not on the first), leaky
    ReLU; returns every layer's output."""
    outputs, h = [], x
    for i, width in enumerate(widths, start=1):
        with v1.variable_scope(f"dwn{i}"):
            h = conv2d(h, width, "conv")
            h = lrelu(h if i == 1 else batch_norm(h, "bn", training))
        outputs.append(h)
    return outputs


def _decoder(h, widths, training, first_up, upsample=conv2d_transpose, style=None, channels=3):
    """The encoder mirrored from its 4x4 map back to an image in [-1, 1]: `upsample` layers (transposed convs by
    default), batch norm and ReLU, tanh at the end over `channels`; the layers are up{first_up}, up{first_up + 1}, ...

    With a `style` vector per image, each batch norm's output is scaled and shifted by a projection of it (as
    AdaIN does in MUNIT): what the style holds reaches every scale of the drawing, wherever the layout puts it.
    """
    decoder_widths = list(reversed(widths[:-1]))
    for i, width in enumerate(decoder_widths, start=first_up):
        with v1.variable_scope(f"up{i}"):
            h = batch_norm(upsample(h, width, "deconv"), "bn", training)
            if style is not None:
                h = h * (1.0 + dense(style, width, "style_scale")[:, None, None, :]) + dense(
                    style, width, "style_shift")[:, None, None, :]
            h = tf.nn.relu(h)
    with v1.variable_scope(f"up{first_up + len(decoder_widths)}"):
        return tf.tanh(upsample(h, channels, "deconv"))


def _from_the_middle(x, architecture, training, upsample, channels=3):
    """The encoder, then the decoder straight from its 4x4x8gf map, each layer upsampling with `upsample`."""
    widths = _widths(architecture.gf, int(x.shape[1]))
    return _decoder(_encoder(x, widths, training)[-1], widths, training, first_up=1, upsample=upsample,
                    channels=channels)


def spatial_generator(x, architecture, training):
    """The DiscoGAN authors' default generator: the decoder starts from the encoder's 4x4x8gf map."""
    return _from_the_middle(x, architecture, training, conv2d_transpose)


def resize_generator(x, architecture, training):
    """The authors' generator with resize-convolutions in place of its transposed convs: the same 4x4x8gf middle,
    drawn back without the transposed convs' checkerboard speckle."""
    return _from_the_middle(x, architecture, training, resize_conv2d)


def bilinear_generator(x, architecture, training):
    """The authors' generator drawn back with bilinear upsampling and 3x3 convs: the 4x4 middle's cells blend into
    each other, so neither checkerboard speckle nor the resize generator's grid at its cells' borders."""
    return _from_the_middle(x, architecture, training, bilinear_conv2d)


def carry_generator(x, architecture, training):
    """The bilinear generator with a fourth channel saying where to lay the input's own print (carried_print) on
    its clean drawing: the decoder draws the new shape and the print is carried over, not invented."""
    return lay_print(_from_the_middle(x, architecture, training, bilinear_conv2d, channels=4), x)


def lay_print(drawn, x):
    """The drawing drawn[..., :3] with x's carried print laid where drawn[..., 3] says, in [-1, 1], and only on the
    drawn object (object_cover): print on the page around a shoe is no shoe's."""
    drawing = drawn[..., :3]
    where = (drawn[..., 3:] + 1.0) / 2.0 * object_cover(drawing)
    return tf.clip_by_value(drawing + where * carried_print(x), -1.0, 1.0)


def retone_generator(x, architecture, training):
    """The carry generator whose drawing's own second tone (object_tones' region: where its smaller group of
    pixels is most of the tones around, a bag's shaded lower part) stands apart as the input's does: a two-tone
    shoe's pale toe cap gives its bag a pale band, a plain shoe a plain bag."""
    drawn = _from_the_middle(x, architecture, training, bilinear_conv2d, channels=4)
    return lay_print(tf.concat([retone(drawn[..., :3], x), drawn[..., 3:]], axis=-1), x)


def retone(drawing, x):
    """`drawing` with its second tone's region set apart from the rest of its body as x's second colour is from
    its main colour, the object's mean colour and shading kept and its sole, laces and clasp left as drawn: the
    colour loss keeps the colour, this the tones."""
    main, second, region, body = object_tones(drawing)
    x_main, x_second = object_tones(x)[:2]
    share = tf.reduce_sum(region, axis=[1, 2], keepdims=True) / (
        tf.reduce_sum(body, axis=[1, 2], keepdims=True) + 1e-3)
    return drawing + (region - share * body) * ((x_second - x_main) - (second - main))


def _texture_statistics(features, ink):
    """Each image's mean and standard deviation of every channel of `features` over its object (`ink`, closed
    over a print's pale parts, pooled to each feature's size): what its surface looks like, colour and print, not
    where anything is nor how much page is around it."""
    weights = filled_ink(ink)
    statistics = []
    for feature in features:
        factor = int(ink.shape[1]) // int(feature.shape[1])
        statistics += weighted_moments(feature, pool2d(weights, "avg", factor, factor, "VALID"))
    return tf.concat(statistics, axis=1)


def style_generator(x, architecture, training):
    """The resize generator whose decoder is modulated by the input object's texture statistics: the first three
    encoder layers' per-channel means and deviations, through one layer. The 4x4 middle carries the layout, free to
    change from bag to shoe; the statistics carry the print to every scale of the new shape."""
    widths = _widths(architecture.gf, int(x.shape[1]))
    features = _encoder(x, widths, training)
    with v1.variable_scope("style"):
        style = lrelu(dense(_texture_statistics(features[:3], object_ink(x)), widths[-1], "dense"))
    return _decoder(features[-1], widths, training, first_up=1, upsample=resize_conv2d, style=style)


def code_generator(x, architecture, training):
    """The book's generator: the encoder's 4x4 map squeezed through a 4x4 valid conv to a 1x1x100 code and back."""
    widths = _widths(architecture.gf, int(x.shape[1]))
    h = _encoder(x, widths, training)[-1]
    with v1.variable_scope(f"dwn{len(widths) + 1}"):
        h = lrelu(batch_norm(conv2d(h, CODE_SIZE, "conv", stride=1, padding="VALID"), "bn", training))
    with v1.variable_scope("up1"):
        h = tf.nn.relu(batch_norm(conv2d_transpose(h, widths[-1], "deconv", stride=1, padding="VALID"), "bn",
                                  training))
    return _decoder(h, widths, training, first_up=2)


# --bottleneck NAME chooses the generator: NAME -> builder(images, architecture, training), built in its scope.
GENERATORS = {"code": code_generator, "spatial": spatial_generator, "resize": resize_generator,
              "bilinear": bilinear_generator, "style": style_generator, "carry": carry_generator,
              "retone": retone_generator}


def generator_builder(architecture):
    """The builder of `architecture`'s generator, refused by --bottleneck name where there is none."""
    if architecture.bottleneck not in GENERATORS:
        raise ValueError(f"--bottleneck must be one of {', '.join(GENERATORS)}, got {architecture.bottleneck!r}")
    return GENERATORS[architecture.bottleneck]


def build_generator(x, direction, architecture=Architecture(), training=True, reuse=False):
    """The `direction` generator's translation of a batch of [-1, 1] images: the input's shape, in [-1, 1]."""
    check_image_size(int(x.shape[1]))
    build = generator_builder(architecture)
    with v1.variable_scope(GENERATOR_SCOPES[direction], reuse=reuse):
        return build(x, architecture, training)


def build_discriminator(x, name, df=64, training=True, reuse=False, return_features=False):
    """One real/fake logit per image, shape [N, 1, 1, 1]; with `return_features`, (logit, features): the outputs
    of the layers after the first, which feature matching compares (the authors' conv2..conv4 at 64x64)."""
    image_size = int(x.shape[1])
    check_image_size(image_size)
    with v1.variable_scope(name, reuse=reuse):
        features = _encoder(x, _widths(df, image_size), training)
        with v1.variable_scope("logit"):
            logit = conv2d(features[-1], 1, "conv", stride=1, padding="VALID")
    return (logit, features[1:]) if return_features else logit


def build_print_encoder(patches, df=64):
    """[M, PRINT_EMBEDDING] codes of M patches of objects, one network for both domains (discogan.gan.losses'
    print terms teach it what tells one object's surface from another's): a 3x3 conv, stride-2 convs down to 4x4,
    their mean over the patch, a dense layer."""
    with v1.variable_scope(PRINT_ENCODER_SCOPE, reuse=v1.AUTO_REUSE):
        with v1.variable_scope("patch"):
            h = lrelu(conv2d(patches, df, "conv", kernel=3, stride=1))
        for i, width in enumerate(_widths(df * 2, int(patches.shape[1])), start=1):
            with v1.variable_scope(f"dwn{i}"):
                h = lrelu(conv2d(h, width, "conv"))
        return dense(tf.reduce_mean(h, axis=[1, 2]), PRINT_EMBEDDING, "code")


def generator_of(direction, architecture, training=True):
    """images -> the `direction` generator's translation, reusing its variables (no moving-average updates)."""
    return lambda images: build_generator(images, direction, architecture, training, reuse=True)


def build_cycle(x_a, x_b, architecture=Architecture(), training=True, reuse=False):
    """Both translations and both round trips, (A->B, A->B->A, B->A, B->A->B), and the batch-norm update ops.

    In training, the moving averages learn from the translations of real images only: those are the inputs a
    generator gets at inference. Averaging in the statistics of the round trips (a generator fed the other
    generator's fakes) gives moving averages that fit neither input, and inference output far from training's.
    """
    with collect_update_ops() as translation_updates:
        x_ab = build_generator(x_a, "AtoB", architecture, training, reuse)
        x_ba = build_generator(x_b, "BtoA", architecture, training, reuse)
    x_aba = generator_of("BtoA", architecture, training)(x_ab)
    x_bab = generator_of("AtoB", architecture, training)(x_ba)
    return (x_ab, x_aba, x_ba, x_bab), translation_updates
