"""The losses, including the book's swapped-argument bug in the discriminator loss (difference 1)."""
import math

import numpy as np
import pytest
import tensorflow as tf

from discogan.gan.losses import (Direction, binary_cross_entropy_loss, colour_loss, discriminator_losses,
                                 generator_losses, object_colour, print_encoder_loss, print_loss, texture_loss)
from discogan.gan.networks import PRINT_ENCODER_SCOPE, Architecture, build_cycle, build_discriminator, generator_of
from discogan.gan.objects import carried_print, object_patches
from discogan.options.config import TrainConfig

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


def before_and_after(optimizer, loss, fetches, steps):
    """`fetches` before and after `steps` steps of `optimizer` on `loss`, from freshly initialised variables."""
    step = optimizer.minimize(loss)
    with v1.Session() as session:
        session.run(v1.global_variables_initializer())
        first = session.run(fetches)
        for _ in range(steps):
            session.run(step)
        return first, session.run(fetches)


def direction(source, target, round_trip, logits, translated=None, generator=None):
    return Direction(source, target, source if translated is None else translated, round_trip, logits, [], [],
                     generator)


def test_generator_losses_add_reconstruction_and_gan_terms():
    with tf.Graph().as_default():
        a, b = tf.zeros([2, 4, 4, 3]), tf.ones([2, 4, 4, 3])
        logits = tf.zeros([2, 1, 1, 1])
        cycle = {"a2b": direction(a, b, a + 1.0, logits), "b2a": direction(b, a, b, logits)}
        result = evaluate(generator_losses(cycle, TrainConfig(), lambda_l2=2.0))
    assert math.isclose(result["g_loss_a2b"], 2.0 * 1.0 + math.log(2), rel_tol=1e-5)
    assert math.isclose(result["g_loss_b2a"], math.log(2), rel_tol=1e-5)
    assert math.isclose(result["g_loss"], result["g_loss_a2b"] + result["g_loss_b2a"], rel_tol=1e-6)
    assert not any(key.startswith(("identity_", "colour_")) for key in result)


def coloured_bags(rgb, size=16):
    """Images in [-1, 1]: a white page with a centred square of colour `rgb` (values in [0, 1])."""
    image = np.ones([1, size, size, 3], np.float32)
    image[:, size // 4:3 * size // 4, size // 4:3 * size // 4] = rgb
    return tf.constant(image * 2.0 - 1.0)


def test_object_colour_ignores_the_white_background():
    with tf.Graph().as_default():
        mean, spread = evaluate(object_colour(coloured_bags([0.2, 0.4, 0.8])))
    np.testing.assert_allclose(mean[0], [0.2, 0.4, 0.8], atol=0.01)
    np.testing.assert_allclose(spread[0], 0.0, atol=0.01)


def test_colour_loss_is_zero_for_the_same_colour_in_another_shape_and_moves_colour_towards_the_input():
    with tf.Graph().as_default():
        blue = coloured_bags([0.1, 0.2, 0.9])
        other_shape = np.ones([1, 16, 16, 3], np.float32)
        other_shape[:, 2:6, 1:15] = [0.1, 0.2, 0.9]
        same = colour_loss(blue, tf.constant(other_shape * 2.0 - 1.0))
        shoe = tf.Variable(coloured_bags([0.8, 0.3, 0.3]))
        loss = colour_loss(blue, shoe)
        step = v1.train.AdamOptimizer(0.05).minimize(loss)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            assert session.run(same) < 1e-5
            first = session.run(loss)
            for _ in range(50):
                session.run(step)
            last, mean = session.run([loss, object_colour(shoe)[0]])
    assert last < first / 10
    assert mean[0, 2] > mean[0, 0]  # the red square has turned blue


def test_object_colour_weighs_the_white_page_nothing_and_faint_noise_little():
    rng = np.random.default_rng(0)
    with tf.Graph().as_default():
        bag = (coloured_bags([0.2, 0.4, 0.8]) + 1.0) / 2.0
        noise = rng.uniform(0.88, 1.0, [1, 16, 16, 3]).astype(np.float32)
        noisy = tf.where(bag > 0.99, noise, bag)
        mean, _ = evaluate(object_colour(noisy * 2.0 - 1.0))
    np.testing.assert_allclose(mean[0], [0.2, 0.4, 0.8], atol=0.04)


def test_colour_loss_waits_for_a_white_page():
    with tf.Graph().as_default():
        grey_page = tf.zeros([1, 16, 16, 3])
        assert evaluate(colour_loss(coloured_bags([0.9, 0.1, 0.1]), grey_page)) < 1e-4
        assert evaluate(colour_loss(coloured_bags([0.9, 0.1, 0.1]), coloured_bags([0.5, 0.5, 0.5]))) > 0.05


def test_chroma_weight_scales_differences_of_hue_and_leaves_lightness_alone():
    pink, grey = [0.9, 0.4, 0.6], [0.9 / 3 + 0.4 / 3 + 0.6 / 3] * 3  # the same lightness (mean of the channels)
    with tf.Graph().as_default():
        hue = [colour_loss(coloured_bags(pink), coloured_bags(grey), weight) for weight in (1.0, 3.0)]
        lightness = [colour_loss(coloured_bags([0.3] * 3), coloured_bags([0.6] * 3), weight) for weight in (1.0, 3.0)]
        hue, lightness = evaluate(hue), evaluate(lightness)
    rgb_difference = np.mean(np.square(np.subtract(pink, grey)))  # at weight 1, the plain RGB difference
    assert math.isclose(hue[0], rgb_difference, rel_tol=1e-3)
    assert math.isclose(hue[1], 3.0 * hue[0], rel_tol=1e-3)
    assert lightness[0] > 0.05 and math.isclose(lightness[1], lightness[0], rel_tol=1e-4)


def test_feature_matching_mixes_each_direction_by_its_own_share_when_given_two():
    with tf.Graph().as_default():
        a, b = tf.zeros([2, 4, 4, 3]), tf.ones([2, 4, 4, 3])
        logits = tf.zeros([2, 1, 1, 1])
        real, fake = [tf.ones([2, 3])], [tf.zeros([2, 3])]  # batch means 1 apart: a feature-matching loss of 1
        cycle = {name: Direction(a, b, a, a, logits, real, fake, None) for name in ("a2b", "b2a")}
        result = evaluate(generator_losses(cycle, TrainConfig(feature_matching=(0.9, 0.0)), lambda_l2=1.0))
    assert math.isclose(result["g_loss_a2b"], 0.1 * math.log(2) + 0.9 * 1.0, rel_tol=1e-5)
    assert "fm_loss_b2a" not in result and math.isclose(result["g_loss_b2a"], math.log(2), rel_tol=1e-5)


def test_weighted_terms_enter_the_total_only_when_set():
    with tf.Graph().as_default():
        a, b = coloured_bags([0.1, 0.2, 0.9]), coloured_bags([0.9, 0.2, 0.1])
        logits = tf.zeros([1, 1, 1, 1])
        striped = printed_objects("stripes", "tall")
        cycle = {"a2b": direction(a, b, a, logits, translated=striped, generator=lambda images: images * 0.0),
                 "b2a": direction(b, a, b, logits, translated=b, generator=lambda images: images)}
        plain = evaluate(generator_losses(cycle, TrainConfig(), lambda_l2=1.0))
        weighted = evaluate(generator_losses(
            cycle, TrainConfig(lambda_identity=2.0, lambda_colour=3.0, lambda_texture=4.0), 1.0))
    assert not any(key.startswith(("identity_", "colour_", "texture_")) for key in plain)
    assert weighted["colour_loss_a2b"] > 0.01 and weighted["colour_loss_b2a"] < 1e-6
    assert weighted["identity_loss_b2a"] < 1e-6 and weighted["identity_loss_a2b"] > 0.5
    assert weighted["texture_loss_a2b"] > 1e-3 and weighted["texture_loss_b2a"] < 1e-6
    assert math.isclose(weighted["g_loss_a2b"], plain["g_loss_a2b"] + 2.0 * weighted["identity_loss_a2b"]
                        + 3.0 * weighted["colour_loss_a2b"] + 4.0 * weighted["texture_loss_a2b"], rel_tol=1e-5)


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
        first, last = before_and_after(v1.train.AdamOptimizer(2e-4, 0.5, 0.99), losses["d_loss"], losses, 10)
    assert last["d_loss"] < first["d_loss"]
    assert last["db_loss_fake"] < first["db_loss_fake"]
    assert not math.isclose(last["da_loss_fake"], math.log(2), abs_tol=1e-3)
    assert math.isclose(last["d_loss"], last["da_loss"] + last["db_loss"], rel_tol=1e-6)
    assert math.isclose(last["db_loss"], (last["db_loss_real"] + last["db_loss_fake"]) / 2, rel_tol=1e-6)


def test_the_identity_loss_moves_g_ab_towards_the_identity_on_b():
    rng = np.random.default_rng(0)
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        a, b = (tf.constant(rng.uniform(-1, 1, [4, 16, 16, 3]).astype(np.float32)) for _ in "ab")
        architecture = Architecture(16, 4, 4, "spatial")
        (x_ab, x_aba, x_ba, x_bab), _ = build_cycle(a, b, architecture)
        logits = tf.zeros([4, 1, 1, 1])
        cycle = {"a2b": Direction(a, b, x_ab, x_aba, logits, [], [], generator_of("AtoB", architecture)),
                 "b2a": Direction(b, a, x_ba, x_bab, logits, [], [], generator_of("BtoA", architecture))}
        losses = generator_losses(cycle, TrainConfig(lambda_identity=1.0), lambda_l2=0.0)
        g_ab = [v for v in v1.trainable_variables() if v.name.startswith("generator_AB/")]
        step = v1.train.AdamOptimizer(1e-2).minimize(losses["g_loss"], var_list=g_ab)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            first = session.run(losses["identity_loss_a2b"])
            for _ in range(60):
                session.run(step)
            last = session.run(losses["identity_loss_a2b"])
    assert last < 0.75 * first


@pytest.mark.parametrize("flag, term", [("lambda_colour", "colour_loss"), ("lambda_texture", "texture_loss")])
def test_a_loss_weighed_per_direction_weighs_each_by_its_own_weight_when_given_two(flag, term):
    with tf.Graph().as_default():
        blue, red = coloured_bags([0.1, 0.2, 0.9], size=32), coloured_bags([0.9, 0.2, 0.1], size=32)
        striped, checked = printed_objects("stripes", "wide"), printed_objects("checks", "tall")
        logits = tf.zeros([1, 1, 1, 1])
        cycle = {"a2b": direction(blue, red, blue, logits, translated=striped),
                 "b2a": direction(red, blue, red, logits, translated=checked)}
        plain = evaluate(generator_losses(cycle, TrainConfig(), lambda_l2=1.0))
        apart = evaluate(generator_losses(cycle, TrainConfig(**{flag: (3.0, 5.0)}), 1.0))
        one_way = evaluate(generator_losses(cycle, TrainConfig(**{flag: (3.0, 0.0)}), 1.0))
    assert apart[f"{term}_a2b"] > 1e-3 and apart[f"{term}_b2a"] > 1e-3
    for name, weight in (("a2b", 3.0), ("b2a", 5.0)):
        assert math.isclose(apart[f"g_loss_{name}"], plain[f"g_loss_{name}"] + weight * apart[f"{term}_{name}"],
                            rel_tol=1e-5)
    assert f"{term}_b2a" not in one_way and math.isclose(one_way["g_loss_b2a"], plain["g_loss_b2a"], rel_tol=1e-6)


def printed_objects(kind, shape, size=32):
    """[1, size, size, 3] in [-1, 1]: a white page with a mid-blue object (a wide or a tall box) printed `kind`."""
    image = np.ones([size, size, 3], np.float32)
    rows, columns = np.mgrid[:size, :size]
    pattern = {"plain": np.zeros_like(rows, bool), "stripes": (columns // 2) % 2 == 0,
               "checks": ((rows // 3) + (columns // 3)) % 2 == 0, "dots": (rows % 4 == 1) & (columns % 4 == 1),
               "bands": (rows // 2) % 2 == 0}[kind]
    scale = size // 32
    box = ((slice(10 * scale, 22 * scale), slice(2 * scale, 30 * scale)) if shape == "wide"
           else (slice(2 * scale, 30 * scale), slice(10 * scale, 22 * scale)))
    image[box] = np.where(pattern[box][..., None], [0.9, 0.9, 1.0], [0.2, 0.3, 0.7])
    return tf.constant(image[None] * 2.0 - 1.0)


def test_texture_loss_tells_prints_apart_whatever_the_shape_and_moves_the_translation_towards_the_print():
    with tf.Graph().as_default():
        same = {kind: texture_loss(printed_objects(kind, "wide"), printed_objects(kind, "tall"))
                for kind in ("plain", "stripes", "checks")}
        other = [texture_loss(printed_objects(a, "wide"), printed_objects(b, "tall"))
                 for a, b in (("checks", "plain"), ("stripes", "plain"), ("checks", "stripes"))]
        same, other = evaluate(same), evaluate(other)
        # a little noise: second moments have no gradient at a perfectly plain surface, as no generator draws
        noise = np.random.default_rng(0).normal(0, 0.02, [1, 32, 32, 3]).astype(np.float32)
        shoe = tf.Variable(printed_objects("plain", "tall") + noise)
        loss = texture_loss(printed_objects("checks", "wide"), shoe)
        first, last = before_and_after(v1.train.AdamOptimizer(0.02), loss, loss, 100)
    assert max(same.values()) < min(other) / 3, (same, other)
    assert last < first / 3


def test_texture_loss_waits_for_a_white_page():
    with tf.Graph().as_default():
        assert evaluate(texture_loss(printed_objects("checks", "wide"), tf.zeros([1, 32, 32, 3]))) < 1e-4


def test_object_patches_are_cut_from_each_image_own_object():
    with tf.Graph().as_default():
        red_and_tall = printed_objects("plain", "tall", 64)[..., ::-1]
        patches = evaluate(object_patches(tf.concat([printed_objects("plain", "wide", 64), red_and_tall], 0), 20))
    assert patches.shape == (40, 16, 16, 3)
    centres, blue = patches[:, 8, 8], np.array([0.2, 0.3, 0.7]) * 2 - 1
    assert np.allclose(centres[:20], blue, atol=1e-5) and np.allclose(centres[20:], blue[::-1], atol=1e-5)


def test_the_carried_print_is_the_objects_print_not_its_clasp_nor_the_page():
    with tf.Graph().as_default():
        clasped = evaluate(printed_objects("plain", "wide", 64))
        clasped[:, 30:34, 30:34] = [1.0, 0.6, -1.0]
        images = tf.concat([printed_objects("checks", "wide", 64), clasped, tf.ones([1, 64, 64, 3])], 0)
        carried = carried_print(images)
        assert tf.gradients(carried, images)[0] is None
        checks, plain, page = evaluate(carried)
    pale, dark = np.array([0.9, 0.9, 1.0]) * 2 - 1, np.array([0.2, 0.3, 0.7]) * 2 - 1
    assert np.allclose(np.abs(checks).mean(axis=(0, 1)), (pale - dark) / 2, atol=0.05)
    assert np.abs(plain).max() < 1e-4 and np.abs(page).max() < 1e-6


def test_the_print_encoder_learns_to_tell_an_object_by_its_print_whatever_the_shape():
    kinds = ("plain", "stripes", "checks", "dots", "bands")
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        wide, tall = (tf.concat([printed_objects(kind, shape, 64) for kind in kinds], axis=0)
                      for shape in ("wide", "tall"))
        encoder_loss = print_encoder_loss(wide, tall, tf.zeros_like(tall), tf.zeros_like(wide), df=8)
        kept, swapped = print_loss(wide, tall, df=8), print_loss(wide, tf.roll(tall, 1, axis=0), df=8)
        encoder_variables = [v for v in v1.trainable_variables() if v.name.startswith(PRINT_ENCODER_SCOPE)]
        step = v1.train.AdamOptimizer(2e-3).minimize(encoder_loss, var_list=encoder_variables)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            for _ in range(150):
                session.run(step)
            scores = np.mean([session.run([kept, swapped]) for _ in range(10)], axis=0)
    assert len(encoder_variables) == 4
    assert scores[0] < 0.5 * np.log(len(kinds)) and scores[1] > 2 * scores[0], scores


def test_print_terms_enter_each_side_only_when_set():
    with tf.Graph().as_default():
        wide = tf.concat([printed_objects("stripes", "wide", 64), printed_objects("checks", "wide", 64)], axis=0)
        tall = tf.concat([printed_objects("stripes", "tall", 64), printed_objects("checks", "tall", 64)], axis=0)
        logits = tf.zeros([2, 1, 1, 1])
        cycle = {"a2b": direction(wide, tall, wide, logits, translated=tall),
                 "b2a": direction(tall, wide, tall, logits, translated=wide)}
        plain = generator_losses(cycle, TrainConfig(), lambda_l2=1.0)
        one_way = generator_losses(cycle, TrainConfig(lambda_print=(3.0, 0.0), df=8), 1.0)
        d_losses = discriminator_losses(logits, logits, logits, logits, print_encoder=tf.constant(0.25))
        plain, one_way, d_losses = evaluate([plain, one_way, d_losses])
    assert "print_loss_a2b" not in plain and "print_loss_b2a" not in one_way
    assert math.isclose(one_way["g_loss_a2b"], plain["g_loss_a2b"] + 3.0 * one_way["print_loss_a2b"], rel_tol=1e-5)
    assert one_way["print_loss_a2b"] > 0.01
    assert math.isclose(d_losses["d_loss"], d_losses["da_loss"] + d_losses["db_loss"] + 0.25, rel_tol=1e-6)
