"""End to end through the CLI entry point: samples, checkpoints, event file, resume, signals, fresh starts."""
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

from discogan.model import SUMMARY_TAGS
from discogan.train import process_main

REPO = Path(__file__).resolve().parents[1]


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
    for tag in (*SUMMARY_TAGS, "learning_rate"):
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


def test_help_lists_every_flag():
    result = subprocess.run([sys.executable, "-m", "discogan.train", "process_main", "--help"], cwd=REPO,
                            capture_output=True, text=True, env={**os.environ, "PAGER": "cat", "PYTHONPATH": str(REPO)})
    for flag in ("dataset_dir", "demo", "eval_freq", "eval_count", "run_name", "epochs", "lambda_l2", "image_size", "batch_size", "gf", "df", "l_r",
                 "beta1", "beta2", "train_size", "epoch_step", "load_size", "fine_size", "checkpoint_dir",
                 "sample_dir", "print_freq", "save_freq", "log_dir", "seed", "fresh"):
        assert f"--{flag}" in result.stdout + result.stderr, flag
