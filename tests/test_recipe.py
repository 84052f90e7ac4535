"""The DiscoGAN authors' recipe as options: each does what it says, and the book's defaults are unchanged."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from discogan.export import export
from discogan.gan.losses import feature_matching_loss
from discogan.gan.networks import Architecture, build_cycle, build_generator
from discogan.inference.evaluation import evaluate_checkpoint
from discogan.inference.translator import Translator
from discogan.options.config import TrainConfig
from discogan.options.presets import RECIPES
from discogan.train import process_main
from discogan.gan.train_step import build_train_step, reconstruction_weight

v1 = tf.compat.v1


def test_book_defaults_are_unchanged_and_explicit_flags_beat_the_recipe():
    book = TrainConfig.create()
    assert (book.bottleneck, book.feature_matching, book.gan_curriculum, book.update_interval, book.beta2,
            book.weight_decay, book.pool_size, book.lambda_l2) == ("code", 0.0, 0, 1, 0.99, 0.0, 50, 1.0)
    official = TrainConfig.create("official", gan_curriculum=0)
    assert official.gan_curriculum == 0 and official.feature_matching == 0.9 and official.bottleneck == "spatial"
    assert all(getattr(TrainConfig.create("official"), key) == value for key, value in RECIPES["official"].items())


@pytest.mark.parametrize("flags,named", [({"recipe": "paper"}, "--recipe"),
                                         ({"feature_matching": 1.5}, "--feature_matching"),
                                         ({"feature_matching": (0.9, 1.5)}, "--feature_matching"),
                                         ({"feature_matching": "half"}, "--feature_matching"),
                                         ({"feature_matching": (0.9, None)}, "--feature_matching"),
                                         ({"update_interval": 0}, "--update_interval"),
                                         ({"weight_decay": -1.0}, "--weight_decay"), ({"colour": 1}, "--colour"),
                                         ({"colour_chroma": -1.0}, "--colour_chroma"), ({"flip": "no"}, "--flip"),
                                         ({"lambda_colour": (30.0, -1.0)}, "--lambda_colour"),
                                         ({"lambda_colour": (30.0, 10.0, 1.0)}, "--lambda_colour")])
def test_bad_options_are_named(flags, named):
    with pytest.raises(ValueError, match=named):
        TrainConfig.create(**flags)


@pytest.mark.parametrize("bottleneck,middle", [("spatial", "generator_AB/dwn4/"), ("code", "generator_AB/dwn5/")])
def test_generator_bottlenecks(bottleneck, middle):
    """The authors' generator goes on from 4x4x8gf; the book's squeezes it into a 1x1x100 code."""
    with tf.Graph().as_default() as graph:
        y = build_generator(v1.placeholder(tf.float32, [2, 64, 64, 3]), "AtoB", Architecture(64, 4, 4, bottleneck))
        assert y.shape.as_list() == [2, 64, 64, 3]
        activation = [op for op in graph.get_operations() if op.name.startswith(middle) and op.type == "LeakyRelu"]
        shape = activation[0].outputs[0].shape.as_list()
    assert shape == ([2, 4, 4, 32] if bottleneck == "spatial" else [2, 1, 1, 100])


def test_feature_matching_is_zero_for_equal_statistics_and_positive_otherwise():
    with tf.Graph().as_default(), v1.Session() as session:
        rng = np.random.default_rng(0)
        real = [tf.constant(rng.normal(size=(4, 8, 8, 2)), tf.float32), tf.constant(rng.normal(size=(4, 2)),
                                                                                   tf.float32)]
        same_means = [tf.reverse(r, axis=[0]) for r in real]  # other images, the same batch means
        shifted = [r + 0.5 for r in real]
        equal, apart = session.run([feature_matching_loss(real, same_means), feature_matching_loss(real, shifted)])
    assert equal == pytest.approx(0.0, abs=1e-10)
    assert apart == pytest.approx(2 * 0.25)


def test_reconstruction_weight_switches_at_the_curriculum_step():
    config = TrainConfig.create("official", gan_curriculum=5)
    with tf.Graph().as_default(), v1.Session() as session:
        step = v1.placeholder(tf.int64, [])
        weight = reconstruction_weight(step, config)
        assert [session.run(weight, {step: s}) for s in (0, 4, 5, 100)] == pytest.approx([0.0101, 0.0101, 1.0, 1.0])
    assert reconstruction_weight(None, TrainConfig.create(lambda_l2=10.0)) == 10.0


def small_step(**options):
    rng = np.random.default_rng(0)
    x_a = tf.constant(rng.uniform(-1, 1, (2, 64, 64, 3)), tf.float32)
    x_b = tf.constant(rng.uniform(-1, 1, (2, 64, 64, 3)), tf.float32)
    global_step = v1.train.get_or_create_global_step()
    return build_train_step(x_a, x_b, 1e-3, global_step, TrainConfig.create(gf=4, df=4, **options)), global_step


def test_update_interval_3_steps_the_discriminators_only_on_every_third_iteration():
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        step, global_step = small_step(recipe="official")
        d_var = next(v for v in step.d_vars if "discriminator_B/dwn2" in v.name)
        g_var = next(v for v in step.g_vars if "generator_AB/dwn2" in v.name)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            changed = []
            for iteration in range(6):
                before = session.run([d_var, g_var])
                session.run(step.iteration_ops[iteration % len(step.iteration_ops)])
                after = session.run([d_var, g_var])
                changed.append(tuple(not np.array_equal(old, new) for old, new in zip(before, after)))
            assert session.run(global_step) == 6
    assert changed == [(True, False), (False, True), (False, True)] * 2


def test_weight_decay_adds_to_the_gradient():
    """The same step from the same start moves weights further towards zero with decay than without."""
    moved = {}
    for decay in (0.0, 10.0):
        with tf.Graph().as_default():
            v1.set_random_seed(0)
            step, _ = small_step(weight_decay=decay, l_r=1e-2)
            g_var = next(v for v in step.g_vars if "generator_AB/dwn2" in v.name)
            with v1.Session() as session:
                session.run(v1.global_variables_initializer())
                before = session.run(g_var)
                session.run(step.iteration_ops[0])
                moved[decay] = float(np.sum(np.abs(session.run(g_var)) - np.abs(before)))
    assert moved[10.0] < moved[0.0]


def test_the_cycle_of_a_spatial_generator_reuses_its_variables():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [1, 32, 32, 3])
        build_cycle(x, x, Architecture(32, 4, 4, "spatial"))
        names = {v.op.name for v in v1.global_variables()}
    assert "generator_AB/up1/deconv/weights" in names and "generator_AB/dwn4/conv/weights" not in names
    assert len([n for n in names if n.startswith("generator_AB/")]) == len([n for n in names
                                                                            if n.startswith("generator_BA/")])


def test_a_spatial_checkpoint_translates_exports_and_evaluates(tiny_official_run, tmp_path):
    """The architecture comes from config.json: every command rebuilds the authors' generator unasked."""
    record = json.loads((tiny_official_run.checkpoint_dir / "config.json").read_text())
    assert record["bottleneck"] == "spatial"
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    with Translator.from_checkpoint(tiny_official_run.checkpoint_dir, "BtoA") as translator:
        from_checkpoint = translator.translate(images)
    export(tiny_official_run.checkpoint_dir, tmp_path / "export")
    with Translator.from_saved_model(tmp_path / "export", "BtoA") as translator:
        np.testing.assert_array_equal(translator.translate(images), from_checkpoint)
    results = evaluate_checkpoint(tiny_official_run.checkpoint_dir, tiny_official_run.dataset)
    assert 0.0 <= results["a2b"]["retrieval_at_1"] <= 1.0 and results["b2a"]["diversity"] is not None


def test_a_config_written_before_the_bottleneck_option_loads_as_the_book_generator(tiny_run, tmp_path):
    """commit 3920629 recorded only image_size, gf, df and dataset_dir."""
    folder = shutil.copytree(tiny_run.checkpoint_dir, tmp_path / "old")
    record = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({key: record[key] for key in ("image_size", "gf", "df",
                                                                                 "dataset_dir")}))
    images = np.full((1, 64, 64, 3), 200, np.uint8)
    with Translator.from_checkpoint(folder) as old, Translator.from_checkpoint(tiny_run.checkpoint_dir) as new:
        np.testing.assert_array_equal(old.translate(images), new.translate(images))


OLD_CHECKPOINT = Path(__file__).parent / "data" / "checkpoint_3920629"


def test_a_checkpoint_written_by_commit_3920629_translates_as_it_did_then(tmp_path):
    """tests/data/checkpoint_3920629: a 16x16 gf=4 run written by that commit (config.json with image_size,
    gf, df and dataset_dir only), and the translations that commit's Translator gave for three images."""
    folder = shutil.copytree(OLD_CHECKPOINT, tmp_path / "old")
    expected = np.load(folder / "expected.npz")
    for direction in ("AtoB", "BtoA"):
        with Translator.from_checkpoint(folder, direction) as translator:
            np.testing.assert_array_equal(translator.translate(expected["images"]), expected[direction])


def test_training_resumes_from_a_checkpoint_written_by_commit_3920629(tiny_dataset, tmp_path):
    run = shutil.copytree(OLD_CHECKPOINT, tmp_path / "checkpoint" / tiny_dataset.name)
    record = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**record, "dataset_dir": str(tiny_dataset.resolve())}))
    step = process_main(dataset_dir=str(tiny_dataset), epochs=3, batch_size=4, gf=4, df=4, image_size=16,
                        load_size=16, fine_size=16, pool_size=4, seed=0, save_freq=100, print_freq=100,
                        checkpoint_dir=str(tmp_path / "checkpoint"), sample_dir=str(tmp_path / "sample"),
                        log_dir=str(tmp_path / "logs"))
    assert step == 6  # resumed at the old step 4, two iterations of 4 pairs per epoch
    assert tf.train.load_variable(str(run / "DiscoGAN.model-6"), "global_step") == 6
