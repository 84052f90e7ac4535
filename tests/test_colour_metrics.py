"""Colour and print metrics: object masks, CIELab, and the own-vs-others ratios on made-up bags and shoes."""
import numpy as np
import pytest

from discogan.scores import colour_metrics
from discogan.scores.colour_metrics import (KEYS, colour_scores, lab_and_masks, object_colours, object_masks,
                                            to_lab)


def objects(colours, size=32, stripes=None, wide=False):
    """uint8 images: a white page with one rectangle per colour (wide: a low, long 'shoe'; else a 'bag')."""
    images = np.full((len(colours), size, size, 3), 255, np.uint8)
    rows, columns = (np.s_[20:28], np.s_[2:30]) if wide else (np.s_[8:28], np.s_[8:24])
    for image, colour in zip(images, colours):
        image[rows, columns] = colour
        if stripes is not None:
            image[rows, columns][:, ::4] = stripes
    return images


def test_the_mask_removes_only_the_white_that_reaches_the_border():
    image = objects([(200, 30, 30)])
    image[0, 14:18, 12:20] = 255  # a white patch inside the object stays object
    mask = object_masks(image)[0]
    assert mask[8:28, 8:24].all() and mask.sum() == 20 * 16
    assert object_masks(np.full((1, 16, 16, 3), 255, np.uint8)).all()  # a blank page is measured whole


def test_lab_of_known_colours():
    np.testing.assert_allclose(to_lab(np.array([1.0, 1.0, 1.0])), [100, 0, 0], atol=0.1)
    np.testing.assert_allclose(to_lab(np.array([1.0, 0.0, 0.0])), [53.24, 80.09, 67.20], atol=0.2)
    blue = object_colours(*lab_and_masks(objects([(0, 0, 255)])))[0]
    np.testing.assert_allclose(blue, [32.30, 79.19, -107.86], atol=0.3)


COLOURS = [(200, 30, 30), (30, 160, 40), (40, 60, 200), (230, 200, 40), (140, 60, 160), (20, 20, 20)]


def test_a_translation_that_keeps_colour_in_another_shape_scores_like_the_identity():
    bags = objects(COLOURS)
    shoes = objects(COLOURS, wide=True)
    scores = colour_scores(bags, shoes)
    assert scores["colour_ratio"] < 0.05 and scores["hue_ratio"] < 0.05 and scores["palette_ratio"] < 0.05
    assert scores["colour_r1"] == 1.0
    assert scores["chroma_gain"] == pytest.approx(1.0, abs=0.02)
    assert colour_scores(bags, bags) == {**dict.fromkeys(KEYS[:2], 0.0), "colour_r1": 1.0, "chroma_gain": 1.0,
                                          "palette_ratio": 0.0, "texture_ratio": 0.0, "texture_gain": 1.0}


def test_a_translation_that_ignores_colour_scores_about_one_and_r1_at_chance():
    bags = objects(COLOURS)
    shuffled = objects(COLOURS[1:] + COLOURS[:1], wide=True)
    scores = colour_scores(bags, shuffled)
    assert scores["colour_ratio"] > 0.8 and scores["hue_ratio"] > 0.8 and scores["palette_ratio"] > 0.8
    assert scores["colour_r1"] == 0.0
    same = colour_scores(bags, objects([(90, 90, 90)] * len(COLOURS), wide=True))
    assert same["colour_ratio"] == pytest.approx(1.0) and same["colour_r1"] <= 1 / len(COLOURS)
    assert same["chroma_gain"] == pytest.approx(0.0, abs=1e-9)


def test_chroma_gain_tells_faded_colours_from_kept_ones():
    """Shoes in the bags' colours mixed half-way to grey keep their hue but about half their chroma."""
    faded = [tuple((np.array(colour) + 128) // 2) for colour in COLOURS]
    scores = colour_scores(objects(COLOURS), objects(faded, wide=True))
    assert 0.35 < scores["chroma_gain"] < 0.65


def test_texture_tells_a_striped_object_from_a_plain_one():
    plain, striped = objects(COLOURS[:3]), objects(COLOURS[:3], stripes=(10, 10, 10))
    inputs = np.concatenate([plain, striped])
    kept = colour_scores(inputs, np.concatenate([objects(COLOURS[:3], wide=True),
                                                 objects(COLOURS[:3], wide=True, stripes=(10, 10, 10))]))
    lost = colour_scores(inputs, np.concatenate([objects(COLOURS[:3], wide=True)] * 2))
    assert kept["texture_ratio"] < 0.3 < lost["texture_ratio"]


def test_texture_gain_tells_blurred_and_speckled_translations_from_kept_ones():
    """Grey objects' dark stripes drawn fainter read as a gain below 1 (a blur), drawn darker as one above 1
    (speckle): what the texture ratio cannot say, since it counts both as the print lost."""
    greys = [(level,) * 3 for level in (140, 145, 150, 160)]
    inputs = objects(greys, stripes=(90, 90, 90))
    kept, faint, strong = (colour_scores(inputs, objects(greys, wide=True, stripes=(level,) * 3))
                           for level in (90, 120, 20))
    assert kept["texture_gain"] == pytest.approx(1.0, abs=0.1)
    assert faint["texture_gain"] < 0.7 and strong["texture_gain"] > 1.5


def test_fewer_than_two_images_have_no_scores():
    assert colour_scores(objects(COLOURS[:1]), objects(COLOURS[:1])) == dict.fromkeys(colour_metrics.KEYS)
