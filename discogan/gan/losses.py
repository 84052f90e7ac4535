"""The DiscoGAN losses: reconstruction (MSE) plus GAN terms (sigmoid cross-entropy on logits), and the optional
feature-matching, identity, colour and texture terms. Every call passes `logits=` and `labels=` by keyword: the book's
discriminator loss swapped them (docs/book.md, difference 1)."""
from typing import Callable, NamedTuple

import numpy as np

from discogan.gan.networks import build_print_encoder
from discogan.gan.objects import object_ink, object_interior, object_patches, on_white_page
from discogan.gan.ops import pool2d, weighted_moments
from discogan.options.config import PER_DIRECTION
from discogan.runtime.tf_compat import tf
from discogan.scores.colour_metrics import OPPONENT_AXES


def binary_cross_entropy_loss(logits, labels):
    """Mean sigmoid cross-entropy of `logits` against a constant or tensor of `labels`."""
    labels = tf.broadcast_to(tf.cast(labels, logits.dtype), tf.shape(logits))
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def mse(prediction, target):
    return tf.reduce_mean(tf.math.squared_difference(prediction, target))


def feature_matching_loss(real_features, fake_features):
    """Sum over layers of the mean squared difference of the batch-mean features of real and fake images.

    The DiscoGAN authors write it as HingeEmbeddingLoss with target 1, which is that mean: the generator is
    asked to match the statistics the discriminator sees in real images, not only to fool its last layer.
    """
    return tf.add_n([mse(tf.reduce_mean(fake, axis=0), tf.reduce_mean(real, axis=0))
                     for real, fake in zip(real_features, fake_features)])


class Direction(NamedTuple):
    """One direction of the cycle (a2b: A -> B), the tensors every generator term reads.

    `generator` runs this direction's generator on other images (its weights and batch statistics, without
    moving-average updates), for terms such as the identity loss that need one more pass.
    """
    source: tf.Tensor  # real images of the input domain
    target: tf.Tensor  # real images of the output domain
    translated: tf.Tensor  # G(source)
    round_trip: tf.Tensor  # F(G(source))
    fake_logits: tf.Tensor  # the output domain's discriminator on G(source)
    real_features: list  # its features of real target images, for feature matching
    fake_features: list  # its features of G(source)
    generator: Callable


def object_colour(images):
    """(mean, spread) of each image's object colour, [N, 3] each on the [0, 1] scale: the per-channel mean and
    standard deviation of its pixels, each weighted by its ink (object_ink)."""
    return weighted_moments((images + 1.0) / 2.0, object_ink(images))


def colour_loss(source, translated, chroma_weight=1.0):
    """Squared difference of the object colour's mean and spread between each input and its translation (a blue
    striped bag should give a blue shoe with the stripes' contrast, whatever the two shapes), for the pairs that
    both show an object on a white page.

    `chroma_weight` weighs the mean colour's opponent (chroma) axes against its grey axis; at 1 the difference
    is the plain RGB one. Most shoes are black, brown or white, so the adversarial term pulls a pink bag's shoe
    towards grey; in RGB a halved chroma costs little, and the shoes kept their bags' lightness but half their
    chroma (docs/recipes.md, `--colour_chroma`).

    A fresh generator draws a grey page; pulled towards the input's colour, the page itself turned that colour
    and stayed so (the shoes demo). Left to the adversarial terms until it is white, it becomes a page first.
    """
    (source_mean, source_spread), (mean, spread) = object_colour(source), object_colour(translated)
    axis_weights = tf.constant([1.0, chroma_weight, chroma_weight], tf.float32)
    mean_differences = tf.square(tf.matmul(mean - source_mean, OPPONENT_AXES)) * axis_weights
    differences = tf.reduce_mean(mean_differences + tf.square(spread - source_spread), axis=1)
    return tf.reduce_mean(on_white_page(source) * on_white_page(translated) * differences)


# Derivatives of lightness in four orientations and the Laplacian: stripes light one orientation, checks two, dots
# all alike and a plain surface none, so their second moments tell the prints apart whatever the object's shape.
TEXTURE_FILTERS = np.stack([
    [[0, 0, 0], [-1, 0, 1], [0, 0, 0]], [[0, -1, 0], [0, 0, 0], [0, 1, 0]], [[-1, 0, 0], [0, 0, 0], [0, 0, 1]],
    [[0, 0, -1], [0, 0, 0], [1, 0, 0]], [[0, 1, 0], [1, -4, 1], [0, 1, 0]]], axis=-1).astype(np.float32)[:, :, None, :]
TEXTURE_SCALES = 2  # full size and half size: the prints' repeat is a few pixels at 64x64


def object_texture(images):
    """[N, D] texture statistics of each image's object: the second moments (a Gram matrix) of the TEXTURE_FILTERS'
    responses to its lightness at each of TEXTURE_SCALES, over the object's interior (object_colour's ink, closed
    then eroded, no gradient), each as a signed square root so that faint and strong prints weigh alike."""
    ink = object_ink(images)
    lightness = tf.reduce_mean((images + 1.0) / 2.0, axis=-1, keepdims=True)
    upper = np.triu_indices(TEXTURE_FILTERS.shape[-1])
    statistics = []
    for scale in range(TEXTURE_SCALES):
        if scale:
            lightness, ink = (pool2d(x, "avg", 2, 2, "VALID") for x in (lightness, ink))
        interior = object_interior(ink)
        responses = tf.nn.conv2d(lightness, TEXTURE_FILTERS, 1, "SAME")
        gram = tf.einsum("nhwi,nhwj->nij", responses * interior, responses) / (
            tf.reduce_sum(interior, axis=[1, 2, 3])[:, None, None] + 1e-3)
        moments = tf.transpose(tf.gather_nd(tf.transpose(gram, [1, 2, 0]), np.stack(upper, axis=1)))
        statistics.append(tf.sign(moments) * tf.sqrt(tf.abs(moments) + 1e-6))
    return tf.concat(statistics, axis=1)


def texture_loss(source, translated):
    """Squared difference of the object texture statistics (object_texture) between each input and its
    translation, for the pairs that both show an object on a white page: a checked bag should give a checked
    shoe, a plain one a plain shoe, whatever the two shapes."""
    differences = tf.reduce_mean(tf.square(object_texture(translated) - object_texture(source)), axis=1)
    return tf.reduce_mean(on_white_page(source) * on_white_page(translated) * differences)


PRINT_PATCHES = 8  # patches of each object whose mean code stands for its print
PRINT_TEMPERATURE = 0.1  # of the contrast's softmax over cosine similarities, as in SimCLR and CUT


def print_codes(images, df):
    """[N, PRINT_EMBEDDING] unit-length: the print encoder's mean code of PRINT_PATCHES patches drawn at random
    from each image's object (discogan.gan.objects.object_patches)."""
    codes = build_print_encoder(object_patches(images, PRINT_PATCHES), df)
    return tf.math.l2_normalize(tf.reduce_mean(tf.reshape(codes, [-1, PRINT_PATCHES, codes.shape[-1]]), axis=1), -1)


def contrast(queries, keys, decoys=None):
    """InfoNCE: cross-entropy of each query picking its own key (same row) among the batch's, by cosine similarity;
    `decoys` are further wrong keys for every query."""
    candidates = keys if decoys is None else tf.concat([keys, decoys], axis=0)
    logits = tf.matmul(queries, candidates, transpose_b=True) / PRINT_TEMPERATURE
    labels = tf.range(tf.shape(queries)[0])
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def print_loss(source, translated, df):
    """Patches of each translation's object should pick out its own input's among the batch's, to the print
    encoder: a checked bag gives a shoe that reads as that checked bag, not as the batch's other bags."""
    return contrast(print_codes(translated, df), tf.stop_gradient(print_codes(source, df)))


def print_encoder_loss(images_a, images_b, translated_ab, translated_ba, df):
    """The print encoder's own loss: two random draws of patches of one real object should pick out each other
    among the batch's, of both domains, and not the translations' (Swapping Autoencoder's patch co-occurrence
    discriminator, as a contrast). Without the translations as decoys a generator soon met its print loss with
    patterns that the encoder read and no judge saw as a print."""
    images = tf.concat([images_a, images_b], axis=0)
    decoys = tf.stop_gradient(tf.concat([translated_ab, translated_ba], axis=0))
    return contrast(print_codes(images, df), print_codes(images, df), print_codes(decoys, df))


def generator_losses(cycle, config, lambda_l2):
    """Per-direction generator losses of `cycle` ({"a2b": Direction, "b2a": Direction}), and each term alone.

    Each direction's loss is lambda_l2 * reconstruction + the adversarial term, mixed with feature matching when
    its share f of config.feature_matching is above 0: (1 - f) * gan + f * fm; plus, when their weights are set,
    the identity loss (CycleGAN's G(target) ~ target, L1), the colour loss, which may weigh each direction apart
    (bag -> shoe needs a harder pull than shoe -> bag), and the texture and print losses, which may too. Every
    entry of the returned dict is logged to TensorBoard.
    """
    terms, weights = {}, {flag: config.direction_weights(flag) for flag in PER_DIRECTION}
    input_terms = {  # what of its input a translation keeps: each term's weight is its flag lambda_{term}
        "colour": lambda source, translated: colour_loss(source, translated, config.colour_chroma),
        "texture": texture_loss, "print": lambda source, translated: print_loss(source, translated, config.df)}
    for name, direction in cycle.items():
        terms[f"recon_loss_{name}"] = mse(direction.round_trip, direction.source)
        terms[f"gan_loss_{name}"] = adversarial = binary_cross_entropy_loss(logits=direction.fake_logits, labels=1.0)
        share = weights["feature_matching"][name]
        if share:
            terms[f"fm_loss_{name}"] = feature_matching_loss(direction.real_features, direction.fake_features)
            adversarial = (1.0 - share) * adversarial + share * terms[f"fm_loss_{name}"]
        total = lambda_l2 * terms[f"recon_loss_{name}"] + adversarial
        if config.lambda_identity:
            terms[f"identity_loss_{name}"] = tf.reduce_mean(tf.abs(direction.generator(direction.target)
                                                                   - direction.target))
            total += config.lambda_identity * terms[f"identity_loss_{name}"]
        for term, loss in input_terms.items():
            weight = weights[f"lambda_{term}"][name]
            if weight:
                terms[f"{term}_loss_{name}"] = loss(direction.source, direction.translated)
                total += weight * terms[f"{term}_loss_{name}"]
        terms[f"g_loss_{name}"] = total
    terms["g_loss"] = terms["g_loss_a2b"] + terms["g_loss_b2a"]
    return terms


def discriminator_losses(logits_real_a, logits_fake_a, logits_real_b, logits_fake_b, print_encoder=None):
    """Each discriminator: half of (real scored 1 + fake scored 0), summed over both domains; plus the print
    encoder's loss when it is given (it trains in the same step)."""
    terms = {
        "db_loss_real": binary_cross_entropy_loss(logits=logits_real_b, labels=1.0),
        "db_loss_fake": binary_cross_entropy_loss(logits=logits_fake_b, labels=0.0),
        "da_loss_real": binary_cross_entropy_loss(logits=logits_real_a, labels=1.0),
        "da_loss_fake": binary_cross_entropy_loss(logits=logits_fake_a, labels=0.0),
    }
    terms["db_loss"] = (terms["db_loss_real"] + terms["db_loss_fake"]) / 2.0
    terms["da_loss"] = (terms["da_loss_real"] + terms["da_loss_fake"]) / 2.0
    terms["d_loss"] = terms["db_loss"] + terms["da_loss"]
    if print_encoder is not None:
        terms["print_encoder_loss"] = print_encoder
        terms["d_loss"] += print_encoder
    return terms
