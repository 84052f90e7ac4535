"""End to end through the CLI entry point: samples, checkpoints, event file, resume, signals, fresh starts."""
import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from discogan import config
from discogan.config import TrainConfig
from discogan.train import process_main

REPO = Path(__file__).resolve().parents[1]
BOOK_TAGS = ("g_loss_a2b", "g_loss_b2a", "g_loss", "db_loss", "da_loss", "d_loss",
             "db_loss_real", "db_loss_fake", "da_loss_real", "da_loss_fake")


def scalars(log_dir):
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def folders(base):
    return {"checkpoint_dir": str(base / "checkpoint"), "sample_dir": str(base / "sample"),
            "log_dir": str(base / "logs")}


def test_run_writes_samples_checkpoints_and_every_book_tag(tiny_run):
    steps = tiny_run.options["epochs"] * (8 // tiny_run.options["batch_size"])
    assert tiny_run.step == steps
    samples = sorted(tiny_run.sample_dir.glob("train_*.png"))
    assert len(samples) == steps // tiny_run.options["print_freq"]
    picture = np.asarray(Image.open(samples[-1]))
    assert picture.shape == (8 * 64 + 7 * 2, 6 * 64 + 5 * 2, 3)
    assert picture[:64, :64].std() > 0 and picture[:64, 66:130].std() > 0  # real A and A->B are drawn
    assert tf.train.latest_checkpoint(str(tiny_run.checkpoint_dir)).endswith(f"DiscoGAN.model-{steps}")
    assert (tiny_run.checkpoint_dir / "config.json").is_file()
    state = (tiny_run.checkpoint_dir / "checkpoint").read_text()
    assert f'model_checkpoint_path: "DiscoGAN.model-{steps}"' in state  # relative: the folder can be moved
    values = scalars(tiny_run.log_dir)
    for tag in (*BOOK_TAGS, "recon_loss_a2b", "gan_loss_b2a", "learning_rate", "lambda_l2"):
        assert len(values[tag]) == steps, tag
        assert all(np.isfinite(value) for _, value in values[tag]), tag


def test_eval_freq_logs_metrics_and_a_picture(tiny_run):
    values = scalars(tiny_run.log_dir)
    for direction in ("a2b", "b2a"):
        for key in ("cycle_mse", "l1", "psnr", "ssim", "swd"):
            assert [step for step, _ in values[f"eval/{direction}/{key}"]] == [4, 8]
    assert [step for step, _ in values["eval/b2a/edge_f1"]] == [4, 8]  # domain A holds the sketches
    assert "eval/a2b/edge_f1" not in values
    events = EventAccumulator(str(tiny_run.log_dir), size_guidance={"images": 0})
    events.Reload()
    pictures = events.Images("images/val")
    assert [p.step for p in pictures] == [4, 8]
    assert (pictures[0].height, pictures[0].width) == (3 * 64 + 2 * 2, 6 * 64 + 5 * 2)


def test_checkpoint_folder_is_a_clean_run_name(tiny_run):
    """Difference 4: the book glued the dataset path into the checkpoint folder name."""
    assert tiny_run.checkpoint_dir.name == tiny_run.dataset.name
    assert tiny_run.checkpoint_dir.parent.name == "checkpoint"


def test_resume_continues_step_schedule_and_optimiser_state(tiny_dataset, tmp_path, capsys):
    options = {"batch_size": 2, "gf": 8, "df": 8, "seed": 0, "save_freq": 100, "print_freq": 100,
               **folders(tmp_path)}
    assert process_main(dataset_dir=str(tiny_dataset), epochs=1, **options) == 4
    assert process_main(dataset_dir=str(tiny_dataset), epochs=2, **options) == 8
    assert "resumed from" in capsys.readouterr().out
    prefix = tf.train.latest_checkpoint(str(tmp_path / "checkpoint" / tiny_dataset.name))
    assert tf.train.load_variable(prefix, "global_step") == 8
    for optimiser_power in ("beta1_power", "beta1_power_1"):  # Adam's beta1 ** (steps + 1), G's then D's
        assert tf.train.load_variable(prefix, optimiser_power) == pytest.approx(0.5 ** 9)
    steps = [step for step, _ in scalars(tmp_path / "logs" / tiny_dataset.name)["g_loss"]]
    assert steps == list(range(1, 9))


def test_other_architecture_is_refused_and_fresh_moves_the_old_run_aside(tiny_dataset, tmp_path):
    options = {"batch_size": 2, "df": 8, "seed": 0, "epochs": 1, **folders(tmp_path)}
    process_main(dataset_dir=str(tiny_dataset), gf=8, **options)
    with pytest.raises(ValueError, match="--gf 8 there, 16 now"):
        process_main(dataset_dir=str(tiny_dataset), gf=16, **options)
    assert process_main(dataset_dir=str(tiny_dataset), gf=16, fresh=True, **options) == 4
    kept = list((tmp_path / "checkpoint").glob(f"{tiny_dataset.name}.old-*"))
    assert len(kept) == 1 and tf.train.latest_checkpoint(str(kept[0])).endswith("-4")


def test_sigterm_saves_a_checkpoint_before_exiting(tiny_dataset, tmp_path):
    command = [sys.executable, "-m", "discogan.train", "process_main", "--dataset_dir", str(tiny_dataset),
               "--epochs", "1000", "--batch_size", "2", "--gf", "8", "--df", "8", "--save_freq", "100000",
               *[f"--{key}={value}" for key, value in folders(tmp_path).items()]]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith("Epoch: [ 0] [   2/"):
            process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 0, "".join(output)
    assert any("SIGTERM received" in line for line in output)
    assert not any("remapper failed" in line for line in output)  # the graph optimizer's fusions all apply
    prefix = tf.train.latest_checkpoint(str(tmp_path / "checkpoint" / tiny_dataset.name))
    assert prefix is not None and 3 <= tf.train.load_variable(prefix, "global_step") < 4000


def test_help_and_the_readme_table_list_every_option():
    result = subprocess.run([sys.executable, "-m", "discogan.train", "process_main", "--help"], cwd=REPO,
                            capture_output=True, text=True, env={**os.environ, "PAGER": "cat", "PYTHONPATH": str(REPO)})
    readme = (REPO / "README.md").read_text()
    for option in ("demo", *(field.name for field in dataclasses.fields(TrainConfig))):
        assert f"--{option}" in result.stdout + result.stderr, option
    assert config.markdown_table() in readme, "README's flag table differs from discogan.config: paste " \
                                              "python -c 'from discogan import config; print(config.markdown_table())'"


def test_official_recipe_alternates_steps_and_logs_its_terms(tiny_dataset, tmp_path):
    """The authors' recipe: D steps on iterations 0, 3, ...; feature matching and the curriculum are logged."""
    steps = process_main(dataset_dir=str(tiny_dataset), recipe="official", epochs=2, batch_size=2, gf=8, df=8,
                         seed=0, gan_curriculum=4, save_freq=100, print_freq=100, **folders(tmp_path))
    values = scalars(tmp_path / "logs" / tiny_dataset.name)
    assert [step for step, _ in values["d_loss"]] == [1, 4, 7]
    assert [step for step, _ in values["fm_loss_a2b"]] == [2, 3, 5, 6, 8]
    assert [value for _, value in values["lambda_l2"]] == pytest.approx([0.0101] * 2 + [1.0] * 3)
    record = json.loads((tmp_path / "checkpoint" / tiny_dataset.name / "config.json").read_text())
    assert record["bottleneck"] == "spatial" and record["update_interval"] == 3 and record["recipe"] == "official"
    assert record["seed"] == 0 and record["versions"]["tensorflow"] == tf.__version__
    assert steps == 8


def test_time_limit_stops_after_the_iteration_that_reaches_it_and_saves(tiny_dataset, tmp_path, capsys):
    steps = process_main(dataset_dir=str(tiny_dataset), epochs=50, batch_size=2, gf=8, df=8, seed=0,
                         time_limit=1e-6, save_freq=100, print_freq=100, **folders(tmp_path))
    assert steps == 1 and "--time_limit 1e-06 s reached" in capsys.readouterr().out
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoint" / tiny_dataset.name)).endswith("-1")
