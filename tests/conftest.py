"""Shared fixtures: images, bad files and small datasets the tests make themselves, and one tiny trained model."""
import signal
import types

import numpy as np
import pytest
from PIL import Image

from discogan.data.demo_data import make_demo_dataset


def random_pixels(height, width, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def write_png(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def write_bad_files(folder):
    """One file of each awkward kind; returns (unreadable names, convertible names)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corrupt.jpg").write_bytes(np.random.default_rng(1).bytes(3000))
    Image.fromarray(random_pixels(16, 32)).save(folder / "whole.jpg", quality=90)
    data = (folder / "whole.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "whole.jpg").unlink()
    (folder / "text.jpg").write_text("this is not an image\n")
    gray = np.arange(16 * 32, dtype=np.uint8).reshape(16, 32)
    Image.fromarray(gray, "L").save(folder / "gray.png")
    Image.fromarray(np.dstack([random_pixels(16, 32), np.full((16, 32), 255, np.uint8)]), "RGBA").save(
        folder / "rgba.png")
    Image.fromarray(random_pixels(16, 32)).convert("P", palette=Image.ADAPTIVE).save(folder / "palette.png")
    Image.fromarray((np.arange(16 * 32).reshape(16, 32) * 100).astype(np.uint16)).save(folder / "deep16.png")
    return ["corrupt.jpg", "text.jpg", "truncated.jpg"], ["deep16.png", "gray.png", "palette.png", "rgba.png"]


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_raises():
    """Ctrl-C raises KeyboardInterrupt, as at a terminal, also when pytest was started in the background (a shell
    starts background jobs with SIGINT ignored), so that the Ctrl-C tests test the commands, not how pytest ran."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def pairs(tmp_path):
    """tmp_path/train with three 16x8 PNG pairs named like pix2pix files; returns {name: pixels}."""
    images = {f"{i}_AB.png": random_pixels(8, 16, seed=i) for i in (1, 2, 12)}
    for name, pixels in images.items():
        write_png(tmp_path / "train" / name, pixels)
    return images

TINY_OPTIONS = {"epochs": 2, "batch_size": 2, "gf": 8, "df": 8, "print_freq": 2, "save_freq": 3, "seed": 0,
                "epoch_step": 1, "eval_freq": 4, "eval_count": 3}


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """A paired sketch <-> bag dataset: 8 train pairs, 4 val pairs, 64x64 PNG."""
    return make_demo_dataset(tmp_path_factory.mktemp("data") / "bags", train_pairs=8, val_pairs=4)


@pytest.fixture(scope="session")
def tiny_run(tiny_dataset, tmp_path_factory):
    """Train the tiny model once through the CLI entry point; yields its folders and last step."""
    from discogan.train import process_main
    work = tmp_path_factory.mktemp("run")
    folders = {"checkpoint_dir": work / "checkpoint", "sample_dir": work / "sample", "log_dir": work / "logs"}
    step = process_main(dataset_dir=str(tiny_dataset), **TINY_OPTIONS, **{k: str(v) for k, v in folders.items()})
    run = tiny_dataset.name
    return types.SimpleNamespace(step=step, dataset=tiny_dataset, options=TINY_OPTIONS,
                                 **{key: folder / run for key, folder in folders.items()})


@pytest.fixture(scope="session")
def tiny_official_run(tiny_dataset, tmp_path_factory):
    """The tiny model trained with the authors' recipe (spatial bottleneck, feature matching, 1:2 D/G steps)."""
    from discogan.train import process_main
    work = tmp_path_factory.mktemp("official")
    step = process_main(dataset_dir=str(tiny_dataset), recipe="official", epochs=2, batch_size=2, gf=8, df=8,
                        seed=0, save_freq=100, print_freq=100, checkpoint_dir=str(work / "checkpoint"),
                        sample_dir=str(work / "sample"), log_dir=str(work / "logs"))
    return types.SimpleNamespace(step=step, dataset=tiny_dataset, checkpoint_dir=work / "checkpoint" / tiny_dataset.name)


def run_command(monkeypatch, capsys, main, *args):
    """cli.run(main) in this process with `args` as the command line; returns (exit status, stderr lines)."""
    from discogan.util.cli import run
    monkeypatch.setattr("sys.argv", ["command", *map(str, args)])
    capsys.readouterr()
    try:
        run(main)
        status = 0
    except SystemExit as stop:
        status = stop.code
    return status, capsys.readouterr().err.splitlines()
