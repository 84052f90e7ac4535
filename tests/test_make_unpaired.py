import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from discogan.make_unpaired import make_unpaired
from discogan.util.cli import UserError
from tests.conftest import random_pixels, write_bad_files, write_png


def make_domain(folder, count, seed):
    for i in range(count):
        write_png(folder / f"{i}_AB.png", random_pixels(8, 8, seed=seed * 1000 + i))
    return folder


@pytest.fixture
def domains(tmp_path):
    return make_domain(tmp_path / "bags", 12, seed=1), make_domain(tmp_path / "shoes", 9, seed=2)


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_counts_per_folder_and_val_disjoint_from_train(tmp_path, domains):
    out = tmp_path / "out"
    summary = make_unpaired(*domains, out, val_size=3, workers=1)
    assert summary.written == 21 and summary.skipped == []
    assert [len(names(out / f)) for f in ("trainA", "valA", "trainB", "valB")] == [9, 3, 6, 3]
    for domain, source in zip("AB", domains):
        train, val = set(names(out / f"train{domain}")), set(names(out / f"val{domain}"))
        assert not train & val
        assert train | val == set(names(source))


def test_copies_are_byte_identical(tmp_path, domains):
    out = tmp_path / "out"
    make_unpaired(*domains, out, val_size=2, workers=1)
    for path in (out / "valB").iterdir():
        assert path.read_bytes() == (domains[1] / path.name).read_bytes()


def test_same_seed_same_split_other_seed_other_split(tmp_path, domains):
    def val_names(seed, name):
        make_unpaired(*domains, tmp_path / name, val_size=4, seed=seed, workers=1)
        return names(tmp_path / name / "valA"), names(tmp_path / name / "valB")

    first = val_names(0, "first")
    assert val_names(0, "again") == first
    assert val_names(5, "other") != first


def test_limit_caps_training_images(tmp_path, domains):
    out = tmp_path / "out"
    make_unpaired(*domains, out, val_size=2, limit=4, workers=2)
    assert [len(names(out / f)) for f in ("trainA", "valA", "trainB", "valB")] == [4, 2, 4, 2]


def test_resize_writes_png_and_renames_clashes(tmp_path, domains):
    Image.fromarray(random_pixels(8, 8)).save(domains[0] / "0_AB.jpg")
    out = tmp_path / "out"
    make_unpaired(*domains, out, val_size=0, resize=4, workers=1)
    assert "0_AB.png" in names(out / "trainA") and "0_AB_2.png" in names(out / "trainA")
    assert len(names(out / "trainA")) == 13
    with Image.open(out / "trainB" / "0_AB.png") as image:
        assert (image.format, image.size) == ("PNG", (4, 4))


def test_bad_files_are_converted_or_skipped_and_named(tmp_path, domains):
    unreadable, convertible = write_bad_files(domains[0])
    (domains[0] / ".hidden.jpg").write_bytes(b"junk")
    out = tmp_path / "out"
    summary = make_unpaired(*domains, out, val_size=1, workers=1)
    assert sorted(Path(path).name for path, _ in summary.skipped) == unreadable
    written = names(out / "trainA") + names(out / "valA")
    assert set(convertible) <= set(written) and not set(unreadable) & set(written)
    for name in convertible:
        path = next(p for p in (out / "trainA", out / "valA") if (p / name).exists()) / name
        with Image.open(path) as image:
            assert image.mode == "RGB"


def test_refuses_existing_output_unless_overwrite(tmp_path, domains):
    out = tmp_path / "out"
    write_png(out / "valB" / "mine.png", random_pixels(4, 4))
    with pytest.raises(FileExistsError, match=r"valB.*--overwrite"):
        make_unpaired(*domains, out, val_size=2, workers=1)
    assert names(out) == ["valB"] and names(out / "valB") == ["mine.png"]
    make_unpaired(*domains, out, val_size=2, overwrite=True, workers=1)
    assert names(out) == ["dataset.json", "trainA", "trainB", "valA", "valB"] and "mine.png" not in names(out / "valB")


def test_errors_name_the_problem(tmp_path, domains):
    with pytest.raises(UserError, match="nowhere"):
        make_unpaired(domains[0], tmp_path / "nowhere", tmp_path / "out")
    with pytest.raises(UserError, match="validation"):
        make_unpaired(*domains, tmp_path / "out", val_size=9)


def test_an_output_that_holds_an_input_is_refused_before_anything_is_written(tmp_path):
    """The issue's case: both inputs under --output, which --overwrite used to replace with their own samples."""
    dataset = tmp_path / "X"
    make_domain(dataset / "trainA", 12, seed=1)
    write_bad_files(dataset / "trainA")
    make_domain(dataset / "trainB", 9, seed=2)
    before = {path: path.read_bytes() for path in dataset.rglob("*") if path.is_file()}
    with pytest.raises(UserError, match=r"output folder .*X/trainA is the input .*X/trainA"):
        make_unpaired(dataset / "trainA", dataset / "trainB", dataset, val_size=2, limit=3, overwrite=True)
    assert {path: path.read_bytes() for path in dataset.rglob("*") if path.is_file()} == before
    assert names(dataset) == ["trainA", "trainB"]


@pytest.mark.parametrize("domain_a, output, relation", [
    ("out/trainA/bags", "out", "holds"),
    ("data", "data/out", "lies inside"),
])
def test_an_output_folder_around_or_inside_an_input_is_refused(tmp_path, domain_a, output, relation):
    make_domain(tmp_path / domain_a, 3, seed=1)
    shoes = make_domain(tmp_path / "shoes", 3, seed=2)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(UserError, match=f"{relation} the input"):
        make_unpaired(tmp_path / domain_a, shoes, tmp_path / output, val_size=1, overwrite=True)
    assert sorted(tmp_path.rglob("*")) == before


def test_an_output_holding_files_that_the_inputs_link_to_is_refused_and_nothing_deleted(tmp_path, domains):
    dataset = tmp_path / "X"
    make_unpaired(*domains, dataset, val_size=2, workers=1)
    before = {path: path.read_bytes() for path in dataset.rglob("*.png")}
    for domain, folder in (("A", "a"), ("B", "b")):
        (tmp_path / "S" / folder).mkdir(parents=True)
        for image in sorted((dataset / f"train{domain}").iterdir()):
            (tmp_path / "S" / folder / image.name).symlink_to(image)
    with pytest.raises(UserError, match=r"output folder .*X/trainA holds .*X/trainA/(\d+_AB.png), which the input "
                                        r".*S/a/\1 links to"):
        make_unpaired(tmp_path / "S" / "a", tmp_path / "S" / "b", dataset, val_size=2, overwrite=True, workers=1)
    assert {path: path.read_bytes() for path in dataset.rglob("*.png")} == before
    assert all(link.exists() for link in (tmp_path / "S").rglob("*"))


@pytest.mark.parametrize("flag, value, expected", [
    ("val_size", -3, "--val_size must be a whole number >= 0, got -3"),
    ("limit", 0, "--limit must be a whole number >= 1, got 0"),
    ("limit", 2.5, "--limit must be a whole number >= 1, got 2.5"),
    ("resize", 1.5, "--resize must be a whole number >= 1, got 1.5"),
    ("workers", -1, "--workers must be a whole number >= 1, got -1"),
])
def test_counts_are_checked_before_anything_is_written(tmp_path, domains, flag, value, expected):
    with pytest.raises(ValueError, match=expected):
        make_unpaired(*domains, tmp_path / "out", **{"val_size": 2, flag: value})
    assert not (tmp_path / "out").exists()


def test_the_record_names_the_domains_whatever_the_output_is_called(tmp_path, domains):
    make_unpaired(*domains, tmp_path / "X", val_size=2, resize=8, workers=1)
    assert json.loads((tmp_path / "X" / "dataset.json").read_text()) == {
        "A": {"name": "bag", "sketch": False, "thickened": False},
        "B": {"name": "shoe", "sketch": False, "thickened": False}, "size": 8}
    split = tmp_path / "split"  # split folders keep what their dataset's record says of them
    shutil.copytree(domains[0], split / "trainA")
    shutil.copytree(domains[1], split / "trainB")
    sketch = {"name": "sketch", "sketch": True, "thickened": True}
    (split / "dataset.json").write_text(json.dumps({"A": sketch, "B": {"name": "handbag"}, "size": None}))
    make_unpaired(split / "trainA", domains[1], tmp_path / "Y", val_size=2, workers=1)
    record = json.loads((tmp_path / "Y" / "dataset.json").read_text())
    assert (record["A"], record["B"]["name"]) == (sketch, "shoe")
    make_unpaired(domains[1], tmp_path / "split" / "trainB", tmp_path / "shoes2bags", val_size=2, workers=1)
    record = json.loads((tmp_path / "shoes2bags" / "dataset.json").read_text())
    assert (record["A"]["name"], record["B"]["name"]) == ("shoe", "handbag")  # the record beats the output's name
