"""DiffAugment for the discriminators: what each augmentation does to an image, that the generator still gets
gradients through it, and that the flag is checked."""
import numpy as np
import pytest
import tensorflow as tf

from discogan.gan.augment import cutout, diff_augment, translation
from discogan.options.config import TrainConfig

v1 = tf.compat.v1


def square_on_page(count=8, size=16):
    images = np.ones([count, size, size, 3], np.float32)
    images[:, 6:10, 6:10] = -1.0
    return images


def run(tensor):
    with v1.Session() as session:
        return session.run(tensor)


def test_translation_moves_each_image_by_at_most_an_eighth_bringing_in_the_page():
    images = square_on_page()
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        moved = run(translation(tf.constant(images)))
    assert moved.shape == images.shape
    for image in moved:
        rows, columns = np.nonzero(image[..., 0] < 0)
        assert len(rows) == 16 and 4 <= rows.min() <= 8 and 4 <= columns.min() <= 8  # moved whole, 2 pixels at most
    assert len({(np.nonzero(image[..., 0] < 0)[0].min(), np.nonzero(image[..., 0] < 0)[1].min())
                for image in moved}) > 1


def test_cutout_greys_one_square_of_half_the_side():
    images = np.ones([8, 16, 16, 3], np.float32)
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        cut = run(cutout(tf.constant(images)))
    grey = (cut[..., 0] == 0.0).sum(axis=(1, 2))
    assert all(0 < count <= 8 * 8 for count in grey) and max(grey) > 16


def test_the_generator_gets_gradients_through_the_augmentations_and_no_policy_changes_nothing():
    with tf.Graph().as_default():
        images = tf.constant(square_on_page())
        augmented = diff_augment(images, "translation,cutout")
        gradient = tf.gradients(tf.reduce_sum(augmented), images)[0]
        assert diff_augment(images, "") is images
        assert np.abs(run(gradient)).sum() > 0


@pytest.mark.parametrize("policy", ["flip", "translation,colour", 3])
def test_an_unknown_augmentation_is_refused_naming_the_flag(policy):
    with pytest.raises(ValueError, match="--diff_augment"):
        TrainConfig(diff_augment=policy)


def test_the_command_lines_tuple_is_recorded_as_one_string():
    assert TrainConfig(diff_augment=("translation", "cutout")).diff_augment == "translation,cutout"
