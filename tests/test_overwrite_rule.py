"""Every command that writes into a folder keeps one overwrite rule (data/output_folders.check_outputs): it never
replaces an input, even with --overwrite, and never a user's files without it; each refusal is one line, status 2."""
import shutil
from pathlib import Path

import pytest

from discogan import export, image_split, make_unpaired, translate
from tests.conftest import random_pixels, run_command, write_png

OLD_CHECKPOINT = Path(__file__).parent / "data" / "checkpoint_3920629"


def split_with_a_users_file(tmp):
    write_png(tmp / "train" / "1.png", random_pixels(4, 8))
    return tmp / "trainB" / "mine.png", [image_split.main, "--path", tmp, "--workers", 1]


def unpaired_with_a_users_file(tmp):
    for domain in "ab":
        for index in range(3):
            write_png(tmp / domain / f"{index}.png", random_pixels(4, 4, seed=index))
    return tmp / "out" / "valA" / "mine.png", [make_unpaired.main, "--domain_a", tmp / "a", "--domain_b", tmp / "b",
                                               "--output", tmp / "out", "--val_size", 1, "--workers", 1]


def translation_with_a_users_file(tmp):
    write_png(tmp / "in" / "sketch.png", random_pixels(8, 8))
    return tmp / "out" / "sketch.png", [translate.translate_images, "--checkpoint_dir", OLD_CHECKPOINT, "--input",
                                        tmp / "in", "--output", tmp / "out"]


def export_with_a_users_file(tmp):
    return tmp / "export" / "1" / "mine.png", [export.export, "--checkpoint_dir", OLD_CHECKPOINT, "--export_dir",
                                               tmp / "export"]


@pytest.mark.parametrize("command", [split_with_a_users_file, unpaired_with_a_users_file,
                                     translation_with_a_users_file, export_with_a_users_file])
def test_a_users_file_in_the_way_is_kept_and_overwrite_is_named(command, tmp_path, monkeypatch, capsys):
    mine, arguments = command(tmp_path)
    write_png(mine, random_pixels(2, 2))
    before = mine.read_bytes()
    status, errors = run_command(monkeypatch, capsys, *arguments)
    assert status == 2 and len(errors) == 1 and "exist" in errors[0] and "pass --overwrite to replace" in errors[0]
    assert mine.read_bytes() == before


def unpaired_around_its_input(tmp):
    for domain in ("out/trainA", "b"):
        for index in range(3):
            write_png(tmp / domain / f"{index}.png", random_pixels(4, 4, seed=index))
    return tmp / "out" / "trainA" / "0.png", [make_unpaired.main, "--domain_a", tmp / "out" / "trainA", "--domain_b",
                                              tmp / "b", "--output", tmp / "out", "--val_size", 1, "--overwrite"]


def translation_into_its_input(tmp):
    write_png(tmp / "in" / "sketch.png", random_pixels(8, 8))
    return tmp / "in" / "sketch.png", [translate.translate_images, "--checkpoint_dir", OLD_CHECKPOINT, "--input",
                                       tmp / "in", "--output", tmp / "in", "--overwrite"]


def export_over_its_checkpoint(tmp):
    """An export whose version folder is the checkpoint it reads: --overwrite used to delete that checkpoint."""
    shutil.copytree(OLD_CHECKPOINT, tmp / "model" / "1")
    return tmp / "model" / "1" / "config.json", [export.export, "--checkpoint_dir", tmp / "model" / "1", "--export_dir",
                                                 tmp / "model", "--overwrite"]


@pytest.mark.parametrize("command", [unpaired_around_its_input, translation_into_its_input, export_over_its_checkpoint])
def test_an_input_is_never_replaced_even_with_overwrite(command, tmp_path, monkeypatch, capsys):
    kept, arguments = command(tmp_path)
    before = kept.read_bytes()
    status, errors = run_command(monkeypatch, capsys, *arguments)
    assert status == 2 and len(errors) == 1 and "the input" in errors[0] and "choose another output" in errors[0]
    assert kept.read_bytes() == before
