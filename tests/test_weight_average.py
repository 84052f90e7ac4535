"""--ema_decay: the generators' averaged weights follow the last ones step by step, go into the checkpoint and are
what every translation uses; evaluation scores the last weights beside them; a run without them resumes with them."""
import shutil

import numpy as np
import pytest
import tensorflow as tf

from discogan.gan import networks
from discogan.gan.weight_average import averaged_name
from discogan.inference import evaluation
from discogan.inference.translator import CycleModel, Translator
from discogan.runs import checkpoint
from discogan.runtime.session import session_config
from discogan.train import process_main
from discogan.training.discogan import DiscoGAN

v1 = tf.compat.v1
DECAY = 0.9
WEIGHT = "generator_AB/dwn2/conv/weights"


@pytest.fixture(scope="module")
def averaged_run(tiny_dataset, tmp_path_factory):
    work = tmp_path_factory.mktemp("averaged")
    folders = {"checkpoint_dir": str(work / "checkpoint"), "sample_dir": str(work / "sample"),
               "log_dir": str(work / "logs")}
    process_main(dataset_dir=str(tiny_dataset), epochs=2, batch_size=2, gf=8, df=8, seed=0, ema_decay=DECAY,
                 print_freq=100, save_freq=100, **folders)
    return work / "checkpoint" / tiny_dataset.name


def test_each_generator_step_moves_the_average_by_the_warmed_up_decay(tiny_dataset, tmp_path):
    gan = DiscoGAN(str(tiny_dataset), epochs=3, batch_size=2, gf=8, df=8, seed=0, ema_decay=DECAY, precision="float32",
                   checkpoint_dir=str(tmp_path / "c"), sample_dir=str(tmp_path / "s"), log_dir=str(tmp_path / "l"))
    variables = {v.op.name: v for v in gan.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}
    weight, average = variables[WEIGHT], variables[averaged_name(WEIGHT)]
    with v1.Session(graph=gan.graph, config=session_config()) as session:
        session.run(v1.global_variables_initializer())
        expected = session.run(weight)
        assert np.array_equal(session.run(average), expected)  # the average starts at the initial weights
        for step in range(3):
            session.run(gan.train_step.iteration_ops[0])
            decay = min(DECAY, (1 + step) / (10 + step))
            expected = decay * expected + (1 - decay) * session.run(weight)
            np.testing.assert_allclose(session.run(average), expected, rtol=1e-5, atol=1e-7)
        assert not np.allclose(expected, session.run(weight))


def test_the_checkpoint_holds_an_average_of_every_generator_variable(averaged_run):
    _, prefix, _ = checkpoint.resolve_checkpoint(averaged_run)
    saved = checkpoint.variable_shapes(prefix)
    own = [name for name in saved if name.startswith(tuple(networks.GENERATOR_SCOPES.values()))
           and name.rsplit("/", 1)[-1] in ("weights", "gamma", "beta", "moving_mean", "moving_variance")]
    assert own and all(saved[averaged_name(name)] == saved[name] for name in own)


def test_translation_uses_the_average_and_evaluation_scores_the_last_weights_beside_it(averaged_run, tiny_dataset):
    folder, prefix, record = checkpoint.resolve_checkpoint(averaged_run)
    images_a, images_b, _ = evaluation.load_split(tiny_dataset, "val", 64)
    outputs = {}
    for averaged in (True, False):
        model = CycleModel(networks.Architecture.of(record), prefix, folder, record, averaged=averaged)
        try:
            outputs[averaged] = model.run(images_a, images_b)[0]
        finally:
            model.close()
    assert np.abs(outputs[True] - outputs[False]).mean() > 0.05 * np.abs(outputs[False]).mean()
    with Translator.from_checkpoint(averaged_run) as translator:
        translated = translator.translate(((images_a + 1) * 127.5).round().astype(np.uint8))
    expected = ((outputs[True] + 1) * 127.5).round()
    assert np.abs(translated.astype(np.float32) - expected).max() <= 1
    results = evaluation.evaluate_checkpoint(averaged_run, tiny_dataset)
    assert results["a2b"]["swd"] != results[evaluation.LAST_WEIGHTS]["a2b"]["swd"]
    assert "a2b last_weights" in evaluation.format_table(results)


def test_a_run_without_averages_is_scored_without_last_weights(tiny_run):
    assert evaluation.LAST_WEIGHTS not in evaluation.evaluate_checkpoint(tiny_run.checkpoint_dir, tiny_run.dataset)


def test_a_run_trained_without_averages_resumes_with_them_from_its_weights(tiny_run, tmp_path, capsys):
    root = tmp_path / "checkpoint"
    shutil.copytree(tiny_run.checkpoint_dir, root / tiny_run.dataset.name)
    capsys.readouterr()
    options = {**tiny_run.options, "epochs": tiny_run.options["epochs"] + 1, "eval_freq": 0}
    assert process_main(dataset_dir=str(tiny_run.dataset), ema_decay=DECAY, checkpoint_dir=str(root),
                        sample_dir=str(tmp_path / "sample"), log_dir=str(tmp_path / "logs"), **options) > tiny_run.step
    assert "the checkpoint has no averaged weights" in capsys.readouterr().out
    _, prefix, _ = checkpoint.resolve_checkpoint(root / tiny_run.dataset.name)
    assert averaged_name(WEIGHT) in checkpoint.variable_shapes(prefix)
