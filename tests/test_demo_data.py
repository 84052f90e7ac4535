"""The built-in synthetic sketch <-> handbag dataset."""
import numpy as np

from discogan.demo_data import draw_bag, make_demo_dataset
from discogan.image_io import list_images, load_rgb


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


def test_dataset_is_paired_reproducible_and_written_once(tmp_path):
    root = make_demo_dataset(tmp_path / "a", train_pairs=3, val_pairs=2, seed=5)
    assert [len(list_images(root / f)) for f in ("trainA", "trainB", "valA", "valB")] == [3, 3, 2, 2]
    assert [p.name for p in list_images(root / "valA")] == [p.name for p in list_images(root / "valB")]
    again = make_demo_dataset(tmp_path / "b", train_pairs=3, val_pairs=2, seed=5)
    np.testing.assert_array_equal(load_rgb(root / "trainB" / "1_AB.png"), load_rgb(again / "trainB" / "1_AB.png"))
    (root / "trainA" / "0_AB.png").unlink()
    make_demo_dataset(root, train_pairs=3, val_pairs=2, seed=5)  # complete already: nothing is rewritten
    assert not (root / "trainA" / "0_AB.png").exists()
