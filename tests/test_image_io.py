"""Image file helpers: atomic writes with ordinary permissions, mode conversion, grids."""
import os

import numpy as np
from PIL import Image

from discogan.data.image_io import IMAGE_EXTENSIONS, list_images, load_rgb, make_grid, save_image, thicken_lines, to_uint8
from discogan.data.pipeline import TF_FORMATS


def test_written_files_get_ordinary_permissions_and_no_temporary_is_left(tmp_path):
    previous = os.umask(0o022)
    try:
        save_image(tmp_path / "out.png", np.zeros((2, 2, 3), np.uint8))
    finally:
        os.umask(previous)
    assert (tmp_path / "out.png").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_transparent_pixels_become_white(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (10, 20, 30, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    pixels = load_rgb(tmp_path / "a.png")
    assert tuple(pixels[0, 0]) == (10, 20, 30) and tuple(pixels[1, 1]) == (255, 255, 255)


def test_grid_and_range_conversion():
    tiles = [[np.full((2, 2, 3), 7, np.uint8)] * 3, [np.zeros((2, 2, 3), np.uint8)]]
    grid = make_grid(tiles, gap=1)
    assert grid.shape == (5, 8, 3) and grid[0, 2].tolist() == [255] * 3 and grid[3, 0].tolist() == [0] * 3
    assert to_uint8(np.array([-1.0, 0.0, 1.0])).tolist() == [0, 128, 255]


def test_thicken_lines_widens_a_one_pixel_dark_line_to_three():
    white = np.full((9, 12, 3), 255, np.uint8)
    sketch = white.copy()
    sketch[:, 5] = (0, 40, 80)
    thick = thicken_lines(sketch)
    assert thick.dtype == np.uint8 and thick.shape == sketch.shape
    np.testing.assert_array_equal(thick[:, 4:7], np.broadcast_to(sketch[:, 5:6], (9, 3, 3)))
    np.testing.assert_array_equal(np.delete(thick, [4, 5, 6], axis=1), np.delete(white, [4, 5, 6], axis=1))
    np.testing.assert_array_equal(thicken_lines(white), white)


def test_the_listed_extensions_are_those_of_the_formats_training_decodes_and_tiff():
    """A folder listing took no .gif, which a file --input, training and the app read (MPO is a camera's .jpg);
    TIFF, which training skips by name, translate and the app read."""
    assert {Image.registered_extensions()[extension] for extension in IMAGE_EXTENSIONS} == (
        TF_FORMATS - {"MPO"} | {"TIFF"})


def test_a_folder_lists_tiff_images_as_the_app_reads_them(tmp_path):
    for name in ("a.tif", "b.TIFF", "c.png"):
        Image.fromarray(np.full((2, 3, 3), 9, np.uint8)).save(tmp_path / name)
    assert [path.name for path in list_images(tmp_path)] == ["a.tif", "b.TIFF", "c.png"]
    assert load_rgb(tmp_path / "a.tif").shape == (2, 3, 3)
