"""The built-in synthetic datasets: sketch <-> handbag pairs, and handbags <-> shoes from one palette."""
import hashlib
import shutil

import numpy as np
import pytest

from discogan.data import demo_shoes
from discogan.data.demo_cache import default_cache_dir
from discogan.data.demo_data import FOLDER_NAME, draw_bag, make_demo_dataset
from discogan.data.demo_shoes import (PALETTE, PRINTS, SHADE_SPREAD, Entry, draw_palette_bag, draw_shoe,
                                      make_shoes_dataset)
from discogan.data.image_io import list_images, load_rgb
from tests.conftest import random_pixels, write_png

SKETCH_DEMO_SEED_0 = "d0b01bc4f566e372f2d79bde3ab4b05529c33dac269ca02227963f79ca4064a8"  # commit 109e4fd's pixels


def test_pairs_are_a_grey_outline_and_a_coloured_bag_of_the_same_shape():
    sketch, photo = draw_bag(np.random.default_rng(3))
    assert sketch.shape == photo.shape == (64, 64, 3) and sketch.dtype == photo.dtype == np.uint8
    assert np.ptp(sketch.astype(int), axis=-1).max() == 0  # grey only
    assert np.ptp(photo.astype(int), axis=-1).mean() > 5  # coloured
    lines = sketch.mean(-1) < 128
    bag = photo.mean(-1) < 240
    assert 0.02 < lines.mean() < 0.3
    rows, cols = np.nonzero(lines)
    assert bag[rows, cols].mean() > 0.5 or bag[np.clip(rows + 1, 0, 63), cols].mean() > 0.5


def test_the_sketch_demo_draws_the_pixels_it_always_drew():
    """Its held-out scores in benchmarks/README.md hold only for these pixels."""
    rng, digest = np.random.default_rng(0), hashlib.sha256()
    for _ in range(8):
        for image in draw_bag(rng):
            digest.update(image.tobytes())
    assert digest.hexdigest() == SKETCH_DEMO_SEED_0


def test_dataset_is_paired_reproducible_and_written_once(tmp_path):
    root = make_demo_dataset(tmp_path / "a", train_pairs=3, val_pairs=2, seed=5)
    assert [len(list_images(root / f)) for f in ("trainA", "trainB", "valA", "valB")] == [3, 3, 2, 2]
    assert [p.name for p in list_images(root / "valA")] == [p.name for p in list_images(root / "valB")]
    again = make_demo_dataset(tmp_path / "b", train_pairs=3, val_pairs=2, seed=5)
    np.testing.assert_array_equal(load_rgb(root / "trainB" / "1_AB.png"), load_rgb(again / "trainB" / "1_AB.png"))
    (root / "trainA" / "0_AB.png").unlink()
    make_demo_dataset(root, train_pairs=3, val_pairs=2, seed=5)  # complete already: nothing is rewritten
    assert not (root / "trainA" / "0_AB.png").exists()


def object_pixels(image):
    return image[image.min(-1) < 235].astype(float)


def shade_share(image, colour):
    """The share of the object's pixels that are a lit or shaded `colour` (k * colour, 0.6 <= k <= 1.25)."""
    pixels, colour = object_pixels(image), np.array(colour, float)
    k = pixels @ colour / (colour @ colour)
    return ((np.linalg.norm(pixels - k[:, None] * colour, axis=1) < 20) & (k > 0.6) & (k < 1.25)).mean()


@pytest.mark.parametrize("draw", [draw_shoe, draw_palette_bag])
def test_bags_and_shoes_are_objects_on_white_in_their_palette_colour(draw):
    rng = np.random.default_rng(0)
    for colour in PALETTE:
        for _ in range(4):
            image = draw(rng, Entry.of(colour))
            assert image.shape == (64, 64, 3) and image.dtype == np.uint8
            border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
            assert border.min() > 240  # the whole object on a white background
            assert 0.08 < (image.min(-1) < 235).mean() < 0.5
            shares = {name: shade_share(image, PALETTE[name]) for name in PALETTE}
            own = shares.pop(colour)
            assert own > 0.2 and own > max(shares.values()) + 0.1, (colour, own, shares)


def test_shoes_look_like_shoes_wider_than_tall_and_standing_on_the_ground():
    rng = np.random.default_rng(1)
    for _ in range(20):
        shoe = draw_shoe(rng, demo_shoes.random_entry(rng)).min(-1) < 235
        rows, cols = np.nonzero(shoe)
        assert np.ptp(cols) > 0.55 * 64 and np.ptp(cols) > 0.9 * np.ptp(rows)
        assert rows.max() > 0.8 * 64  # its sole near the bottom, as a catalogue photo stands a shoe


def dominant_colour(image):
    return max(PALETTE, key=lambda name: shade_share(image, PALETTE[name]))


def test_a_bag_and_a_shoe_of_one_palette_entry_share_their_colour_and_every_print_draws():
    rng = np.random.default_rng(2)
    for name in PALETTE:
        bag, shoe = draw_palette_bag(rng, Entry.of(name)), draw_shoe(rng, Entry.of(name))
        assert dominant_colour(bag) == dominant_colour(shoe) == name
    for print_name in PRINTS:
        assert np.ptp(draw_shoe(rng, Entry.of("red", print_name)).astype(int)) > 100


def test_shoes_dataset_is_unpaired_with_matching_held_out_entries_reproducible_and_written_once(tmp_path):
    root = make_shoes_dataset(tmp_path / "a", train_count=3, val_count=4, seed=5)
    files = {folder: list_images(root / folder) for folder in ("trainA", "trainB", "valA", "valB")}
    assert [len(found) for found in files.values()] == [3, 3, 4, 4]
    assert all(path.stem.endswith("_handbag") for path in files["trainA"] + files["valA"])
    assert all(path.stem.endswith("_shoe") for path in files["trainB"] + files["valB"])
    entries = [[path.stem.split("_")[1] for path in files[folder]] for folder in ("valA", "valB")]
    assert entries[0] == entries[1]  # val bag i and val shoe i: one colour, shade and print
    colour, shade, print_name = entries[0][0].split("-", 2)
    assert colour in PALETTE and print_name in PRINTS
    assert np.abs(np.subtract(list(bytes.fromhex(shade)), PALETTE[colour])).max() <= SHADE_SPREAD
    again = make_shoes_dataset(tmp_path / "b", train_count=3, val_count=4, seed=5)
    np.testing.assert_array_equal(load_rgb(files["valB"][1]), load_rgb(again / "valB" / files["valB"][1].name))
    files["trainA"][0].unlink()
    make_shoes_dataset(root, train_count=3, val_count=4, seed=5)  # complete already: nothing is rewritten
    assert not files["trainA"][0].exists()


def test_each_entry_wears_its_own_shade_of_its_palette_colour_and_the_bag_and_shoe_show_it():
    rng = np.random.default_rng(4)
    entries = [demo_shoes.random_entry(rng) for _ in range(100)]
    assert len({entry.colour for entry in entries}) == 100  # no two held-out bags of exactly one colour
    for entry in entries:
        assert np.abs(np.subtract(entry.colour, PALETTE[entry.name])).max() <= SHADE_SPREAD
    for entry in entries[:5]:
        solid = entry._replace(print_name="solid")
        for image in (draw_palette_bag(rng, solid), draw_shoe(rng, solid)):
            assert shade_share(image, entry.colour) > 0.2, entry


def test_each_demo_is_cached_in_its_own_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DISCOGAN_CACHE", str(tmp_path))
    assert make_shoes_dataset(train_count=1, val_count=1) == tmp_path / "demo_shoes"
    assert default_cache_dir(FOLDER_NAME) == tmp_path / "demo_bags"


def split_counts(root):
    return [len(list_images(root / folder)) for folder in ("trainA", "trainB", "valA", "valB")]


def test_a_redraw_removes_only_the_images_the_demo_drew_and_never_through_a_link(tmp_path, capsys):
    root = make_shoes_dataset(tmp_path / "demo_shoes", train_count=3, val_count=1, seed=5)
    mine = [root / "trainA" / "my.jpg", root / "valB" / "0000_red-c8203a-solid_shoe.png"]
    for path in mine:
        path.write_bytes(b"the user's own")
    make_shoes_dataset(root, train_count=2, val_count=1, seed=5)  # stamped otherwise: drawn again
    assert "older drawing" in capsys.readouterr().err
    assert all(path.read_bytes() == b"the user's own" for path in mine)
    assert split_counts(root) == [3, 2, 1, 2]  # the demo's own, plus the user's two
    elsewhere = tmp_path / "my_photos"
    write_png(elsewhere / "holiday.png", random_pixels(8, 8))
    shutil.rmtree(root / "trainB")
    (root / "trainB").symlink_to(elsewhere)
    (root / ".complete").write_text("an older drawing\n")
    with pytest.raises(ValueError, match=rf"^{root / 'trainB'} is a link"):
        make_shoes_dataset(root, train_count=2, val_count=1, seed=5)
    assert sorted(path.name for path in elsewhere.iterdir()) == ["holiday.png"]


def test_a_cache_that_kept_no_record_of_its_drawing_is_moved_aside_whole(tmp_path, capsys):
    """A cache drawn before the demo listed what it drew: which of its images are the user's is unknown."""
    root = make_shoes_dataset(tmp_path / "demo_shoes", train_count=2, val_count=1, seed=5)
    for path in root.glob(".drawn*"):
        path.unlink()
    (root / "trainA" / "my.jpg").write_bytes(b"the user's own")
    (root / ".complete").write_text("2 1 64 5\n")
    make_shoes_dataset(root, train_count=2, val_count=1, seed=5)
    assert "moved" in capsys.readouterr().err
    assert split_counts(root) == [2, 2, 1, 1]
    aside = [path for path in root.iterdir() if path.name.startswith("trainA.old-")]
    assert len(aside) == 1 and (aside[0] / "my.jpg").read_bytes() == b"the user's own"


def test_an_odd_stamp_is_redrawn_or_refused_in_one_line_and_an_empty_cache_variable_is_unset(tmp_path, monkeypatch):
    root = make_demo_dataset(tmp_path / "demo_bags", train_pairs=2, val_pairs=1)
    (root / ".complete").write_bytes(b"\xff\xfe\x00binary")
    make_demo_dataset(root, train_pairs=2, val_pairs=1)
    assert split_counts(root) == [2, 2, 1, 1] and (root / ".complete").read_text().startswith("2 1")
    (root / ".complete").unlink()
    (root / ".complete").mkdir()
    with pytest.raises(ValueError, match=rf"^{root / '.complete'} is a folder"):
        make_demo_dataset(root, train_pairs=2, val_pairs=1)
    monkeypatch.setenv("DISCOGAN_CACHE", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir(FOLDER_NAME) == tmp_path / ".cache" / "discogan" / "demo_bags"
