"""Shapes, value ranges, variable names and counts of the book's generator and discriminator."""
import numpy as np
import pytest
import tensorflow as tf

from discogan.gan.networks import build_discriminator, build_generator

v1 = tf.compat.v1


def generator_parameters(gf):
    """Trainable parameters of the book's 64x64 generator, layer by layer: 4x4 kernels, no biases, batch norm's
    gamma and beta."""
    conv = lambda cin, cout: 16 * cin * cout  # noqa: E731
    return (conv(3, gf) + conv(gf, 2 * gf) + 4 * gf + conv(2 * gf, 4 * gf) + 8 * gf
            + conv(4 * gf, 8 * gf) + 16 * gf + conv(8 * gf, 100) + 200
            + conv(100, 8 * gf) + 16 * gf + conv(8 * gf, 4 * gf) + 8 * gf + conv(4 * gf, 2 * gf) + 4 * gf
            + conv(2 * gf, gf) + 2 * gf + conv(gf, 3))


def discriminator_parameters(df):
    conv = lambda cin, cout: 16 * cin * cout  # noqa: E731
    return (conv(3, df) + conv(df, 2 * df) + 4 * df + conv(2 * df, 4 * df) + 8 * df
            + conv(4 * df, 8 * df) + 16 * df + conv(8 * df, 1))


def count(variables):
    return sum(int(np.prod(v.shape)) for v in variables)


@pytest.mark.parametrize("width", [8, 64])
def test_generator_shapes_names_and_parameter_count(width):
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 64, 64, 3])
        y = build_generator(x, "generator_AB", gf=width)
        assert y.shape.as_list() == [None, 64, 64, 3]
        trainable = v1.trainable_variables()
        assert count(trainable) == generator_parameters(width)
        names = {v.op.name for v in v1.global_variables()}
        assert "generator_AB/dwn1/conv/weights" in names
        assert "generator_AB/dwn5/conv/weights" in names and "generator_AB/dwn5/bn/moving_mean" in names
        assert "generator_AB/up5/deconv/weights" in names and not any("biases" in n for n in names)
        assert len(trainable) == 26 and len(v1.global_variables()) == 42
        assert v1.get_variable_scope().reuse is False


def test_generator_output_is_in_tanh_range_and_code_is_1x1x100():
    with tf.Graph().as_default():
        x = tf.random.uniform([3, 64, 64, 3], -1, 1, seed=1)
        y = build_generator(x, "generator_AB", gf=8)
        code = tf.compat.v1.get_default_graph().get_operation_by_name("generator_AB/dwn5/bn/FusedBatchNormV3").inputs[0]
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            out, code_value = session.run([y, code])
    assert code_value.shape == (3, 1, 1, 100)
    assert out.min() >= -1.0 and out.max() <= 1.0 and out.std() > 0


def test_discriminator_gives_one_logit_per_image():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [5, 64, 64, 3])
        logits = build_discriminator(x, "discriminator_A", df=16)
        assert logits.shape.as_list() == [5, 1, 1, 1]
        assert count(v1.trainable_variables()) == discriminator_parameters(16)
        assert len(v1.trainable_variables()) == 11
        assert all(v.op.name.startswith("discriminator_A/") for v in v1.global_variables())


def test_discriminator_logits_can_be_negative():
    """Difference 6: the book's logit went through a ReLU, so it could never say 'fake' past 50%."""
    with tf.Graph().as_default(), v1.Session() as session:
        v1.set_random_seed(0)
        x = tf.random.uniform([16, 64, 64, 3], -1.0, 1.0, seed=1)
        logits = build_discriminator(x, "discriminator_A", df=8)
        session.run(v1.global_variables_initializer())
        values = session.run(logits)
    assert values.min() < 0 < values.max()


def test_reuse_shares_variables_and_other_sizes_build():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [2, 128, 128, 3])
        build_generator(x, "generator_AB", gf=4)
        before = len(v1.global_variables())
        y = build_generator(x, "generator_AB", gf=4, training=False, reuse=True)
        assert len(v1.global_variables()) == before
        assert y.shape.as_list() == [2, 128, 128, 3]


def test_bad_image_size_is_refused():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="image_size"):
        build_generator(v1.placeholder(tf.float32, [1, 48, 48, 3]), "generator_AB", gf=4)
