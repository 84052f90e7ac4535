"""The DiscoGAN losses: reconstruction (MSE) plus GAN terms (sigmoid cross-entropy on logits).

The book called `binary_cross_entropy_loss(logits, labels)` with the arguments swapped in the discriminator
loss, which made the fake term the constant ln 2 with zero gradient. Every call here passes keywords.
"""
from discogan.tf_compat import tf


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


def generator_losses(x_a, x_b, x_aba, x_bab, logits_fake_b, logits_fake_a, lambda_l2, feature_matching=0.0,
                     matched_features=None):
    """Per-direction generator losses: lambda_l2 * reconstruction + the adversarial term, and each term alone.

    The adversarial term is fooling the other domain's discriminator, mixed with feature matching when
    `feature_matching` > 0: (1 - f) * gan + f * fm, the matched features given as
    {"a2b": (real B features, A->B features), "b2a": (real A features, B->A features)}.
    Every entry of the returned dict is logged to TensorBoard.
    """
    terms = {}
    for direction, x, round_trip, logits in (("a2b", x_a, x_aba, logits_fake_b), ("b2a", x_b, x_bab, logits_fake_a)):
        terms[f"recon_loss_{direction}"] = mse(round_trip, x)
        terms[f"gan_loss_{direction}"] = adversarial = binary_cross_entropy_loss(logits=logits, labels=1.0)
        if feature_matching:
            terms[f"fm_loss_{direction}"] = feature_matching_loss(*matched_features[direction])
            adversarial = (1.0 - feature_matching) * adversarial + feature_matching * terms[f"fm_loss_{direction}"]
        terms[f"g_loss_{direction}"] = lambda_l2 * terms[f"recon_loss_{direction}"] + adversarial
    terms["g_loss"] = terms["g_loss_a2b"] + terms["g_loss_b2a"]
    return terms


def discriminator_losses(logits_real_a, logits_fake_a, logits_real_b, logits_fake_b):
    """Each discriminator: half of (real scored 1 + fake scored 0), summed over both domains."""
    terms = {
        "db_loss_real": binary_cross_entropy_loss(logits=logits_real_b, labels=1.0),
        "db_loss_fake": binary_cross_entropy_loss(logits=logits_fake_b, labels=0.0),
        "da_loss_real": binary_cross_entropy_loss(logits=logits_real_a, labels=1.0),
        "da_loss_fake": binary_cross_entropy_loss(logits=logits_fake_a, labels=0.0),
    }
    terms["db_loss"] = (terms["db_loss_real"] + terms["db_loss_fake"]) / 2.0
    terms["da_loss"] = (terms["da_loss_real"] + terms["da_loss_fake"]) / 2.0
    terms["d_loss"] = terms["db_loss"] + terms["da_loss"]
    return terms
