"""A damaged checkpoint or config.json, met by every command that loads a trained model: translate, export, evaluate
and the app (through inference.open_translator) fall back as training does, or end in one line naming the file."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from discogan.evaluate import evaluate
from discogan.export import export
from discogan.inference.translator import open_translator
from discogan.translate import translate_images
from tests.conftest import random_pixels, run_command, write_png

OLD_CHECKPOINT = Path(__file__).parent / "data" / "checkpoint_3920629"  # 16x16, gf 4, step 4


@pytest.fixture
def run(tmp_path):
    """The fixture checkpoint as step 4 of a run, a copy of it as step 5 (the newest), and a tiny 16x16 val split."""
    folder = shutil.copytree(OLD_CHECKPOINT, tmp_path / "run")
    for path in folder.glob("DiscoGAN.model-4.*"):
        shutil.copy(path, folder / path.name.replace("-4.", "-5."))
    (folder / "checkpoint").write_text('model_checkpoint_path: "DiscoGAN.model-5"\n'
                                       'all_model_checkpoint_paths: "DiscoGAN.model-4"\n'
                                       'all_model_checkpoint_paths: "DiscoGAN.model-5"\n')
    for domain, seed in (("A", 0), ("B", 10)):
        for i in range(3):
            write_png(tmp_path / "data" / f"val{domain}" / f"{i}.png", random_pixels(16, 16, seed=seed + i))
    write_png(tmp_path / "inputs" / "sketch.png", random_pixels(20, 24))
    return folder


def truncate(folder, step, kind):
    path = next(folder.glob(f"DiscoGAN.model-{step}.{kind}*"))
    path.write_bytes(path.read_bytes()[:100])


def commands(folder, tmp_path):
    """(name, function, flags) of each command that loads a trained model, all reading `folder`."""
    return [("translate", translate_images, ["--input", tmp_path / "inputs", "--output", tmp_path / "out",
                                             "--checkpoint_dir", folder]),
            ("export", export, ["--checkpoint_dir", folder, "--export_dir", tmp_path / "export"]),
            ("evaluate", evaluate, ["--checkpoint_dir", folder, "--dataset_dir", tmp_path / "data"])]


@pytest.mark.parametrize("kind", ["data", "index"])
def test_a_damaged_latest_checkpoint_falls_back_to_the_one_before_in_every_command(kind, run, tmp_path, monkeypatch,
                                                                                     capsys):
    truncate(run, 5, kind)
    used = rf"DiscoGAN.model-5 is damaged \(.+\): using {run}/DiscoGAN.model-4, the newest checkpoint that reads back"
    expected = np.load(run / "expected.npz")
    with pytest.warns(UserWarning, match=used), open_translator(run) as translator:  # what the app calls
        np.testing.assert_array_equal(translator.translate(expected["images"]), expected["AtoB"])
    for name, command, flags in commands(run, tmp_path):
        with pytest.warns(UserWarning, match=used):
            status, errors = run_command(monkeypatch, capsys, command, *flags)
        assert (name, status) == (name, 0) and not any("error" in line for line in errors), errors
    assert (tmp_path / "out" / "sketch.png").is_file() and (tmp_path / "export" / "1" / "saved_model.pb").is_file()


def test_a_damaged_prefix_named_or_every_checkpoint_damaged_is_one_line(run, tmp_path, monkeypatch, capsys):
    truncate(run, 5, "data")
    for name, command, flags in commands(run / "DiscoGAN.model-5", tmp_path):
        status, errors = run_command(monkeypatch, capsys, command, *flags)
        assert (name, status, len(errors)) == (name, 2, 1), errors
        assert errors[0].startswith(f"error: {run}/DiscoGAN.model-5 is damaged (") and errors[0].endswith(
            f"pass its folder, {run}, to use the newest intact checkpoint there")
    truncate(run, 4, "index")
    for name, command, flags in commands(run, tmp_path):
        status, errors = run_command(monkeypatch, capsys, command, *flags)
        assert (name, status, len(errors)) == (name, 2, 1), errors
        assert "DiscoGAN.model-5 is damaged" in errors[0] and "DiscoGAN.model-4 is damaged" in errors[0]
        assert errors[0].endswith(f"no checkpoint in {run} reads back whole: train the model again")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "inputs", "run"]


@pytest.mark.parametrize("edit, message", [
    (lambda record: {key: value for key, value in record.items() if key != "gf"}, "gf is missing"),
    (lambda record: {**record, "gf": None}, "gf must be a whole number such as 64, got null"),
    (lambda record: {**record, "gf": "eight"}, 'gf must be a whole number such as 64, got "eight"'),
    (lambda record: {**record, "gf": 8.0}, "gf must be a whole number such as 64, got 8.0"),
    (lambda record: {**record, "image_size": True}, "image_size must be a whole number such as 64, got true"),
    (lambda record: [record], "does not hold a JSON object"),
])
def test_a_hand_edited_config_is_one_line_naming_the_file_and_field(edit, message, run, tmp_path, monkeypatch,
                                                                    capsys):
    config = run / "config.json"
    config.write_text(json.dumps(edit(json.loads(config.read_text()))))
    with pytest.raises(ValueError, match=f"{config}: {message}" if "JSON" not in message else message):
        open_translator(run)
    for name, command, flags in commands(run, tmp_path):
        status, errors = run_command(monkeypatch, capsys, command, *flags)
        assert (name, status, len(errors)) == (name, 2, 1), errors
        assert errors[0].startswith(f"error: {config}") and message in errors[0]


def test_a_truncated_config_names_the_file(run, tmp_path, monkeypatch, capsys):
    config = run / "config.json"
    config.write_text(config.read_text()[:40])
    for name, command, flags in commands(run, tmp_path):
        status, errors = run_command(monkeypatch, capsys, command, *flags)
        assert (name, status, len(errors)) == (name, 2, 1), errors
        assert errors[0].startswith(f"error: {config} is not valid JSON (")
