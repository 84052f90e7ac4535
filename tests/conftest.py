"""Image files the dataset tests make themselves, including every kind of bad file."""
import numpy as np
import pytest
from PIL import Image


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


@pytest.fixture
def pairs(tmp_path):
    """tmp_path/train with three 16x8 PNG pairs named like pix2pix files; returns {name: pixels}."""
    images = {f"{i}_AB.png": random_pixels(8, 16, seed=i) for i in (1, 2, 12)}
    for name, pixels in images.items():
        write_png(tmp_path / "train" / name, pixels)
    return images
