"""The judges behind evaluate's print_kept and target_domain: they must fail a translator that ignores the print
or draws the wrong domain, and pass one that keeps both."""
import numpy as np
import pytest

from discogan.data.demo_shoes import PRINTS, make_shoes_dataset
from discogan.data.image_io import list_images
from discogan.data.labels import read_labels
from discogan.inference.evaluation import load_split, mean_image_outputs, score, split_judges
from discogan.inference.judges import jittered


@pytest.fixture(scope="module")
def shoes(tmp_path_factory):
    """A small shoes demo set (bags in A, shoes in B), its val images and its judges."""
    root = make_shoes_dataset(tmp_path_factory.mktemp("shoes"), train_count=300, val_count=40)
    held_out = load_split(root, "val", 64)
    judges = split_judges(root, "val", held_out, 64)
    yield root, held_out, judges
    judges.close()


def test_the_drawing_records_every_images_print(shoes):
    root = shoes[0]
    prints = read_labels(root, "print")
    files = [path for folder in ("trainA", "trainB", "valA", "valB") for path in list_images(root / folder)]
    assert sorted(prints) == sorted(f"{path.parent.name}/{path.name}" for path in files)
    assert all(prints[f"{path.parent.name}/{path.name}"] == path.stem.split("_")[1].split("-", 2)[2]
               for path in files)
    assert set(prints.values()) == set(PRINTS)


def test_a_translator_that_keeps_the_print_passes_and_one_that_ignores_it_fails(shoes):
    root, (bags, shoes_, paired), judges = shoes
    assert judges.print_accuracy["A"] >= 0.8 and judges.print_accuracy["B"] >= 0.7
    prints = [judges.held_out_prints[1][i] for i in range(len(shoes_))]
    other_print = [next(j for j in range(len(shoes_)) if prints[j] != prints[i]) for i in range(len(shoes_))]
    kept = judges.scores("a2b", shoes_)  # val shoe i wears val bag i's colour and print
    ignored = judges.scores("a2b", shoes_[other_print])
    assert kept["print_kept"] >= 0.7 and ignored["print_kept"] <= 0.3
    assert kept["print_judge_accuracy"] == judges.print_accuracy["B"]


def test_a_translator_that_draws_the_other_domain_fails_the_domain_judge(shoes):
    root, (bags, shoes_, paired), judges = shoes
    assert judges.domain_accuracy == {"A": 1.0, "B": 1.0}
    assert judges.scores("a2b", shoes_)["target_domain"] >= 0.9
    assert judges.scores("a2b", bags)["target_domain"] <= 0.1  # the identity: bags left as bags
    assert judges.scores("b2a", shoes_)["target_domain"] <= 0.1


def test_score_adds_the_judges_and_the_mean_image_keeps_no_print(shoes):
    root, (bags, shoes_, paired), judges = shoes
    scores = score(mean_image_outputs(bags, shoes_), bags, shoes_, paired, judges=judges)
    assert scores["a2b"]["print_kept"] <= 0.4 and scores["b2a"]["print_kept"] <= 0.4
    without = score(mean_image_outputs(bags, shoes_), bags, shoes_, paired)
    assert without["a2b"]["print_kept"] is None and without["a2b"]["target_domain"] is None


def test_a_split_without_recorded_prints_gets_a_domain_judge_only(tmp_path, shoes):
    root = shoes[0]
    for folder in ("trainA", "trainB", "valA", "valB"):
        (tmp_path / folder).mkdir()
        for path in list_images(root / folder)[:40]:
            (tmp_path / folder / path.name).write_bytes(path.read_bytes())
    judges = split_judges(tmp_path, "val", load_split(tmp_path, "val", 64, limit=10), 64, limit=10)
    try:
        assert judges.prints is None
        assert set(judges.scores("a2b", shoes[1][1][:10])) == {"target_domain", "domain_judge_accuracy",
                                                                "print_kept", "print_judge_accuracy"}
        assert judges.scores("a2b", shoes[1][1][:10])["print_kept"] is None
    finally:
        judges.close()
    (tmp_path / "trainB").rename(tmp_path / "elsewhere")
    assert split_judges(tmp_path, "val", shoes[1], 64) is None  # nothing to learn domain B from


def test_jitter_moves_and_flips_but_keeps_each_image_whole():
    images = np.full([6, 16, 16, 3], 1.0, np.float32)
    images[:, 6:10, 6:10] = -1.0  # a dark square in the middle of a white page
    moved = jittered(images, np.random.default_rng(0))
    assert moved.shape == images.shape
    assert all(np.isclose((image < 0).sum(), 16 * 3) for image in moved)  # the square is moved, not cut
    assert not all(np.array_equal(image, images[0]) for image in moved)
