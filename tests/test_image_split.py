import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import discogan.image_split as image_split
from discogan.cli import UserError
from discogan.image_split import split_folder
from tests.conftest import random_pixels, write_bad_files, write_png


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
    with pytest.raises(UserError, match=r"trainA.*--overwrite"):
        split_folder(tmp_path, "train", workers=1)
    assert [p.name for p in (tmp_path / "trainA").iterdir()] == ["mine.png"]
    assert (tmp_path / "trainA" / "mine.png").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "trainA"]


def test_overwrite_replaces_the_output(tmp_path, pairs):
    write_png(tmp_path / "trainA" / "mine.png", random_pixels(4, 4))
    split_folder(tmp_path, "train", overwrite=True, workers=1)
    assert sorted(p.name for p in (tmp_path / "trainA").iterdir()) == sorted(pairs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "trainA", "trainB"]


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
    assert summary.skipped_names == sorted(unreadable + ["thin.png"])
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
