"""Shapes, value ranges, variable names and counts of the book's generator and discriminator."""
import numpy as np
import pytest
import tensorflow as tf

from discogan.data.demo_data import print_texture
from discogan.data.demo_shoes import Entry, accent, draw_palette_bag, draw_shoe
from discogan.data.pipeline import to_model_range
from discogan.gan import networks
from discogan.gan.networks import Architecture, build_discriminator, build_generator, retone
from discogan.gan.objects import carried_print, object_ink, object_tones
from discogan.gan.ops import bilinear_conv2d, conv2d, conv2d_transpose, lrelu, resize_conv2d
from discogan.gan.train_step import build_train_step
from discogan.options.config import TrainConfig
from discogan.scores.colour_metrics import OPPONENT_AXES

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
        y = build_generator(x, "AtoB", Architecture(gf=width))
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
        y = build_generator(x, "AtoB", Architecture(gf=8))
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
        build_generator(x, "AtoB", Architecture(gf=4))
        before = len(v1.global_variables())
        y = build_generator(x, "AtoB", Architecture(gf=4), training=False, reuse=True)
        assert len(v1.global_variables()) == before
        assert y.shape.as_list() == [2, 128, 128, 3]


def test_bad_image_size_is_refused():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="image_size"):
        build_generator(v1.placeholder(tf.float32, [1, 48, 48, 3]), "AtoB", Architecture(gf=4))


def one_layer_each_way(x, architecture, training):
    """A generator of one stride-2 conv down and one transposed conv back: the least one can be."""
    return tf.tanh(conv2d_transpose(lrelu(conv2d(x, architecture.gf, "dwn1")), 3, "up1"))


def test_a_generator_added_to_the_table_trains_by_its_bottleneck_name(monkeypatch):
    monkeypatch.setitem(networks.GENERATORS, "one_layer", one_layer_each_way)
    config = TrainConfig(image_size=16, load_size=16, fine_size=16, gf=4, df=4, batch_size=2, pool_size=0,
                         bottleneck="one_layer")
    images = np.random.default_rng(0).uniform(-1, 1, (2, 2, 16, 16, 3)).astype(np.float32)
    with tf.Graph().as_default():
        step = build_train_step(tf.constant(images[0]), tf.constant(images[1]), 1e-3,
                                v1.train.get_or_create_global_step(), config)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            before = session.run(step.g_vars)
            session.run(step.iteration_ops[0])
            after = session.run(step.g_vars)
        names = sorted(v.op.name for v in step.g_vars)
    assert names == [f"generator_{pair}/{layer}/weights" for pair in ("AB", "BA") for layer in ("dwn1", "up1")]
    assert all(not np.array_equal(old, new) for old, new in zip(before, after))


def test_a_generator_name_not_in_the_table_is_refused_naming_the_flag():
    refusal = "--bottleneck must be one of code, spatial, resize, bilinear, style, carry, retone, got 'none'"
    with pytest.raises(ValueError, match=refusal):
        Architecture.of(TrainConfig(bottleneck="none"))


def upsampled_flat_image(upsample):
    """`upsample` of a flat 8x8 map with random weights, as a numpy array: [1, 16, 16, 3]."""
    with tf.Graph().as_default(), v1.Session() as session:
        v1.set_random_seed(0)
        y = upsample(tf.ones([1, 8, 8, 4]), 3, "up")
        session.run(v1.global_variables_initializer())
        return session.run(y)


def test_resize_convolution_draws_a_flat_map_flat_where_a_transposed_convolution_draws_a_checkerboard():
    """The speckle of the transposed convs: even and odd pixels get different kernel taps, so a flat input comes
    out as a 2x2 pattern; a resize-convolution's interior stays flat."""
    transposed = upsampled_flat_image(conv2d_transpose)[0, 2:-2, 2:-2]
    resized = upsampled_flat_image(resize_conv2d)[0, 2:-2, 2:-2]
    assert np.abs(transposed[0::2, 0::2] - transposed[1::2, 1::2]).max() > 1e-2
    np.testing.assert_allclose(resized, np.broadcast_to(resized[:1, :1], resized.shape), atol=1e-6)


@pytest.mark.parametrize("filters", [5, 3])  # the generic transposed conv, and the image side's block form
def test_resize_convolution_equals_nearest_upsampling_then_a_3x3_convolution(filters):
    with tf.Graph().as_default(), v1.Session() as session:
        x = tf.constant(np.random.default_rng(0).normal(size=(2, 6, 6, 8)).astype(np.float32))
        y = resize_conv2d(x, filters, "up")
        taps = v1.global_variables()[0]
        upsampled = tf.image.resize(x, [12, 12], method="nearest")
        plain = tf.nn.conv2d(upsampled, tf.transpose(taps, [0, 1, 3, 2]), 1, "SAME")
        session.run(v1.global_variables_initializer())
        tied, expected = session.run([y, plain])
    np.testing.assert_allclose(tied, expected, atol=1e-6)


def upsampled_step(upsample):
    """`upsample`, its 3x3 taps passing each channel through, of a 4x4 map dark in its left half and light in its
    right: one row of the 8x8 result, as a numpy array."""
    with tf.Graph().as_default(), v1.Session() as session:
        step = np.zeros([1, 4, 4, 2], np.float32)
        step[:, :, 2:] = 1.0
        y = upsample(tf.constant(step), 2, "up")
        taps = v1.global_variables()[0]
        centre = np.zeros([3, 3, 2, 2], np.float32)
        centre[1, 1] = np.eye(2)
        # resize_conv2d keeps its taps as [3, 3, filters, channels], bilinear_conv2d as [3, 3, channels, filters]:
        # the pass-through is the same either way.
        session.run(taps.assign(centre))
        return session.run(y)[0, 3, :, 0]


def test_bilinear_upsampling_blends_the_cells_of_the_map_where_nearest_upsampling_steps():
    """Resize generators draw the 4x4 middle's cells back at 16x16 each; nearest upsampling hands the decoder a
    hard step at every cell border, bilinear a ramp."""
    np.testing.assert_allclose(upsampled_step(resize_conv2d), [0, 0, 0, 0, 1, 1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(upsampled_step(bilinear_conv2d), [0, 0, 0, 0.25, 0.75, 1, 1, 1], atol=1e-6)


@pytest.mark.parametrize("name", ["resize", "bilinear", "style", "carry", "retone"])
def test_resize_generators_keep_the_authors_middle_and_only_style_reads_texture_statistics(name):
    with tf.Graph().as_default() as graph:
        y = build_generator(v1.placeholder(tf.float32, [2, 64, 64, 3]), "AtoB", Architecture(64, 4, 4, name))
        names = [v.op.name for v in v1.global_variables()]
        decoder_kernels = {tuple(v.shape.as_list()[:2]) for v in v1.global_variables() if "/deconv/" in v.op.name}
        middle = [op for op in graph.get_operations() if op.name.startswith("generator_AB/dwn4/")
                  and op.type == "LeakyRelu"][0].outputs[0].shape.as_list()
    assert y.shape.as_list() == [2, 64, 64, 3] and middle == [2, 4, 4, 32]
    assert decoder_kernels == {(3, 3)}
    styled = [n for n in names if "style" in n]
    assert (styled == []) == (name != "style")
    if name == "style":
        assert "generator_AB/style/dense/weights" in names and "generator_AB/up1/style_scale/weights" in names


def test_the_carry_generator_lays_the_inputs_print_where_its_fourth_channel_says():
    """With its last layer's taps at zero the drawing is mid-grey and the fourth channel says 'half': half the
    input's carried print over mid-grey."""
    images = np.stack([printed_patch(48, "checks"), printed_patch(48, "stripes")])
    with tf.Graph().as_default(), v1.Session() as session:
        x = tf.constant(images)
        y = build_generator(x, "AtoB", Architecture(64, 4, 4, "carry"), training=False)
        last = [v for v in v1.global_variables() if v.op.name == "generator_AB/up4/deconv/weights"]
        session.run(v1.global_variables_initializer())
        session.run(last[0].assign(tf.zeros_like(last[0])))
        translated, carried = session.run([y, 0.5 * carried_print(x)])
    assert np.abs(carried).mean() > 0.1
    np.testing.assert_allclose(translated, carried, atol=1e-5)


def test_the_carried_print_is_laid_on_the_drawn_object_only_never_on_the_page_around_it():
    """A drawing of a mid-grey square on white page whose fourth channel says 'everywhere': the checks land on the
    square and the page stays white."""
    drawing = np.ones((1, 64, 64, 4), np.float32)
    drawing[:, 20:44, 20:44, :3] = 0.0
    with tf.Graph().as_default(), v1.Session() as session:
        x = tf.constant(printed_patch(48, "checks")[None])
        laid, carried = session.run([networks.lay_print(tf.constant(drawing), x), carried_print(x)])
    np.testing.assert_array_equal(laid[0, :18], 1.0)
    np.testing.assert_array_equal(laid[0, :, 46:], 1.0)
    np.testing.assert_allclose(laid[0, 20:44, 20:44], np.clip(carried[0, 20:44, 20:44], -1, 1), atol=1e-6)
    assert np.abs(carried[0, 20:44, 20:44]).mean() > 0.2


def lit_bag(lower, scattered=0.0, colour=(-0.8, 0.0, 0.0)):
    """A 64x64 white page in [-1, 1] with a bag of `colour` whose lower 40% is the tone `lower` (a shade of it:
    plain), and a share `scattered` of its upper pixels, chosen at random, of that tone as well."""
    image = np.ones((64, 64, 3), np.float32)
    image[16:56, 8:56] = colour
    upper = np.random.default_rng(0).random((24, 48)) < scattered
    image[16:40, 8:56][upper] = lower
    image[40:56, 8:56] = lower
    return image


def test_the_retone_generator_takes_any_batch_size_as_translate_and_export_feed_it():
    images = np.stack([lit_bag([-0.9, -0.4, -0.4])] * 3)
    with tf.Graph().as_default(), v1.Session() as session:
        x = v1.placeholder(tf.float32, [None, 64, 64, 3])
        y = build_generator(x, "AtoB", Architecture(64, 4, 4, "retone"), training=False)
        session.run(v1.global_variables_initializer())
        translated = session.run(y, {x: images})
    assert translated.shape == images.shape and np.abs(translated).max() <= 1.0


def test_the_second_tones_region_is_one_area_never_scattered_pixels():
    """A bag's darker lower part is its second tone's region, the upper part not; the same tone scattered over a
    tenth of the upper pixels is no region, however many pixels it has."""
    with tf.Graph().as_default(), v1.Session() as session:
        main, second, region, _ = session.run(object_tones(tf.constant(lit_bag([-0.9, -0.4, -0.4], 0.1)[None])))
    np.testing.assert_allclose(main[0, 0, 0], [-0.8, 0.0, 0.0], atol=0.05)
    np.testing.assert_allclose(second[0, 0, 0], [-0.9, -0.4, -0.4], atol=0.05)
    assert region[0, 44:52, 14:50].min() > 0.9
    assert region[0, 18:34, 14:50].max() < 0.1 and region[0, :12].max() == 0


def test_retone_sets_the_drawings_second_tone_apart_as_the_inputs_keeping_its_mean_colour():
    """A plain bag with a black handle drawn with a shaded lower part, for a navy shoe with a pale blue toe cap:
    the lower part stands apart from the upper as the toe cap from the shoe; the bag's mean colour, its handle and
    the page stay as drawn."""
    shoe = np.ones((64, 64, 3), np.float32)
    shoe[30:50, 4:60] = [-0.4, -0.2, 0.2]
    shoe[30:50, 4:18] = [0.2, 0.3, 0.6]
    drawing = lit_bag([-0.6, -0.3, -0.3], colour=(-0.5, 0.0, 0.0))
    drawing[8:16, 20:44] = -0.9
    with tf.Graph().as_default(), v1.Session() as session:
        retoned = session.run(retone(tf.constant(drawing[None]), tf.constant(shoe[None])))[0]
    np.testing.assert_allclose(retoned[44:52, 14:50].mean((0, 1)) - retoned[18:34, 14:50].mean((0, 1)),
                               [0.6, 0.5, 0.4], atol=0.05)
    np.testing.assert_allclose(retoned[16:56, 8:56].mean((0, 1)), drawing[16:56, 8:56].mean((0, 1)), atol=0.02)
    np.testing.assert_allclose(retoned[8:14, 22:42], drawing[8:14, 22:42], atol=0.01)
    np.testing.assert_allclose(retoned[:6], drawing[:6])


def test_the_second_colour_of_a_two_tone_bag_or_shoe_is_its_accent_and_always_of_its_hue():
    """Shoes of every kind, black or white soled, and bags with clasps, in five colours: a two-tone object's second
    colour lies nearer its accent than its own colour (nearly always: a pale bag's shaded band can outweigh it); a
    plain one's is a shade of its own hue, never a black sole's, a white lace's or a clasp's grey or gold."""
    rng = np.random.default_rng(0)
    names = ["navy", "yellow", "red", "teal", "pink"]
    images = [draw(rng, Entry.of(name, print_name)) for name in names for print_name in ("two-tone", "solid")
              for draw in [draw_shoe] * 6 + [draw_palette_bag] * 2]
    with tf.Graph().as_default(), v1.Session() as session:
        colours = (session.run(object_tones(to_model_range(np.stack(images)))[1])[:, 0, 0] + 1.0) * 127.5
    colours = colours.reshape(len(names), 2, 8, 3)
    own = np.array([Entry.of(name).colour for name in names], np.float32)[:, None]
    tint = np.array([accent(Entry.of(name).colour) for name in names], np.float32)[:, None]
    two_tone = colours[:, 0]
    assert np.mean(np.linalg.norm(two_tone - tint, axis=-1) < np.linalg.norm(two_tone - own, axis=-1)) >= 0.95
    chroma, own_chroma = colours[:, 1] @ OPPONENT_AXES[:, 1:], own @ OPPONENT_AXES[:, 1:]
    along = np.sum(chroma * own_chroma, -1) / np.sum(np.square(own_chroma), -1)
    across = np.linalg.norm(chroma - along[..., None] * own_chroma, axis=-1) / np.linalg.norm(own_chroma, axis=-1)
    assert (along > 0.15).all() and (across < 0.1).all()


def test_the_second_colour_passes_gradients_to_its_own_pixels_only():
    """A round trip that misses a toe cap's colour can ask the translation for it: the second colour's gradient
    reaches the pixels of the smaller group (the band), none of the main colour, the sole or the page."""
    image = np.ones((1, 64, 64, 3), np.float32)
    image[0, 16:48, 8:56] = [-0.6, -0.4, 0.4]
    image[0, 40:48, 8:56] = [0.4, 0.5, 0.8]
    image[0, 48:52, 8:56] = -0.85
    with tf.Graph().as_default(), v1.Session() as session:
        x = tf.constant(image)
        second = object_tones(x)[1]
        colour, gradient = session.run([second, tf.gradients(tf.reduce_sum(second), x)[0]])
    np.testing.assert_allclose(colour[0, 0, 0], [0.4, 0.5, 0.8], atol=1e-3)
    moved = np.abs(gradient[0]).sum(-1) > 0
    assert moved[42:46, 12:52].all() and not moved[:38].any() and not moved[49:].any()


def printed_patch(side, print_name):
    """A 64x64 white page in [-1, 1] with a `side` x `side` patch of the demo's checks or (upright) stripes, dark
    blue on pale, at its centre."""
    page = np.ones((64, 64, 3), np.float32)
    texture = print_texture(side, print_name, 8, (230, 230, 242), (26, 51, 204), stripe_slant=lambda: 0)
    start = 32 - side // 2
    page[start:start + side, start:start + side] = np.asarray(texture, np.float32) / 255
    return page * 2 - 1


def test_style_statistics_read_the_print_of_the_object_not_how_much_page_surrounds_it():
    images = np.stack([printed_patch(48, "checks"), printed_patch(24, "checks"), printed_patch(48, "stripes")])
    with tf.Graph().as_default(), v1.Session() as session:
        v1.set_random_seed(0)
        x = tf.constant(images)
        with v1.variable_scope("g"):
            features = networks._encoder(x, [8, 16, 32, 64], training=False)
        statistics = networks._texture_statistics(features[:3], object_ink(x))
        session.run(v1.global_variables_initializer())
        big_checks, small_checks, big_stripes = session.run(statistics)
    assert np.linalg.norm(big_checks - small_checks) < 0.5 * np.linalg.norm(big_checks - big_stripes)
