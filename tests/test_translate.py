"""discogan.translate on images drawn here: every input mode, sizes, contact sheet, errors, never overwriting inputs."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from discogan.data.demo_data import draw_bag
from discogan.image_split import split_folder
from discogan.inference.app_model import AppModel
from discogan.inference.translator import Translator
from discogan.train import process_main
from discogan.translate import translate_images
from tests.conftest import write_png


def draw_sketch(path, size=(500, 400)):
    """A designer's sketch: black bag outline and handle on white, grayscale."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 150, 400, 360), outline=0, width=6)
    draw.arc((170, 40, 330, 260), 180, 360, fill=0, width=6)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def mode_images(folder):
    """One image per PIL mode the converter handles, each at another size."""
    folder.mkdir(parents=True, exist_ok=True)
    gradient = np.linspace(0, 1, 40 * 30).reshape(30, 40)
    Image.fromarray((gradient * 255).astype(np.uint8), "L").save(folder / "gray.png")
    Image.new("RGBA", (33, 47), (200, 30, 30, 100)).save(folder / "rgba.png")
    Image.new("RGB", (64, 64), (10, 120, 200)).convert("P", palette=Image.ADAPTIVE).save(folder / "palette.png")
    Image.fromarray((gradient * 65535).astype(np.uint16)).save(folder / "sixteen.png")
    Image.new("LA", (20, 90), (0, 128)).save(folder / "gray_alpha.png")
    Image.new("RGB", (128, 96), (240, 200, 10)).save(folder / "photo.jpg")
    Image.new("RGB", (70, 70), (0, 0, 0)).save(folder / "dark.bmp")
    return sorted(folder.iterdir())


@pytest.fixture(scope="module")
def translator(tiny_run):
    with Translator.from_checkpoint(tiny_run.checkpoint_dir) as translator:
        yield translator


def test_designer_sketch_becomes_a_model_sized_rgb_png(tiny_run, tmp_path, capsys):
    sketch = draw_sketch(tmp_path / "sketch.png")
    written, skipped = translate_images(sketch, tmp_path / "out", checkpoint_dir=tiny_run.checkpoint_dir)
    assert written == [tmp_path / "out" / "sketch.png"] and skipped == []
    with Image.open(written[0]) as result:
        assert (result.format, result.mode, result.size) == ("PNG", "RGB", (64, 64))
    assert "translated 1 image(s) AtoB" in capsys.readouterr().out


def test_every_mode_converts_and_unreadable_files_are_skipped(tiny_run, tmp_path, capsys):
    inputs = mode_images(tmp_path / "in")
    (tmp_path / "in" / "broken.png").write_bytes(b"not an image")
    written, skipped = translate_images(tmp_path / "in", tmp_path / "out", checkpoint_dir=tiny_run.checkpoint_dir,
                                        direction="BtoA", batch_size=3)
    assert sorted(p.name for p in written) == sorted(f"{p.stem}.png" for p in inputs)
    for path in written:
        with Image.open(path) as result:
            assert (result.mode, result.size) == ("RGB", (64, 64))
    assert len(skipped) == 1 and "broken.png" in skipped[0]
    assert "skipped 1 unreadable image(s)" in capsys.readouterr().out


def test_recursive_keeps_sub_folders_and_same_stems_keep_apart(tiny_run, tmp_path):
    for relative in ("bag.png", "bag.jpg", "shoes/bag.png"):
        (tmp_path / "in" / relative).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (50, 50), (90, 90, 90)).save(tmp_path / "in" / relative)
    written, _ = translate_images(tmp_path / "in", tmp_path / "out", checkpoint_dir=tiny_run.checkpoint_dir,
                                  recursive=True)
    assert sorted(str(p.relative_to(tmp_path / "out")) for p in written) == [
        "bag_jpg.png", "bag_png.png", "shoes/bag.png"]


def test_glob_input(tiny_run, tmp_path):
    mode_images(tmp_path / "in")
    written, _ = translate_images(str(tmp_path / "in" / "*.png"), tmp_path / "out",
                                  checkpoint_dir=tiny_run.checkpoint_dir)
    assert len(written) == 5


def test_keep_size_and_grid(tiny_run, tmp_path):
    draw_sketch(tmp_path / "in" / "wide.png", (300, 120))
    Image.new("RGB", (64, 64), "white").save(tmp_path / "in" / "square.png")
    written, _ = translate_images(tmp_path / "in", tmp_path / "out", checkpoint_dir=tiny_run.checkpoint_dir,
                                  keep_size=True, grid=True)
    sizes = {}
    for path in written:
        with Image.open(path) as result:
            sizes[path.name] = result.size
    assert sizes == {"wide.png": (300, 120), "square.png": (64, 64)}
    with Image.open(tmp_path / "out" / "grid.png") as grid:
        assert grid.size == (4 * 64 + 3 * 2, 64)  # one row: input | output, input | output


def test_batch_independence_and_any_sizes(translator):
    rng = np.random.RandomState(0)
    batch = rng.randint(0, 256, (5, 64, 64, 3)).astype(np.uint8)
    together = translator.translate(batch)
    alone = np.concatenate([translator.translate(batch[i:i + 1]) for i in range(len(batch))])
    assert together.dtype == np.uint8 and together.shape == (5, 64, 64, 3)
    assert np.abs(together.astype(int) - alone).max() <= 1
    mixed = [rng.randint(0, 256, shape).astype(np.uint8) for shape in ((30, 90, 3), (64, 64, 3), (200, 100, 3))]
    resized = np.stack([translator.resize(image) for image in mixed])
    np.testing.assert_array_equal(translator.translate(mixed), translator.translate(resized))


def pen_sketch(size=256):
    """A fine pen drawing: one-pixel black lines on white, which fade to light grey at 64x64."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((50, 90, 200, 220), outline="black")
    draw.arc((80, 20, 170, 160), 180, 360, fill="black")
    return np.asarray(image)


def test_prepare_thickens_sketch_lines_before_the_resize(translator):
    sketch = pen_sketch()
    plain, thick = translator.prepare(sketch), translator.prepare(sketch, thicken_sketch=True)
    np.testing.assert_array_equal(plain, translator.resize(sketch))
    assert thick.dtype == np.uint8 and thick.shape == plain.shape == (64, 64, 3)
    assert thick.min() < plain.min() and (thick < 128).sum() > (plain < 128).sum()


def test_thicken_sketch_flag_prepares_the_inputs(tiny_run, tmp_path):
    Image.fromarray(pen_sketch(400)).save(tmp_path / "sketch.png")
    sheets = {}
    for thicken_sketch in (False, True):
        output = tmp_path / f"out_{thicken_sketch}"
        translate_images(tmp_path / "sketch.png", output, checkpoint_dir=tiny_run.checkpoint_dir, grid=True,
                         thicken_sketch=thicken_sketch)
        sheets[thicken_sketch] = np.asarray(Image.open(output / "grid.png"))[:, :64]  # the network's input
    assert sheets[True].astype(int).sum() < sheets[False].astype(int).sum()


def test_a_run_on_sketches_split_with_thicken_sketch_thickens_inputs_without_being_told(tmp_path):
    rng = np.random.default_rng(0)
    for split, count in (("train", 4), ("val", 2)):
        for index in range(count):
            write_png(tmp_path / "drawings" / split / f"{index}_AB.png", np.hstack(draw_bag(rng, 128)))
    for split in ("train", "val"):
        split_folder(tmp_path / "drawings", split, resize=64, workers=1, thicken_sketch=True)
    process_main(dataset_dir=str(tmp_path / "drawings"), epochs=1, batch_size=2, gf=8, df=8, seed=0, print_freq=100,
                 save_freq=100, checkpoint_dir=str(tmp_path / "checkpoint"), sample_dir=str(tmp_path / "sample"),
                 log_dir=str(tmp_path / "logs"))
    run = tmp_path / "checkpoint" / "drawings"
    assert json.loads((run / "config.json").read_text())["dataset"]["A"] == {
        "name": "sketch", "sketch": True, "thickened": True}
    Image.fromarray(pen_sketch(400)).save(tmp_path / "sketch.png")
    inputs = {}
    for thicken_sketch in (None, True, False):  # None: as the run's record says
        output = tmp_path / f"out_{thicken_sketch}"
        translate_images(tmp_path / "sketch.png", output, checkpoint_dir=run, grid=True, thicken_sketch=thicken_sketch)
        inputs[thicken_sketch] = np.asarray(Image.open(output / "grid.png"))[:, :64]
    np.testing.assert_array_equal(inputs[None], inputs[True])
    assert inputs[True].astype(int).sum() < inputs[False].astype(int).sum()  # an explicit flag still wins
    with AppModel(run) as model:
        assert model.thickened and model.domains == ("sketch", "photo") and model.drawable == {"A": True, "B": False}


def test_cli_with_grid_flag(tiny_run, tmp_path):
    draw_sketch(tmp_path / "sketch.png")
    result = subprocess.run([sys.executable, "-m", "discogan.translate", "--checkpoint_dir", str(tiny_run.checkpoint_dir),
                             "--input", str(tmp_path / "sketch.png"), "--output", str(tmp_path / "out"), "--grid"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["grid.png", "sketch.png"]


@pytest.fixture
def sketch_folder(tmp_path):
    return draw_sketch(tmp_path / "in" / "sketch.png").parent


def mismatched_checkpoint(tiny_run, tmp_path, **config_changes):
    folder = shutil.copytree(tiny_run.checkpoint_dir, tmp_path / "other")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **config_changes}))
    return folder


@pytest.mark.parametrize("case, expected", [
    ("missing checkpoint", "no checkpoint in"),
    ("other width", r"image_size 64, gf 16, bottleneck code\).*dwn1/conv/weights is \[4, 4, 3, 8\]"),
    ("other image size", r"image_size 128, gf 8, bottleneck code\).*dwn5/conv/weights is \[4, 4, 64, 100\]"),
    ("bad direction", "--direction must be AtoB or BtoA, got 'AB'"),
    ("empty folder", "no images found"),
    ("missing input", "--input .* not found"),
    ("glob without matches", "no images found"),
    ("output is the input folder", "is the input folder"),
    ("grid is an input", "would overwrite an input"),
    ("bad batch size", "--batch_size must be"),
])
def test_errors_name_the_flag_or_file(case, expected, tiny_run, sketch_folder, tmp_path):
    arguments = {"input": sketch_folder, "output": tmp_path / "out", "checkpoint_dir": tiny_run.checkpoint_dir}
    if case == "missing checkpoint":
        arguments["checkpoint_dir"] = tmp_path / "out"
        (tmp_path / "out").mkdir()
    elif case == "other width":
        arguments["checkpoint_dir"] = mismatched_checkpoint(tiny_run, tmp_path, gf=16)
    elif case == "other image size":
        arguments["checkpoint_dir"] = mismatched_checkpoint(tiny_run, tmp_path, image_size=128)
    elif case == "bad direction":
        arguments["direction"] = "AB"
    elif case == "empty folder":
        arguments["input"] = tmp_path / "empty"
        (tmp_path / "empty").mkdir()
    elif case == "missing input":
        arguments["input"] = tmp_path / "nowhere.png"
    elif case == "glob without matches":
        arguments["input"] = str(sketch_folder / "*.jpg")
    elif case == "output is the input folder":
        arguments["output"] = sketch_folder
    elif case == "grid is an input":
        arguments["grid"] = str(sketch_folder / "sketch.png")
    elif case == "bad batch size":
        arguments["batch_size"] = 0
    before = (sketch_folder / "sketch.png").read_bytes()
    with pytest.raises((ValueError, FileNotFoundError), match=expected):
        translate_images(**arguments)
    assert (sketch_folder / "sketch.png").read_bytes() == before
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_existing_results_are_refused_unless_overwrite(tiny_run, sketch_folder, tmp_path):
    for name in ("a", "b", "c", "d"):
        draw_sketch(sketch_folder / f"{name}.png", (60, 60))
    mine = tmp_path / "out" / "b.png"
    mine.parent.mkdir()
    Image.new("RGB", (5, 5), "red").save(mine)
    for extra in ("c.png", "d.png", "sketch.png"):
        shutil.copy(mine, tmp_path / "out" / extra)
    before = mine.read_bytes()
    with pytest.raises(FileExistsError, match=r"4 result file\(s\) exist already: .*b\.png, .*c\.png, "
                                              r".*d\.png, \.\.\.; pass --overwrite"):
        translate_images(sketch_folder, tmp_path / "out", checkpoint_dir=tiny_run.checkpoint_dir)
    assert mine.read_bytes() == before and sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "b.png", "c.png", "d.png", "sketch.png"]
    written, _ = translate_images(sketch_folder, tmp_path / "out", checkpoint_dir=tiny_run.checkpoint_dir,
                                  overwrite=True)
    assert len(written) == 5 and mine.read_bytes() != before


def test_grid_never_replaces_a_file_that_is_not_a_result(tiny_run, sketch_folder, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    with pytest.raises(FileExistsError, match="notes.txt"):
        translate_images(sketch_folder, tmp_path / "out", checkpoint_dir=tiny_run.checkpoint_dir, grid=str(notes))
    assert notes.read_text() == "my notes\n" and not (tmp_path / "out").exists()
    (tmp_path / "sheets").mkdir()
    with pytest.raises(IsADirectoryError, match="sheets is a folder"):
        translate_images(sketch_folder, tmp_path / "out", checkpoint_dir=tiny_run.checkpoint_dir,
                         grid=str(tmp_path / "sheets"), overwrite=True)


def test_a_glob_never_follows_symbolic_link_loops(tmp_path):
    """One loop gave 41 copies of an image and two loops hung: `**` must not enter linked folders."""
    from discogan.translate import collect_inputs
    draw_sketch(tmp_path / "in" / "a.png", (20, 20))
    draw_sketch(tmp_path / "in" / "sub" / "b.png", (20, 20))
    (tmp_path / "in" / "sub" / "loop").symlink_to(tmp_path / "in")
    base, files = collect_inputs(str(tmp_path / "in" / "**" / "*.png"), recursive=True)
    assert base == tmp_path / "in" and files == [tmp_path / "in" / "a.png", tmp_path / "in" / "sub" / "b.png"]


def test_a_folder_input_translates_gif_files_as_a_file_input_does(tmp_path):
    old_checkpoint = Path(__file__).parent / "data" / "checkpoint_3920629"
    (tmp_path / "in").mkdir()
    Image.new("RGB", (30, 20), (200, 30, 30)).save(tmp_path / "in" / "drawn.gif")
    written, skipped = translate_images(tmp_path / "in", tmp_path / "out", checkpoint_dir=old_checkpoint)
    assert [p.name for p in written] == ["drawn.png"] and skipped == []
