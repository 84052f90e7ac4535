import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import discogan.image_split as image_split
from discogan.image_split import split_folder
from discogan.util.cli import UserError
from tests.conftest import random_pixels, run_command, write_bad_files, write_png


def read(path):
    return np.asarray(Image.open(path))


def test_left_half_goes_to_a_and_right_half_to_b_keeping_names(tmp_path, pairs):
    summary = split_folder(tmp_path, "train", workers=1)
    assert summary.written == 3 and summary.skipped == []
    for name, pixels in pairs.items():
        np.testing.assert_array_equal(read(tmp_path / "trainA" / name), pixels[:, :8])
        np.testing.assert_array_equal(read(tmp_path / "trainB" / name), pixels[:, 8:])
    assert sorted(p.name for p in (tmp_path / "trainA").iterdir()) == sorted(pairs)


def test_a_side_right_swaps_the_domains(tmp_path, pairs):
    split_folder(tmp_path, "train", a_side="right", workers=1)
    pixels = pairs["12_AB.png"]
    np.testing.assert_array_equal(read(tmp_path / "trainA" / "12_AB.png"), pixels[:, 8:])
    np.testing.assert_array_equal(read(tmp_path / "trainB" / "12_AB.png"), pixels[:, :8])


def sketch_pair(folder):
    """A 16x32 pair: a one-pixel black line on the white left half, random pixels on the right."""
    pixels = np.full((16, 32, 3), 255, np.uint8)
    pixels[:, 7] = 0
    pixels[:, 16:] = random_pixels(16, 16)
    write_png(folder / "1_AB.png", pixels)
    return pixels


@pytest.mark.parametrize("a_side, sketch_domain, photo_domain", [("left", "A", "B"), ("right", "B", "A")])
def test_thicken_sketch_thickens_the_left_half_only(tmp_path, a_side, sketch_domain, photo_domain):
    pixels = sketch_pair(tmp_path / "train")
    split_folder(tmp_path, "train", a_side=a_side, workers=1, thicken_sketch=True)
    sketch = read(tmp_path / f"train{sketch_domain}" / "1_AB.png")
    np.testing.assert_array_equal(sketch[:, 6:9], 0)
    assert (np.delete(sketch, [6, 7, 8], axis=1) == 255).all()
    thickened_photo = (tmp_path / f"train{photo_domain}" / "1_AB.png").read_bytes()
    split_folder(tmp_path, "train", a_side=a_side, workers=1, overwrite=True)
    assert (tmp_path / f"train{photo_domain}" / "1_AB.png").read_bytes() == thickened_photo
    np.testing.assert_array_equal(read(tmp_path / f"train{sketch_domain}" / "1_AB.png"), pixels[:, :16])


def test_thicken_sketch_comes_before_resize(tmp_path):
    sketch_pair(tmp_path / "train")
    split_folder(tmp_path, "train", resize=4, workers=1)
    thin = read(tmp_path / "trainA" / "1_AB.png")
    split_folder(tmp_path, "train", resize=4, workers=1, overwrite=True, thicken_sketch=True)
    assert read(tmp_path / "trainA" / "1_AB.png").min() < thin.min()


def test_bad_a_side_is_refused(tmp_path, pairs):
    with pytest.raises(UserError, match="a_side"):
        split_folder(tmp_path, "train", a_side="middle")


def test_odd_width_drops_the_middle_column(tmp_path):
    pixels = random_pixels(8, 17)
    write_png(tmp_path / "train" / "odd.png", pixels)
    split_folder(tmp_path, "train", workers=1)
    np.testing.assert_array_equal(read(tmp_path / "trainA" / "odd.png"), pixels[:, :8])
    np.testing.assert_array_equal(read(tmp_path / "trainB" / "odd.png"), pixels[:, 9:])


def test_resize_writes_small_png_files(tmp_path):
    (tmp_path / "val").mkdir()
    Image.fromarray(random_pixels(32, 64)).save(tmp_path / "val" / "12_AB.jpg")
    split_folder(tmp_path, "val", resize=8, workers=1)
    for folder in ("valA", "valB"):
        assert [p.name for p in (tmp_path / folder).iterdir()] == ["12_AB.png"]
        with Image.open(tmp_path / folder / "12_AB.png") as image:
            assert (image.format, image.mode, image.size) == ("PNG", "RGB", (8, 8))


def test_refuses_a_non_empty_output_and_leaves_it_untouched(tmp_path, pairs):
    write_png(tmp_path / "trainA" / "mine.png", random_pixels(4, 4))
    before = (tmp_path / "trainA" / "mine.png").read_bytes()
    with pytest.raises(FileExistsError, match=r"trainA.*--overwrite"):
        split_folder(tmp_path, "train", workers=1)
    assert [p.name for p in (tmp_path / "trainA").iterdir()] == ["mine.png"]
    assert (tmp_path / "trainA" / "mine.png").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "trainA"]


def test_overwrite_replaces_the_output(tmp_path, pairs):
    write_png(tmp_path / "trainA" / "mine.png", random_pixels(4, 4))
    split_folder(tmp_path, "train", overwrite=True, workers=1)
    assert sorted(p.name for p in (tmp_path / "trainA").iterdir()) == sorted(pairs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset.json", "train", "trainA", "trainB"]


def test_a_failed_run_leaves_no_partial_output(tmp_path, pairs, monkeypatch):
    write_png(tmp_path / "trainA" / "mine.png", random_pixels(4, 4))
    real_save, calls = image_split.save_image, []

    def failing_save(path, array):
        calls.append(path)
        if len(calls) > 2:
            raise OSError("disk full")
        real_save(path, array)

    monkeypatch.setattr(image_split, "save_image", failing_save)
    with pytest.raises(OSError, match="disk full"):
        split_folder(tmp_path, "train", overwrite=True, workers=1)
    assert [p.name for p in (tmp_path / "trainA").iterdir()] == ["mine.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "trainA"]


def test_bad_files_are_converted_or_skipped_and_named(tmp_path, pairs):
    unreadable, convertible = write_bad_files(tmp_path / "train")
    write_png(tmp_path / "train" / "thin.png", random_pixels(8, 1))
    summary = split_folder(tmp_path, "train", workers=2)
    assert sorted(Path(path).name for path, _ in summary.skipped) == sorted(unreadable + ["thin.png"])
    assert summary.written == len(pairs) + len(convertible)
    for name in convertible:
        with Image.open(tmp_path / "trainB" / name) as image:
            assert (image.mode, image.size) == ("RGB", (16, 16))
    gray_left = read(tmp_path / "trainA" / "gray.png")
    expected = np.arange(16 * 32, dtype=np.uint8).reshape(16, 32)[:, :16]
    np.testing.assert_array_equal(gray_left, np.dstack([expected] * 3))
    report = summary.report()
    for name in unreadable:
        assert name in report
    assert "too narrow" in report


def test_hidden_files_are_ignored(tmp_path, pairs):
    (tmp_path / "train" / ".DS_Store").write_bytes(b"\0\1junk")
    (tmp_path / "train" / ".hidden.jpg").write_bytes(b"junk")
    summary = split_folder(tmp_path, "train", workers=1)
    assert summary.skipped == []
    assert sorted(p.name for p in (tmp_path / "trainA").iterdir()) == sorted(pairs)


def test_missing_source_folder_is_named(tmp_path):
    with pytest.raises(UserError, match=r"val"):
        split_folder(tmp_path, "val")


def test_command_line_keeps_the_books_flags(tmp_path, pairs):
    (tmp_path / "train").rename(tmp_path / "val")
    command = [sys.executable, "-m", "discogan.image_split", "--path", str(tmp_path), "--_dir_", "val"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "3 image(s) done" in done.stdout
    assert sorted(p.name for p in (tmp_path / "valB").iterdir()) == sorted(pairs)
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode == 2
    assert "valA" in refused.stderr and "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    thickened = subprocess.run(command + ["--thicken_sketch", "--overwrite"], capture_output=True, text=True)
    assert thickened.returncode == 0, thickened.stderr
    name = sorted(pairs)[0]
    thick, thin = read(tmp_path / "valA" / name), pairs[name][:, :8]
    assert (thick <= thin).all() and (thick < thin).any()
    np.testing.assert_array_equal(read(tmp_path / "valB" / name), pairs[name][:, 8:])



def test_output_folders_get_ordinary_permissions(tmp_path, pairs):
    previous = os.umask(0o022)
    try:
        split_folder(tmp_path, workers=1)
    finally:
        os.umask(previous)
    assert [(tmp_path / name).stat().st_mode & 0o777 for name in ("trainA", "trainB")] == [0o755, 0o755]


def test_a_misspelled_flag_splits_nothing(tmp_path, pairs):
    command = [sys.executable, "-m", "discogan.image_split", "--path", str(tmp_path), "--resise", "4"]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == ["error: unknown flag --resise: did you mean --resize?"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]


@pytest.mark.parametrize("flag, value", [("resize", 1.5), ("resize", 0), ("workers", 0), ("workers", "two")])
def test_counts_must_be_whole_numbers(tmp_path, pairs, flag, value):
    with pytest.raises(ValueError, match=f"--{flag} must be a whole number >= 1, got {value!r}"):
        split_folder(tmp_path, "train", **{flag: value})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]


def test_an_output_that_is_the_input_is_refused(tmp_path):
    """train -> trainA through a link: replacing trainA would delete the very images being split."""
    pixels = random_pixels(8, 16)
    write_png(tmp_path / "trainA" / "1_AB.png", pixels)
    (tmp_path / "train").symlink_to("trainA")
    with pytest.raises(UserError, match=r"trainA is the input .*train"):
        split_folder(tmp_path, "train", overwrite=True, workers=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "trainA"]
    np.testing.assert_array_equal(read(tmp_path / "trainA" / "1_AB.png"), pixels)


def test_a_symlinked_output_is_refused_and_its_target_untouched(tmp_path, pairs):
    elsewhere = write_png(tmp_path / "other_disk" / "trainA" / "mine.png", random_pixels(4, 4)).parent
    (tmp_path / "trainA").symlink_to(elsewhere)
    with pytest.raises(UserError, match=r"trainA is a symbolic link .*other_disk"):
        split_folder(tmp_path, "train", overwrite=True, workers=1)
    assert (tmp_path / "trainA").resolve() == elsewhere and [p.name for p in elsewhere.iterdir()] == ["mine.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other_disk", "train", "trainA"]


def old_outputs(folder):
    """trainA and trainB of an earlier split, one file each (trainA's in a sub-folder); returns their paths."""
    return [write_png(folder / "trainA" / "sub" / "old.png", random_pixels(4, 4)),
            write_png(folder / "trainB" / "old.png", random_pixels(4, 4))]


def assert_new_outputs(folder, pairs):
    for side in "AB":
        assert sorted(p.name for p in (folder / f"train{side}").iterdir()) == sorted(pairs)


def rmtree_failing_on(name, error, monkeypatch):
    """shutil.rmtree, raising `error` for the folder whose name starts with `name`."""
    real_rmtree = shutil.rmtree

    def rmtree(path, *args, **kwargs):
        if Path(path).name.startswith(name):
            raise error
        real_rmtree(path, *args, **kwargs)
    monkeypatch.setattr(shutil, "rmtree", rmtree)


def test_an_undeletable_old_folder_is_named_and_both_new_folders_are_in_place(tmp_path, pairs, monkeypatch, capsys):
    old_outputs(tmp_path)
    rmtree_failing_on(".trainA.old-", PermissionError(13, "Permission denied", "trainA/sub"), monkeypatch)
    split_folder(tmp_path, "train", overwrite=True, workers=1)
    assert_new_outputs(tmp_path, pairs)
    [left] = tmp_path.glob(".trainA.old-*")
    assert (left / "sub" / "old.png").exists() and not list(tmp_path.glob(".trainB.*"))
    warning = capsys.readouterr().err
    assert "Permission denied" in warning and str(left) in warning


def test_ctrl_c_while_deleting_the_old_folders_leaves_all_new_ones_and_says_so(tmp_path, pairs, monkeypatch, capsys):
    old_outputs(tmp_path)
    rmtree_failing_on(".trainA.old-", KeyboardInterrupt(), monkeypatch)
    status, errors = run_command(monkeypatch, capsys, image_split.main, "--path", tmp_path, "--overwrite",
                                 "--workers", 1)
    assert_new_outputs(tmp_path, pairs)
    left = sorted(tmp_path.glob(".train?.old-*"))
    assert [p.name[:12] for p in left] == [".trainA.old-", ".trainB.old-"]
    assert status == 130 and errors[-1] == (f"interrupted after the new output folders were put in place; "
                                            f"old ones left to delete: {', '.join(map(str, left))}")


def test_ctrl_c_during_the_swap_waits_until_every_new_folder_is_in(tmp_path, pairs, monkeypatch):
    old_outputs(tmp_path)
    real_rename = Path.rename

    def rename_then_ctrl_c(path, target):
        os.kill(os.getpid(), signal.SIGINT)
        return real_rename(path, target)
    monkeypatch.setattr(Path, "rename", rename_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt, match="after the new output folders were put in place; old ones left "
                                                r"to delete: .*\.trainA\.old-.*, .*\.trainB\.old-"):
        split_folder(tmp_path, "train", overwrite=True, workers=1)
    assert_new_outputs(tmp_path, pairs)


SIGTERM_MID_SPLIT = """
import os, signal, sys, time
from discogan import image_split
from discogan.util import cli
real_split = image_split.split_image

def split_until_stopped(job):
    if job.source.name == "1_AB.png":
        os.kill(os.getppid(), signal.SIGTERM)  # the system stops the command while its workers are busy
        time.sleep(60)
    return real_split(job)

image_split.split_image = split_until_stopped
cli.run(image_split.main, interrupted="interrupted; output folders left as they were")
"""


def test_sigterm_cleans_up_like_ctrl_c(tmp_path, pairs):
    old_outputs(tmp_path)
    command = [sys.executable, "-c", SIGTERM_MID_SPLIT, "--path", str(tmp_path), "--workers", "2", "--overwrite"]
    stopped = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 143
    assert stopped.stderr.splitlines()[-1] == "interrupted; output folders left as they were"
    assert "Traceback" not in stopped.stderr and "BrokenPipe" not in stopped.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "trainA", "trainB"]
    assert [p.name for p in (tmp_path / "trainB").iterdir()] == ["old.png"]


def test_a_later_run_removes_what_dead_runs_left(tmp_path, pairs):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [write_png(tmp_path / name / "1_AB.png", random_pixels(4, 4)).parent
             for name in (f".trainA.partial-{dead.pid}-x1", f".trainB.old-{dead.pid}")]
    running = tmp_path / f".trainB.partial-{os.getpid()}-x2"
    running.mkdir()
    split_folder(tmp_path, "train", workers=1)
    assert not any(path.exists() for path in stale) and running.exists()


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, pairs, monkeypatch, capsys):
    real_save, saved = Image.Image.save, []

    def save_until_full(image, stream, *args, **kwargs):
        saved.append(stream)
        if len(saved) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(image, stream, *args, **kwargs)
    monkeypatch.setattr(Image.Image, "save", save_until_full)
    status, errors = run_command(monkeypatch, capsys, image_split.main, "--path", tmp_path, "--workers", 1)
    assert status == 1 and len(errors) == 1
    assert errors[0].startswith("error: [Errno 28] No space left on device: ") and "1_AB.png" in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]


def test_a_read_only_output_is_one_line_and_leaves_nothing(tmp_path, pairs, monkeypatch, capsys):
    def read_only(prefix, dir):
        raise PermissionError(errno.EACCES, "Permission denied", str(dir))
    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    status, errors = run_command(monkeypatch, capsys, image_split.main, "--path", tmp_path, "--workers", 1)
    assert (status, errors) == (1, [f"error: [Errno 13] Permission denied: '{tmp_path}'"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]


def test_the_split_records_its_domains_beside_it(tmp_path, pairs):
    split_folder(tmp_path, "train", resize=8, workers=1, thicken_sketch=True)
    assert json.loads((tmp_path / "dataset.json").read_text()) == {
        "A": {"name": "sketch", "sketch": True, "thickened": True},
        "B": {"name": "photo", "sketch": False, "thickened": False}, "size": 8}
    named = tmp_path / "edges2handbags"
    shutil.copytree(tmp_path / "train", named / "train")
    split_folder(named, "train", a_side="right", workers=1)
    record = json.loads((named / "dataset.json").read_text())
    assert (record["A"], record["B"]["name"], record["size"]) == (
        {"name": "handbag", "sketch": False, "thickened": False}, "sketch", None)
