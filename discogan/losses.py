"""The DiscoGAN losses: reconstruction (MSE) plus GAN terms (sigmoid cross-entropy on logits).

The book called `binary_cross_entropy_loss(logits, labels)` with the arguments swapped in the discriminator
loss, which made the fake term the constant ln 2 with zero gradient. Every call here passes keywords.
"""
import tensorflow as tf


def binary_cross_entropy_loss(logits, labels):
    """Mean sigmoid cross-entropy of `logits` against a constant or tensor of `labels`."""
    labels = tf.broadcast_to(tf.cast(labels, logits.dtype), tf.shape(logits))
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def mse(prediction, target):
    return tf.reduce_mean(tf.math.squared_difference(prediction, target))


def generator_losses(x_a, x_b, x_aba, x_bab, logits_fake_b, logits_fake_a, lambda_l2):
    """Per-direction generator losses: reconstruction and fooling the other domain's discriminator."""
    g_loss_a2b = lambda_l2 * mse(x_aba, x_a) + binary_cross_entropy_loss(logits=logits_fake_b, labels=1.0)
    g_loss_b2a = lambda_l2 * mse(x_bab, x_b) + binary_cross_entropy_loss(logits=logits_fake_a, labels=1.0)
    return {"g_loss_a2b": g_loss_a2b, "g_loss_b2a": g_loss_b2a, "g_loss": g_loss_a2b + g_loss_b2a}


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
