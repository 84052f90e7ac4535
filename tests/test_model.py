"""The training graph: batch norm modes (difference 3), the pool feeding the D step, the LR schedule, one step."""
import math

import numpy as np
import pytest
import tensorflow as tf

from discogan.gan.train_step import linear_decay_learning_rate
from discogan.runtime.session import session_config
from discogan.training.discogan import DiscoGAN

v1 = tf.compat.v1


@pytest.fixture(scope="module")
def model(tiny_dataset, tmp_path_factory):
    work = tmp_path_factory.mktemp("model")
    gan = DiscoGAN(str(tiny_dataset), epochs=3, batch_size=2, gf=8, df=8, seed=0, pool_size=4,
                   checkpoint_dir=str(work / "c"), sample_dir=str(work / "s"), log_dir=str(work / "l"))
    with v1.Session(graph=gan.graph, config=session_config()) as gan.sess:
        gan.sess.run(v1.global_variables_initializer())
        yield gan


def variable(model, name):
    return next(v for v in model.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES) if v.op.name == name)


def test_one_step_updates_both_networks_the_moving_averages_and_the_step(model):
    names = ["generator_AB/dwn2/conv/weights", "discriminator_B/dwn2/conv/weights",
             "generator_AB/dwn2/bn/moving_mean", "generator_BA/up2/bn/moving_variance"]
    before = model.sess.run([variable(model, n) for n in names] + [model.global_step])
    model.sess.run(model.train_step.iteration_ops[0])
    after = model.sess.run([variable(model, n) for n in names] + [model.global_step])
    for name, old, new in zip(names, before, after):
        assert not np.allclose(old, new), f"{name} did not change"
    assert after[-1] == before[-1] + 1


def test_inference_output_does_not_depend_on_the_rest_of_the_batch(model):
    rng = np.random.default_rng(0)
    batch = rng.uniform(-1, 1, (4, 64, 64, 3)).astype(np.float32)
    together = model.sess.run(model.sample_ab, {model.sample_a: batch})
    alone = model.sess.run(model.sample_ab, {model.sample_a: batch[:1]})
    np.testing.assert_allclose(together[:1], alone, atol=1e-5)
    other = batch.copy()
    other[1:] = -other[1:]
    np.testing.assert_allclose(model.sess.run(model.sample_ab, {model.sample_a: other})[:1], alone, atol=1e-5)


def test_discriminator_step_consumes_the_pool_output(model):
    fixed = {tensor: np.zeros(tensor.shape.as_list(), np.float32)
             for tensor in (model.train_step.pooled_fake_a, model.train_step.pooled_fake_b)}
    fake_term = model.train_step.losses["db_loss_fake"]
    baseline = model.sess.run(fake_term, fixed)
    fixed[model.train_step.pooled_fake_b] = np.ones(model.train_step.pooled_fake_b.shape.as_list(), np.float32)
    assert model.sess.run(fake_term, fixed) != baseline
    step = model.train_step
    gradients = tf.gradients(step.losses["d_loss"], [step.pooled_fake_a, step.pooled_fake_b])
    assert all(g is not None for g in gradients)


def test_learning_rate_is_constant_then_decays_linearly_to_zero():
    with tf.Graph().as_default(), v1.Session() as session:
        epoch = v1.placeholder(tf.int64, [])
        rate = linear_decay_learning_rate(epoch, 2e-4, epochs=200, epoch_step=10)
        values = {e: session.run(rate, {epoch: e}) for e in (0, 9, 10, 105, 199, 200)}
    assert values[0] == values[9] == pytest.approx(2e-4)
    assert values[10] == pytest.approx(2e-4)
    assert values[105] == pytest.approx(2e-4 * 95 / 190)
    assert values[199] == pytest.approx(2e-4 / 190)
    assert values[200] == 0.0


def test_learning_rate_follows_the_global_step(model):
    model.sess.run(model.global_step.assign(model.batch_ids * 2))  # epoch 2 of 3, epoch_step 10
    assert model.sess.run(model.learning_rate) == pytest.approx(2e-4)
    model.sess.run(model.global_step.assign(0))


def test_losses_are_finite(model):
    values = model.sess.run(model.train_step.losses)
    assert all(math.isfinite(v) for v in values.values())
    assert set(values) >= {"g_loss_a2b", "g_loss_b2a", "g_loss", "db_loss", "da_loss", "d_loss",
                           "db_loss_real", "db_loss_fake", "da_loss_real", "da_loss_fake"}


@pytest.mark.parametrize("flag,value", [("batch_size", 0), ("epochs", -1), ("fine_size", 32), ("load_size", 32),
                                        ("image_size", 48), ("gf", 2.5)])
def test_bad_flags_get_a_message_naming_the_flag(tiny_dataset, flag, value):
    with pytest.raises(ValueError, match=flag):
        DiscoGAN(str(tiny_dataset), **{flag: value})


def test_missing_or_small_domains_are_named(tiny_dataset, tmp_path):
    with pytest.raises(FileNotFoundError, match="trainA"):
        DiscoGAN(str(tmp_path))
    with pytest.raises(ValueError, match=r"trainA holds 8 readable image\(s\), fewer than one batch of 64"):
        DiscoGAN(str(tiny_dataset), batch_size=64)


def test_moving_averages_learn_from_translations_of_real_images_only(model):
    """Round trips feed a generator the other generator's fakes; their statistics must not enter the averages."""
    x_a, x_b = model.graph.get_tensor_by_name("IteratorGetNext:0"), model.graph.get_tensor_by_name("IteratorGetNext:1")
    rng = np.random.default_rng(1)
    feed = {x_a: rng.uniform(-1, 1, x_a.shape.as_list()).astype(np.float32),
            x_b: rng.uniform(-1, 1, x_b.shape.as_list()).astype(np.float32)}
    conv = model.graph.get_tensor_by_name("generator_AB/dwn2/conv/Conv2D:0")  # G_AB applied to real A
    moving = variable(model, "generator_AB/dwn2/bn/moving_mean")
    batch_mean = model.sess.run(tf.reduce_mean(conv, axis=[0, 1, 2]), feed)
    before = model.sess.run(moving)
    model.sess.run(model.train_step.iteration_ops[0], feed)
    np.testing.assert_allclose(model.sess.run(moving), before - 0.1 * (before - batch_mean), rtol=1e-4, atol=1e-6)
