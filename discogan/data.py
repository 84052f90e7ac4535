"""The training input pipeline: tf.data decodes, resizes, augments, batches and prefetches in parallel.

Per epoch each domain is reshuffled on its own (the data is unpaired) and `batch_ids * batch_size` images are
drawn, as the book's loop does. Decoded images are cached in memory when they fit.
"""
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from discogan.image_io import list_images, load_rgb

CACHE_LIMIT_BYTES = 2 * 1024 ** 3


def domain_files(folder, batch_size):
    """The image files of one domain folder; a clear error if it is missing or holds less than one batch."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"domain folder not found: {folder} (run discogan.image_split first?)")
    files = list_images(folder)
    if len(files) < batch_size:
        raise ValueError(f"{folder} holds {len(files)} image(s), fewer than one batch of {batch_size}: "
                         f"add images or lower --batch_size")
    return [str(path) for path in files]


def resize_images(images, size):
    """uint8 image(s) to size x size uint8; the one resize of training, translation and export, so they agree.

    At the same size it is the identity.
    """
    return _to_uint8(tf.image.resize(images, [size, size], method="bilinear", antialias=True))


def _to_uint8(values):
    return tf.cast(tf.clip_by_value(tf.round(values), 0, 255), tf.uint8)


def decode_resized(path, size):
    """Read any supported image file as RGB and resize it to size x size, as uint8."""
    return resize_images(tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False), size)


def to_model_range(images):
    """uint8 pixels to the generator's [-1, 1] range."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def from_model_range(images):
    """Generator output in [-1, 1] to uint8 pixels, inside the graph (image_io.to_uint8 is the numpy twin)."""
    return _to_uint8((images + 1.0) * 127.5)


def augment(image, fine_size, seed=None):
    """The book's load_train_data: random crop from load_size to fine_size, then random horizontal flip."""
    image = tf.image.random_crop(image, [fine_size, fine_size, 3], seed=seed)
    return tf.image.random_flip_left_right(image, seed=seed)


def domain_dataset(files, batch_size, images_per_epoch, load_size, fine_size, seed=None):
    """An endless stream of [batch, fine, fine, 3] float batches, reshuffled and redrawn every epoch."""
    dataset = tf.data.Dataset.from_tensor_slices(files)
    cache = len(files) * load_size * load_size * 3 <= CACHE_LIMIT_BYTES
    if cache:
        dataset = dataset.map(lambda path: decode_resized(path, load_size), num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.cache().shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    else:
        dataset = dataset.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.map(lambda path: decode_resized(path, load_size), num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.take(images_per_epoch).repeat()
    dataset = dataset.map(lambda image: to_model_range(augment(image, fine_size, seed)),
                          num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=True)


def train_batches(files_a, files_b, batch_size, batch_ids, load_size, fine_size, seed=None):
    """(x_A, x_B) tensors of the next unpaired training batch, read from a prefetching iterator."""
    images_per_epoch = batch_ids * batch_size
    seeds = (None, None) if seed is None else (seed, seed + 1)
    dataset = tf.data.Dataset.zip((
        domain_dataset(files_a, batch_size, images_per_epoch, load_size, fine_size, seeds[0]),
        domain_dataset(files_b, batch_size, images_per_epoch, load_size, fine_size, seeds[1]),
    )).prefetch(2)
    return tf.compat.v1.data.make_one_shot_iterator(dataset).get_next()


def load_batch(files, size):
    """Images as a [-1, 1] float array resized to size x size, without augmentation (for samples)."""
    images = [np.asarray(Image.fromarray(load_rgb(path)).resize((size, size), Image.BILINEAR)) for path in files]
    return np.stack(images).astype(np.float32) / 127.5 - 1.0
