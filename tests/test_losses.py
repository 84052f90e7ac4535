"""The losses, including the book's swapped-argument bug in the discriminator loss (difference 1)."""
import math

import numpy as np
import tensorflow as tf

from discogan.losses import binary_cross_entropy_loss, discriminator_losses, generator_losses
from discogan.networks import build_discriminator

v1 = tf.compat.v1


def evaluate(tensors):
    with v1.Session() as session:
        session.run(v1.global_variables_initializer())
        return session.run(tensors)


def test_binary_cross_entropy_matches_the_formula():
    with tf.Graph().as_default():
        logits = tf.constant([[-2.0], [0.5], [3.0]])
        ones, zeros = evaluate([binary_cross_entropy_loss(logits=logits, labels=1.0),
                                binary_cross_entropy_loss(logits=logits, labels=0.0)])
    sigmoid = 1 / (1 + np.exp(-np.array([-2.0, 0.5, 3.0])))
    assert math.isclose(ones, -np.log(sigmoid).mean(), rel_tol=1e-5)
    assert math.isclose(zeros, -np.log(1 - sigmoid).mean(), rel_tol=1e-5)


def test_generator_losses_add_reconstruction_and_gan_terms():
    with tf.Graph().as_default():
        a, b = tf.zeros([2, 4, 4, 3]), tf.ones([2, 4, 4, 3])
        logits = tf.zeros([2, 1, 1, 1])
        result = evaluate(generator_losses(a, b, a + 1.0, b, logits, logits, lambda_l2=2.0))
    assert math.isclose(result["g_loss_a2b"], 2.0 * 1.0 + math.log(2), rel_tol=1e-5)
    assert math.isclose(result["g_loss_b2a"], math.log(2), rel_tol=1e-5)
    assert math.isclose(result["g_loss"], result["g_loss_a2b"] + result["g_loss_b2a"], rel_tol=1e-6)


def discriminator_graph():
    real = tf.random.uniform([4, 64, 64, 3], 0.5, 1.0, seed=2)
    fake = tf.random.uniform([4, 64, 64, 3], -1.0, -0.5, seed=3)
    logits = {name: build_discriminator(images, f"discriminator_{domain}", df=8, reuse=reuse)
              for name, images, domain, reuse in (("real_a", real, "A", False), ("fake_a", fake, "A", True),
                                                  ("real_b", real, "B", False), ("fake_b", fake, "B", True))}
    return discriminator_losses(logits["real_a"], logits["fake_a"], logits["real_b"], logits["fake_b"])


def test_fake_term_has_a_gradient_for_the_discriminator():
    with tf.Graph().as_default():
        losses = discriminator_graph()
        d_vars = [v for v in v1.trainable_variables() if v.name.startswith("discriminator_B")]
        gradients = tf.gradients(losses["db_loss_fake"], d_vars)
        assert all(g is not None for g in gradients)
        values = evaluate(gradients)
    assert sum(float(np.abs(g).sum()) for g in values) > 0


def test_discriminator_steps_lower_d_loss_on_fixed_data():
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        losses = discriminator_graph()
        step = v1.train.AdamOptimizer(2e-4, 0.5, 0.99).minimize(losses["d_loss"])
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            first = session.run(losses)
            for _ in range(10):
                session.run(step)
            last = session.run(losses)
    assert last["d_loss"] < first["d_loss"]
    assert last["db_loss_fake"] < first["db_loss_fake"]
    assert not math.isclose(last["da_loss_fake"], math.log(2), abs_tol=1e-3)
    assert math.isclose(last["d_loss"], last["da_loss"] + last["db_loss"], rel_tol=1e-6)
    assert math.isclose(last["db_loss"], (last["db_loss_real"] + last["db_loss_fake"]) / 2, rel_tol=1e-6)
