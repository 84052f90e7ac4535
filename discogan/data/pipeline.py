"""The training input pipeline: tf.data decodes, resizes, augments, batches and prefetches in parallel.

Per epoch each domain is reshuffled on its own (the data is unpaired) and `batch_ids * batch_size` images are
drawn, as the book's loop does. Decoded images are cached in memory when they fit.
"""
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from discogan.data.image_io import ImageError, list_images, load_rgb
from discogan.runtime.tf_compat import tf

CACHE_LIMIT_BYTES = 2 * 1024 ** 3
# What tf.io.decode_image reads (PIL names camera JPEGs MPO). Palette and 1-bit BMP are left out: TensorFlow
# decodes the first as palette indices (wrong colours) and refuses the second.
TF_FORMATS = {"JPEG", "MPO", "PNG", "BMP", "WEBP", "GIF"}


def header_problem(path):
    """Why TensorFlow could not decode `path`, judged from its header alone (cheap), or None if it can."""
    try:
        with Image.open(path) as image:
            if image.format not in TF_FORMATS:
                return f"{image.format} format is not supported"
            if image.format == "BMP" and image.mode in ("P", "1"):
                return "palette or 1-bit BMP is not supported: convert it to PNG"
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        return str(error)
    return None


def warn_skipped(folder, skipped):
    """Warn about the unreadable images left out of `folder`, naming the first five: (name, problem) pairs."""
    if skipped:
        names = "; ".join(f"{name} ({problem})" for name, problem in skipped[:5])
        names += "; ..." if len(skipped) > 5 else ""
        warnings.warn(f"{folder}: skipping {len(skipped)} unreadable image(s): {names}", stacklevel=3)


def domain_files(folder, batch_size):
    """The decodable image files of one domain folder, with a warning naming any skipped file.

    Headers are checked up front so a file that is not an image stops nothing mid-run; a clear error if the
    folder is missing or holds less than one batch.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"domain folder not found: {folder} (run discogan.image_split first?)")
    files = list_images(folder)
    with ThreadPoolExecutor(8) as pool:  # threads overlap the file opens on a cold disk
        problems = list(pool.map(header_problem, files))
    skipped = [(path.name, problem) for path, problem in zip(files, problems) if problem]
    warn_skipped(folder, skipped)
    files = [str(path) for path, problem in zip(files, problems) if not problem]
    if len(files) < batch_size:
        unreadable = f" (and {len(skipped)} unreadable)" if skipped else ""
        raise ValueError(f"{folder} holds {len(files)} readable image(s){unreadable}, fewer than one batch of "
                         f"{batch_size}: add images or lower --batch_size")
    return files


def iterations_per_epoch(files_a, files_b, train_size, batch_size):
    """The book's batch_ids: whole batches of the smaller domain, at most train_size images."""
    return min(len(files_a), len(files_b), train_size) // batch_size


def decode_rgb(contents):
    """Encoded image bytes as HxWx3 float pixels in [0, 255], converted as image_io.to_rgb does.

    Grey is repeated into three channels and transparency is laid on white; 16-bit PNG comes in scaled to 8 bits.
    """
    image = tf.io.decode_image(contents, channels=0, expand_animations=False)  # 1 to 4 channels
    channels = tf.shape(image)[-1]
    color_channels = tf.where(channels >= 3, 3, 1)
    color = tf.tile(tf.cast(image[..., :color_channels], tf.float32), [1, 1, 3 // color_channels])
    alpha = tf.where(tf.equal(channels % 2, 0), tf.cast(image[..., -1:], tf.float32) / 255.0, 1.0)
    image = color * alpha + 255.0 * (1.0 - alpha)
    image.set_shape([None, None, 3])
    return image


def resize_images(images, size):
    """uint8 image(s) to size x size uint8; the one resize of training, translation and export, so they agree.

    At the same size it is the identity.
    """
    return _to_uint8(tf.image.resize(images, [size, size], method="bilinear", antialias=True))


def _to_uint8(values):
    return tf.cast(tf.clip_by_value(tf.round(values), 0, 255), tf.uint8)


def decode_resized(path, size):
    """Read any supported image file as RGB and resize it to size x size, as uint8."""
    return resize_images(decode_rgb(tf.io.read_file(path)), size)


def to_model_range(images):
    """uint8 pixels to the generator's [-1, 1] range."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def from_model_range(images):
    """Generator output in [-1, 1] to uint8 pixels, inside the graph (image_io.to_uint8 is the numpy twin)."""
    return _to_uint8((images + 1.0) * 127.5)


def augment(image, fine_size, seed, flip=True):
    """The book's load_train_data: random crop from load_size to fine_size, then (with `flip`) a random
    horizontal flip.

    `seed` is a stateless [2] seed of this image alone, so results do not depend on parallel map order.
    """
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(image, [fine_size, fine_size, 3], seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(image, seed=flip_seed) if flip else image


def domain_dataset(files, batch_size, images_per_epoch, load_size, fine_size, seed=None, flip=True):
    """An endless stream of [batch, fine, fine, 3] float batches, reshuffled and redrawn every epoch.

    The cache holds uint8 images at load_size; the shuffle after it holds references to the same buffers.
    A file that fails to decode (truncated, corrupt) is dropped with a logged warning instead of ending the run.
    Shuffling and augmentation get independent seeds derived from `seed`.
    """
    shuffle_seed = augment_seed = None
    if seed is not None:
        shuffle_seed, augment_seed = (int(part) for part in np.random.SeedSequence(seed).generate_state(2))
    paths = tf.data.Dataset.from_tensor_slices(files)
    decode = lambda path: decode_resized(path, load_size)  # noqa: E731
    if len(files) * load_size * load_size * 3 <= CACHE_LIMIT_BYTES:
        images = paths.map(decode, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(log_warning=True)
        images = images.cache().shuffle(len(files), seed=shuffle_seed, reshuffle_each_iteration=True)
    else:
        images = paths.shuffle(len(files), seed=shuffle_seed, reshuffle_each_iteration=True)
        images = images.map(decode, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(log_warning=True)
    images = images.take(images_per_epoch).repeat()
    seeds = tf.data.Dataset.random(augment_seed).batch(2)
    return tf.data.Dataset.zip((images, seeds)).map(
        lambda image, image_seed: to_model_range(augment(image, fine_size, image_seed, flip)),
        num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size, drop_remainder=True)


def training_dataset(files_a, files_b, batch_size, batch_ids, load_size, fine_size, seed=None, flip=True):
    """The endless stream of unpaired (x_A, x_B) training batches, prefetched."""
    images_per_epoch = batch_ids * batch_size
    seeds = (None, None) if seed is None else (seed, seed + 1)
    return tf.data.Dataset.zip((
        domain_dataset(files_a, batch_size, images_per_epoch, load_size, fine_size, seeds[0], flip),
        domain_dataset(files_b, batch_size, images_per_epoch, load_size, fine_size, seeds[1], flip),
    )).prefetch(2).with_options(without_autotuning())


def train_batches(*args, **kwargs):
    """(x_A, x_B) tensors of the next training batch of `training_dataset(*args, **kwargs)`."""
    return tf.compat.v1.data.make_one_shot_iterator(training_dataset(*args, **kwargs)).get_next()


def without_autotuning():
    """tf.data options with its autotuning thread off: the AUTOTUNE maps then run one call per core.

    That thread re-tunes at intervals that grow to a minute, and closing the session waits for the interval under
    way to end, so a run could take up to a minute to exit after its last line. The cache makes every epoch after the first cheap, so tuning has little to gain.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def model_batch(images, size):
    """uint8 images (any iterable) as a [-1, 1] float array resized as in training, not augmented."""
    with tf.Graph().as_default():
        image = tf.compat.v1.placeholder(tf.uint8, [None, None, 3])
        resized = to_model_range(resize_images(image, size))
        with tf.compat.v1.Session() as session:
            return np.stack([session.run(resized, {image: pixels}) for pixels in images])


def load_batch(files, size):
    """Image files as model_batch gives them (evaluate's images).

    Files are read with image_io.load_rgb, so an unreadable one raises an ImageError that names it.
    """
    return model_batch((load_rgb(path) for path in files), size)


def load_readable(files, size, count=None):
    """(images as model_batch gives them, their files) of the first `count` (default all) of `files` that decode.

    domain_files judges files by their header, so a truncated one gets this far; like a bad file in training,
    it is skipped with a warning rather than stopping the run.
    """
    images, kept, skipped = [], [], []
    for path in files:
        if len(images) == count:
            break
        try:
            images.append(load_rgb(path))
            kept.append(path)
        except ImageError as error:
            skipped.append((Path(path).name, error.__cause__ or error))
    folder = Path(files[0]).parent
    warn_skipped(folder, skipped)
    if not images:
        raise ValueError(f"{folder}: none of its {len(files)} image(s) can be read")
    return model_batch(images, size), kept


def load_samples(files, size, count):
    """The first `count` of `files` that decode (load_readable): training's fixed sample images."""
    return load_readable(files, size, count)[0]
