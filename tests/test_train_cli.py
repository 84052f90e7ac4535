"""End to end through the CLI entry point: samples, checkpoints, event file, resume, signals, fresh starts."""
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from discogan.inference import evaluation
from discogan.options import config
from discogan.options.config import TrainConfig
from discogan.runs.checkpoint import checkpoint_prefixes
from discogan.train import process_main
from discogan.training.discogan import DiscoGAN, TrainingStopped
from discogan.training.loop import Every
from tests.conftest import run_command

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


def tiny(base, **options):
    """Flags of a tiny run with its folders under `base`; `options` win."""
    return {"batch_size": 2, "gf": 8, "df": 8, "seed": 0, "save_freq": 100, "print_freq": 100, **folders(base),
            **options}


def train_command(monkeypatch, capsys, dataset, options):
    """`python -m discogan.train process_main` run in this process: (exit status, stderr lines)."""
    return run_command(monkeypatch, capsys, {"process_main": process_main}, "process_main", "--dataset_dir", dataset,
                       *[f"--{key}={value}" for key, value in options.items()])


def steps_on_disk(checkpoint_dir):
    return [int(prefix.rsplit("-", 1)[1]) for prefix in checkpoint_prefixes(checkpoint_dir)]


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


def test_each_sample_picture_is_an_image_in_tensorboard(tiny_run):
    pictures = {}
    for path in tiny_run.log_dir.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.HasField("image"):
                    pictures.setdefault(value.tag, []).append((event.step, value.image.encoded_image_string))
    steps = tiny_run.options["epochs"] * (8 // tiny_run.options["batch_size"])
    print_freq = tiny_run.options["print_freq"]
    assert [step for step, _ in pictures["images/train"]] == list(range(print_freq, steps + 1, print_freq))
    assert [step for step, _ in pictures["images/val"]] == [4, 8]
    last = np.asarray(Image.open(io.BytesIO(pictures["images/train"][-1][1])))
    written = sorted(tiny_run.sample_dir.glob("train_*.png"))[-1]
    assert np.array_equal(last, np.asarray(Image.open(written)))  # the picture the sample file holds


def test_on_a_pipe_the_status_comes_every_few_seconds_and_every_evaluation_on_its_own_line(tiny_dataset, tmp_path):
    command = [sys.executable, "-m", "discogan.train", "process_main", "--dataset_dir", str(tiny_dataset),
               *[f"--{key}={value}" for key, value in tiny(tmp_path, epochs=25, eval_freq=40, eval_count=2,
                                                            print_freq=0, save_freq=0).items()]]
    result = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    status = [line for line in lines if line.startswith("Epoch: ")]
    assert status[0].startswith("Epoch: [ 0] [   0/   4]") and status[-1].startswith("Epoch: [24] [   3/   4]")
    assert len(status) < 20, result.stdout  # 100 iterations: the first, the last and one every 10 s
    assert [line.split(":")[0] for line in lines if line.startswith("eval at step")] == [
        "eval at step 40", "eval at step 80"]
    assert any(line.startswith("checkpoint ") and line.endswith("DiscoGAN.model-100") for line in lines)


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


def test_an_error_while_scoring_in_the_background_reaches_the_training_loop(tiny_dataset, tmp_path, monkeypatch):
    def broken_metric(*args, **kwargs):
        raise ValueError("a broken metric")

    monkeypatch.setattr(evaluation, "score", broken_metric)
    with pytest.raises(ValueError, match="a broken metric"):
        process_main(dataset_dir=str(tiny_dataset), epochs=2, eval_freq=2, **tiny(tmp_path))


def test_the_loop_hands_back_each_evaluation_in_order(tiny_dataset, tmp_path):
    model = DiscoGAN(str(tiny_dataset), **tiny(tmp_path, epochs=1, eval_freq=2, eval_count=2))
    model.train_network()
    assert [point["step"] for point in model.evaluations] == [2, 4]
    assert set(model.evaluations[0]) == {"step", "elapsed_s", "a2b", "b2a"}


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
               "--log_every_iteration",
               *[f"--{key}={value}" for key, value in folders(tmp_path).items()]]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # as `command &`
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith("Epoch: [ 0] [   1/"):  # printed by --log_every_iteration
            process.send_signal(signal.SIGINT)  # ignored, as the script's shell asked: docs/reliability.md
        if line.startswith("Epoch: [ 0] [   2/"):
            process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 143, "".join(output)  # as shells report it, unlike a finished run's 0
    assert any("SIGTERM received" in line for line in output)
    assert not any("SIGINT" in line for line in output)
    assert any(line.startswith("SIGTERM: stopped at step") for line in output)
    assert not any("Traceback" in line for line in output)
    assert not any("remapper failed" in line for line in output)  # the graph optimizer's fusions all apply
    prefix = tf.train.latest_checkpoint(str(tmp_path / "checkpoint" / tiny_dataset.name))
    assert prefix is not None and 3 <= tf.train.load_variable(prefix, "global_step") < 4000


def test_the_docs_say_a_run_in_a_script_s_background_ignores_ctrl_c_and_stops_by_sigterm():
    stopping = (REPO / "docs" / "reliability.md").read_text().split("**Ctrl-C or SIGTERM**", 1)[1].split("\n\n")[0]
    assert "background" in stopping and "SIGINT ignored" in stopping and "kill -TERM" in stopping


def test_help_and_the_docs_flag_table_list_every_option():
    result = subprocess.run([sys.executable, "-m", "discogan.train", "process_main", "--help"], cwd=REPO,
                            capture_output=True, text=True, env={**os.environ, "PAGER": "cat", "PYTHONPATH": str(REPO)})
    flags = (REPO / "docs" / "flags.md").read_text()
    for option in ("demo", *(field.name for field in dataclasses.fields(TrainConfig))):
        assert f"--{option}" in result.stdout + result.stderr, option
    assert config.markdown_table() in flags, "docs/flags.md's flag table differs from discogan.options.config: " \
        "paste python -c 'from discogan.options import config; print(config.markdown_table())'"


def test_official_recipe_alternates_steps_and_logs_its_terms(tiny_dataset, tmp_path, capsys):
    """The authors' recipe: D steps on iterations 0, 3, ...; feature matching and the curriculum are logged.

    In float32: bfloat16 would log the weight 0.0101 as 0.01007, its nearest bfloat16 value."""
    steps = process_main(dataset_dir=str(tiny_dataset), recipe="official", epochs=2, batch_size=2, gf=8, df=8,
                         seed=0, gan_curriculum=4, save_freq=100, print_freq=100, precision="float32",
                         log_every_iteration=True, **folders(tmp_path))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch:")]
    assert "g_loss: -," in lines[0] and "g_loss: -," not in lines[1]  # no generator step yet, then one
    values = scalars(tmp_path / "logs" / tiny_dataset.name)
    assert [step for step, _ in values["d_loss"]] == [1, 4, 7]
    assert [step for step, _ in values["fm_loss_a2b"]] == [2, 3, 5, 6, 8]
    assert [value for _, value in values["lambda_l2"]] == pytest.approx([0.0101] * 2 + [1.0] * 3)
    record = json.loads((tmp_path / "checkpoint" / tiny_dataset.name / "config.json").read_text())
    assert record["bottleneck"] == "spatial" and record["update_interval"] == 3 and record["recipe"] == "official"
    assert record["seed"] == 0 and record["versions"]["tensorflow"] == tf.__version__
    assert steps == 8


def test_two_colour_weights_from_the_command_line_weigh_the_directions_apart(tiny_dataset, tmp_path, monkeypatch,
                                                                              capsys):
    status, errors = train_command(monkeypatch, capsys, tiny_dataset, tiny(tmp_path, epochs=1, lambda_colour="3,0"))
    assert status == 0, errors
    tags = scalars(tmp_path / "logs" / tiny_dataset.name)
    assert "colour_loss_a2b" in tags and "colour_loss_b2a" not in tags
    record = json.loads((tmp_path / "checkpoint" / tiny_dataset.name / "config.json").read_text())
    assert record["lambda_colour"] == [3, 0]


def test_time_limit_stops_after_the_iteration_that_reaches_it_and_saves(tiny_dataset, tmp_path, capsys):
    steps = process_main(dataset_dir=str(tiny_dataset), epochs=50, batch_size=2, gf=8, df=8, seed=0,
                         time_limit=1e-6, save_freq=100, print_freq=100, **folders(tmp_path))
    assert steps == 1 and "--time_limit 1e-06 s reached" in capsys.readouterr().out
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoint" / tiny_dataset.name)).endswith("-1")


def test_ctrl_c_saves_then_raises_and_the_command_exits_130(tiny_dataset, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(DiscoGAN, "sample_model", lambda *args: signal.raise_signal(signal.SIGINT))
    options = tiny(tmp_path, epochs=5, print_freq=1)
    with pytest.raises(TrainingStopped) as stopped:
        process_main(dataset_dir=str(tiny_dataset), **options)
    assert stopped.value.signum == signal.SIGINT
    assert steps_on_disk(tmp_path / "checkpoint" / tiny_dataset.name) == [1]
    status, errors = train_command(monkeypatch, capsys, tiny_dataset, options)
    assert status == 130 and errors[-1].startswith("SIGINT: stopped at step 2 of 20, saved in")


def test_another_dataset_under_the_same_folder_name_is_refused_and_the_record_kept(tiny_dataset, tmp_path):
    first, second = tmp_path / "x" / "td", tmp_path / "y" / "td"
    for dataset in (first, second):
        shutil.copytree(tiny_dataset, dataset)
    process_main(dataset_dir=str(first), **tiny(tmp_path, epochs=1))
    record = tmp_path / "checkpoint" / "td" / "config.json"
    started = record.read_text()
    with pytest.raises(ValueError, match="--run_name.*--fresh") as refused:
        process_main(dataset_dir=str(second), **tiny(tmp_path, epochs=2))
    assert f"trained on {first.resolve()}, not on {second.resolve()}" in str(refused.value)
    assert process_main(dataset_dir=str(first), **tiny(tmp_path, epochs=2)) == 8
    assert record.read_text() == started  # epochs 1: a resume never rewrites what the run started from


def test_only_the_newest_five_checkpoints_are_kept_across_restarts(tiny_dataset, tmp_path):
    checkpoint_dir = tmp_path / "checkpoint" / tiny_dataset.name
    process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=2, save_freq=1))
    assert steps_on_disk(checkpoint_dir) == [4, 5, 6, 7, 8]
    for step in (1, 2, 3):  # left by an earlier restart, unknown to the state file
        for path in checkpoint_dir.glob("DiscoGAN.model-4.*"):
            shutil.copy(path, checkpoint_dir / path.name.replace("-4.", f"-{step}."))
    process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=3, save_freq=1))
    assert steps_on_disk(checkpoint_dir) == [8, 9, 10, 11, 12]
    state = tf.train.get_checkpoint_state(str(checkpoint_dir))
    assert [Path(path).name for path in state.all_model_checkpoint_paths] == [
        f"DiscoGAN.model-{step}" for step in range(8, 13)]


def test_a_truncated_latest_checkpoint_falls_back_to_the_one_before(tiny_dataset, tmp_path, capsys):
    checkpoint_dir = tmp_path / "checkpoint" / tiny_dataset.name
    process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=1, save_freq=2))
    data_file = next(checkpoint_dir.glob("DiscoGAN.model-4.data-*"))
    data_file.write_bytes(data_file.read_bytes()[:100])
    with pytest.warns(UserWarning, match=r"DiscoGAN.model-4 is damaged \(Read less bytes than requested\)"):
        assert process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=2, save_freq=2)) == 8
    assert f"resumed from {checkpoint_dir / 'DiscoGAN.model-2'}" in capsys.readouterr().out


def test_another_pool_size_resumes_with_empty_pools(tiny_dataset, tmp_path, capsys):
    process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=1, pool_size=4))
    assert process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=2, pool_size=2)) == 8
    assert "the image pools were saved with --pool_size 4, now 2: they start empty" in capsys.readouterr().out
    prefix = tf.train.latest_checkpoint(str(tmp_path / "checkpoint" / tiny_dataset.name))
    assert tf.train.load_variable(prefix, "image_pool_B/buffer").shape == (2, 64, 64, 3)


def test_a_run_resumed_with_the_print_loss_trains_its_print_encoder_from_scratch(tiny_dataset, tmp_path, capsys):
    process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=1))
    assert process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=2, lambda_print=0.1)) == 8
    assert "the checkpoint has no print encoder (it was trained without --lambda_print)" in capsys.readouterr().out
    prefix = tf.train.latest_checkpoint(str(tmp_path / "checkpoint" / tiny_dataset.name))
    assert "discriminator_print/code/weights" in dict(tf.train.list_variables(prefix))


def test_a_resume_past_the_end_says_so_and_a_finished_run_trains_nothing(tiny_run, capsys):
    base = tiny_run.checkpoint_dir.parent.parent
    options = {**tiny_run.options, **folders(base)}
    before = sorted((path.name, path.stat().st_mtime_ns) for path in tiny_run.checkpoint_dir.iterdir())
    with pytest.raises(ValueError, match=r"already at step 8, past the end of 4 = 2 epochs x 2 iterations per "
                                         r"epoch; raise --epochs to go on"):
        process_main(dataset_dir=str(tiny_run.dataset), **{**options, "batch_size": 4})
    assert process_main(dataset_dir=str(tiny_run.dataset), **options) == 8
    assert "already at step 8, the end of 8 = 2 epochs x 4 iterations per epoch" in capsys.readouterr().out
    assert sorted((path.name, path.stat().st_mtime_ns) for path in tiny_run.checkpoint_dir.iterdir()) == before


def test_an_unreadable_image_among_the_sample_images_is_skipped(tiny_dataset, tmp_path):
    dataset = tmp_path / "bags"
    shutil.copytree(tiny_dataset, dataset)
    whole = (dataset / "trainA" / "0_AB.png").read_bytes()
    (dataset / "trainA" / "00_truncated.png").write_bytes(whole[:len(whole) // 2])  # its header reads fine
    with pytest.warns(UserWarning, match=r"trainA: skipping 1 unreadable image\(s\): 00_truncated.png"):
        assert process_main(dataset_dir=str(dataset), **tiny(tmp_path, epochs=1, print_freq=4)) == 4
    picture = Image.open(tmp_path / "sample" / "bags" / "train_00_0003.png")
    assert picture.height == 8 * 64 + 7 * 2  # eight sample rows all the same


def test_a_save_on_a_full_disk_leaves_no_partial_files_and_ends_in_one_line(tiny_dataset, tmp_path, monkeypatch,
                                                                           capsys):
    """What a real full disk did in a trial: index and data written, then the state file's update failed."""
    real_save = tf.compat.v1.train.Saver.save

    def save_on_a_full_disk(saver, session, save_path, global_step, **options):
        if global_step < 4:
            return real_save(saver, session, save_path, global_step, **options)
        for name in ("DiscoGAN.model-4.index", "DiscoGAN.model-4.data-00000-of-00001", "checkpoint.tmp5e2a"):
            Path(save_path).with_name(name).write_bytes(b"partial")
        raise tf.errors.ResourceExhaustedError(None, None, f"{save_path}.tmp5e2a; No space left on device")

    monkeypatch.setattr(tf.compat.v1.train.Saver, "save", save_on_a_full_disk)
    status, errors = train_command(monkeypatch, capsys, tiny_dataset, tiny(tmp_path, epochs=1, save_freq=2))
    checkpoint_dir = tmp_path / "checkpoint" / tiny_dataset.name
    assert status == 1 and not any("Traceback" in line for line in errors)
    assert errors[-1] == (f"error: could not save the checkpoint of step 4 in {checkpoint_dir}: No space left on "
                          f"device; the checkpoints saved before it are kept")
    assert sorted(path.name for path in checkpoint_dir.iterdir()) == [
        "DiscoGAN.model-2.data-00000-of-00001", "DiscoGAN.model-2.index", "checkpoint", "config.json"]


def test_every_fires_by_iterations_or_by_the_clock_whichever_comes_first():
    by_steps, by_clock, both = Every(3, 0, now=0.0), Every(0, 10.0, now=0.0), Every(4, 10.0, now=0.0)
    assert [step for step in range(1, 10) if by_steps.due(step, now=100.0 * step)] == [3, 6, 9]
    assert [now for now in (4, 9.9, 10, 15, 20.5, 30, 31) if by_clock.due(1, now)] == [10, 20.5, 31]
    times = ((1, 5), (2, 11), (3, 12), (4, 13), (5, 22), (6, 23.5))  # the clock restarts at each firing
    assert [(step, now) for step, now in times if both.due(step, now)] == [(2, 11), (4, 13), (6, 23.5)]
    assert not Every(0, 0, now=0.0).due(10, 1e9)


def test_by_the_clock_samples_each_iteration_and_saves_only_at_the_end(tiny_dataset, tmp_path, capsys):
    options = tiny(tmp_path, epochs=1, print_freq=0, save_freq=0, sample_seconds=1e-9, save_seconds=3600)
    assert process_main(dataset_dir=str(tiny_dataset), **options) == 4
    assert len(list((tmp_path / "sample" / tiny_dataset.name).glob("train_*.png"))) == 4
    assert steps_on_disk(tmp_path / "checkpoint" / tiny_dataset.name) == [4]
    report = [line for line in capsys.readouterr().out.splitlines() if line.startswith("4 iterations in")]
    assert len(report) == 1 and "training step" in report[0] and "samples" in report[0]
    assert "checkpoints" in report[0] and "of the wall time; CPU " in report[0]


def test_a_bad_flag_of_a_demo_is_refused_before_its_dataset_is_drawn(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DISCOGAN_CACHE", str(tmp_path / "cache"))
    status, errors = run_command(monkeypatch, capsys, {"process_main": process_main}, "process_main", "--demo",
                                 "shoes", "--ema_decay", "1")
    assert status == 2 and errors == ["error: --ema_decay must lie in [0, 1), e.g. 0.999 (0: off), got 1"]
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("folder, flags, written, step", [
    ("sample", {"print_freq": 3}, "a sample picture", 3),
    ("sample", {"eval_freq": 2, "eval_count": 2}, "an evaluation", 4),  # scored in the background, met at step 4
    ("logs", {}, "the TensorBoard logs", None),
])
def test_a_write_that_fails_saves_the_training_first_and_ends_in_one_line(folder, flags, written, step, tiny_dataset,
                                                                          tmp_path, monkeypatch, capsys):
    """A file where the run's folder should be, as a full disk would, fails the write: status 1, a machine's error."""
    in_the_way = tmp_path / folder / tiny_dataset.name
    in_the_way.parent.mkdir()
    in_the_way.write_text("in the way")
    status, errors = train_command(monkeypatch, capsys, tiny_dataset, tiny(tmp_path, epochs=1, **flags))
    assert status == 1 and not any("Traceback" in line for line in errors), errors
    assert errors[-1].startswith(f"error: could not write {written} in {in_the_way}: "), errors[-1]
    checkpoint_dir = tmp_path / "checkpoint" / tiny_dataset.name
    if step:
        assert errors[-1].endswith(f"; the checkpoint of step {step} is saved in {checkpoint_dir}")
    assert steps_on_disk(checkpoint_dir) == ([step] if step else [])


@pytest.mark.parametrize("flag, value", [("lambda_l2", 1e300), ("l_r", 1e39), ("lambda_colour", (1.0, 1e39)),
                                         ("weight_decay", 4e38)])
def test_a_weight_that_float32_cannot_hold_is_refused_up_front(flag, value):
    with pytest.raises(ValueError, match=rf"^--{flag} must be a number .*float32.*got"):
        TrainConfig.create(**{flag: value})


def test_a_run_that_diverges_saves_nothing_and_names_its_last_good_checkpoint_in_one_line(tiny_dataset, tmp_path,
                                                                                         monkeypatch, capsys):
    assert process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=1)) == 4
    checkpoint_dir = tmp_path / "checkpoint" / tiny_dataset.name
    status, errors = train_command(monkeypatch, capsys, tiny_dataset, tiny(
        tmp_path, epochs=2, save_freq=1, lambda_l2=3e38, lambda_identity=3e38))  # finite alone, not summed
    assert status == 2 and not any("Traceback" in line for line in errors), errors
    assert errors[-1].startswith("error: training diverged at step 5: g_loss became inf")
    assert errors[-1].endswith(f"nothing was saved since {checkpoint_dir / 'DiscoGAN.model-4'}, the last good "
                               f"checkpoint: resume from it with a lower --l_r or loss weights")
    assert steps_on_disk(checkpoint_dir) == [4]


def test_a_resume_removes_a_killed_save_s_temporaries_and_calls_no_deprecated_checkpoint_function(tiny_dataset,
                                                                                                   tmp_path,
                                                                                                   monkeypatch):
    """Each deprecated call printed a TensorFlow deprecation warning; kill -9 mid-save left 0-byte temporaries."""
    from tensorflow.python.checkpoint import checkpoint_management
    called = []
    for name in ("remove_checkpoint", "get_checkpoint_mtimes", "checkpoint_exists"):
        monkeypatch.setattr(checkpoint_management, name, lambda *args, name=name, **kwargs: called.append(name))
    checkpoint_dir = tmp_path / "checkpoint" / tiny_dataset.name
    process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=2, save_freq=1))  # prunes 1 to 3
    stale = ["DiscoGAN.model-9.data-00000-of-00001.tempstate1234567890", "DiscoGAN.model-9.index.tempstate42",
             "checkpoint.tmp" + "0a" * 16]
    kept = ["DiscoGAN.model-notes.tempstate.txt", "mine.tempstate1"]
    for name in stale + kept:
        (checkpoint_dir / name).write_bytes(b"")
    process_main(dataset_dir=str(tiny_dataset), **tiny(tmp_path, epochs=3, save_freq=1))
    assert called == []
    assert steps_on_disk(checkpoint_dir) == [8, 9, 10, 11, 12]
    assert not any((checkpoint_dir / name).exists() for name in stale)
    assert all((checkpoint_dir / name).exists() for name in kept)
