"""The training input pipeline on images the tests draw: shapes, range, augmentation, epochs, formats, bad files."""
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from tensorflow.core.framework import dataset_options_pb2

from discogan.data import pipeline
from discogan.data.image_io import load_rgb
from tests.conftest import random_pixels, write_bad_files, write_png

v1 = tf.compat.v1


def evaluate(build, runs=1):
    """Build tensors in a fresh graph and return `runs` evaluations of them."""
    with tf.Graph().as_default():
        tensors = build()
        with v1.Session() as session:
            return [session.run(tensors) for _ in range(runs)]


def write_colors(folder, count, size=8):
    """`count` PNG files of one flat grey each (10, 20, ...), so an output pixel tells which file it came from."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        Image.fromarray(np.full((size, size, 3), 10 * (index + 1), np.uint8)).save(folder / f"{index}.png")
    return pipeline.domain_files(folder, 1)


def file_index(images):
    """Which write_colors file each [-1, 1] image of a batch came from."""
    return list(np.rint((images[:, 0, 0, 0] + 1.0) * 127.5 / 10).astype(int) - 1)


def test_batches_have_shape_dtype_and_range(tmp_path):
    for domain in ("A", "B"):
        (tmp_path / domain).mkdir()
        for index in range(4):
            Image.fromarray(random_pixels(20, 24, seed=index)).save(tmp_path / domain / f"{index}.png")
    files = [pipeline.domain_files(tmp_path / domain, 2) for domain in ("A", "B")]
    batches = evaluate(lambda: pipeline.train_batches(*files, 2, 2, 18, 16, seed=0), runs=3)
    for x_a, x_b in batches:
        for images in (x_a, x_b):
            assert images.shape == (2, 16, 16, 3) and images.dtype == np.float32
            assert images.min() >= -1.0 and images.max() <= 1.0 and images.max() - images.min() > 1.0


def test_the_training_stream_runs_without_the_autotuning_thread(tmp_path):
    """That thread made closing a training session wait up to a minute (pipeline.without_autotuning)."""
    files = write_colors(tmp_path, 4)
    with tf.Graph().as_default() as graph:
        pipeline.training_dataset(files, files, 2, 2, 8, 8, seed=0)
    # The options the runtime reads: those serialised into the graph (Dataset.options() in graph mode may not be).
    options = [dataset_options_pb2.Options.FromString(op.get_attr("serialized_options"))
               for op in graph.get_operations() if op.type == "OptionsDataset"]
    assert options and all(option.autotune_options.WhichOneof("optional_enabled") == "enabled"
                           and not option.autotune_options.enabled for option in options)


def augmented(image, fine_size, count=40, flip=True):
    """`count` augmentations of one uint8 image, each with its own seed."""
    def build():
        seeds = tf.constant([[seed, 7] for seed in range(count)], tf.int64)
        return tf.map_fn(lambda seed: pipeline.augment(tf.constant(image), fine_size, seed, flip), seeds,
                         dtype=tf.uint8)
    return evaluate(build)[0]


def crop_windows(image, size):
    """{(top, left): window} of every size x size crop of `image`."""
    height, width = image.shape[:2]
    return {(top, left): image[top:top + size, left:left + size]
            for top in range(height - size + 1) for left in range(width - size + 1)}


def test_augment_crops_and_flips_at_random():
    image = random_pixels(12, 12)
    outputs = augmented(image, 8)
    windows = crop_windows(image, 8)
    seen = set()
    for output in outputs:
        matches = [(origin, flipped) for origin, window in windows.items() for flipped in (False, True)
                   if np.array_equal(output, window[:, ::-1] if flipped else window)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len({origin for origin, _ in seen}) > 5 and {flipped for _, flipped in seen} == {False, True}


def test_augment_only_flips_when_load_size_equals_fine_size():
    image = random_pixels(8, 8)
    outputs = augmented(image, 8)
    flips = [np.array_equal(output, image[:, ::-1]) for output in outputs]
    assert all(flip or np.array_equal(output, image) for flip, output in zip(flips, outputs))
    assert 0 < sum(flips) < len(flips)


def test_augment_without_flip_crops_at_random_and_never_mirrors():
    image = random_pixels(12, 12)
    origins = [[origin for origin, window in crop_windows(image, 8).items() if np.array_equal(output, window)]
               for output in augmented(image, 8, flip=False)]
    assert all(len(found) == 1 for found in origins) and len({found[0] for found in origins}) > 5


@pytest.mark.parametrize("cache_limit", [pipeline.CACHE_LIMIT_BYTES, 0], ids=["cached", "streamed"])
def test_each_epoch_draws_distinct_images_and_domains_shuffle_apart(tmp_path, monkeypatch, cache_limit):
    monkeypatch.setattr(pipeline, "CACHE_LIMIT_BYTES", cache_limit)
    files = write_colors(tmp_path / "colors", 10)
    batch_size, batch_ids, epochs = 2, 3, 4
    batches = evaluate(lambda: pipeline.train_batches(files, files, batch_size, batch_ids, 8, 8, seed=3),
                       runs=batch_ids * epochs)
    per_epoch = batch_size * batch_ids
    orders = {}
    for domain in (0, 1):
        drawn = [index for batch in batches for index in file_index(batch[domain])]
        epochs_drawn = [tuple(drawn[start:start + per_epoch]) for start in range(0, len(drawn), per_epoch)]
        assert all(len(set(epoch)) == per_epoch for epoch in epochs_drawn)  # no file twice in an epoch
        assert len(set(epochs_drawn)) == epochs  # reshuffled every epoch
        orders[domain] = epochs_drawn
    assert orders[0] != orders[1]  # A and B are shuffled independently


def test_the_same_seed_gives_the_same_batches(tmp_path):
    files = write_colors(tmp_path / "colors", 6)
    runs = [evaluate(lambda: pipeline.train_batches(files, files, 2, 3, 8, 8, seed=5), runs=4) for _ in range(2)]
    assert all(np.array_equal(first, second) for first, second in zip(np.ravel(runs[0]), np.ravel(runs[1])))


def write_every_kind(folder):
    """One image per supported format and awkward mode; returns their names."""
    folder.mkdir(parents=True, exist_ok=True)
    pixels = random_pixels(16, 16)
    alpha = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))
    for extension in ("jpg", "jpeg", "png", "bmp"):
        Image.fromarray(pixels).save(folder / f"rgb.{extension}")
    Image.fromarray(pixels).save(folder / "lossless.webp", lossless=True)
    Image.fromarray(pixels).save(folder / "lossy.webp")
    Image.fromarray(np.dstack([pixels, alpha]), "RGBA").save(folder / "rgba.webp", lossless=True)
    Image.fromarray(np.dstack([pixels, alpha]), "RGBA").save(folder / "rgba.png")
    Image.fromarray(pixels[..., 0], "L").save(folder / "gray.png")
    Image.fromarray(pixels[..., 0], "L").save(folder / "gray.jpg")
    Image.fromarray(np.dstack([pixels[..., 0], alpha]), "LA").save(folder / "gray_alpha.png")
    Image.fromarray(pixels).convert("P", palette=Image.ADAPTIVE).save(folder / "palette.png")
    Image.fromarray(pixels).convert("P", palette=Image.ADAPTIVE).save(folder / "palette_alpha.png", transparency=0)
    Image.fromarray(pixels[..., 0].astype(np.uint16) * 257).save(folder / "deep16.png")
    return sorted(path.name for path in folder.iterdir())


def test_every_format_and_mode_decodes_like_image_io(tmp_path):
    names = write_every_kind(tmp_path)
    files = pipeline.domain_files(tmp_path, 1)
    assert sorted(path.rsplit("/", 1)[1] for path in files) == names
    decoded = evaluate(lambda: [pipeline.decode_resized(path, 16) for path in files])[0]
    for path, image in zip(files, decoded):
        assert image.shape == (16, 16, 3) and image.dtype == np.uint8
        # Same conversion as the sample images: grey repeated, transparency on white, 16 bits scaled down.
        # TensorFlow's and Pillow's JPEG decoders round the inverse DCT a little differently.
        tolerance = 8 if path.endswith(("jpg", "jpeg")) else 2
        assert np.abs(image.astype(int) - load_rgb(path)).max() <= tolerance, path


def test_hidden_and_non_image_files_are_ignored(tmp_path):
    write_colors(tmp_path, 3)
    (tmp_path / ".hidden.png").write_bytes((tmp_path / "0.png").read_bytes())
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.warns(UserWarning, match="notes.txt"):
        files = pipeline.domain_files(tmp_path, 2)
    assert sorted(path.rsplit("/", 1)[1] for path in files) == ["0.png", "1.png", "2.png"]


def test_too_few_images_names_the_folder_and_counts(tmp_path):
    folder = tmp_path / "trainA"
    write_colors(folder, 3)
    with pytest.raises(ValueError, match=r"trainA holds 3 readable image\(s\), fewer than one batch of 4"):
        pipeline.domain_files(folder, 4)
    (folder / "broken.png").write_text("no")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match=r"3 readable image\(s\) \(and 1 unreadable\)"):
        pipeline.domain_files(folder, 4)
    with pytest.raises(FileNotFoundError, match="trainB"):
        pipeline.domain_files(tmp_path / "trainB", 4)


def test_unreadable_headers_are_skipped_with_a_warning_naming_them(tmp_path):
    unreadable, convertible = write_bad_files(tmp_path)
    Image.fromarray(random_pixels(16, 16)).convert("P", palette=Image.ADAPTIVE).save(tmp_path / "palette.bmp")
    with pytest.warns(UserWarning) as warned:
        files = pipeline.domain_files(tmp_path, 1)
    message = str(warned[0].message)
    assert all(name in message for name in unreadable + ["palette.bmp"])
    assert sorted(path.rsplit("/", 1)[1] for path in files) == convertible


def test_a_file_that_fails_to_decode_is_dropped_and_training_goes_on(tmp_path):
    write_colors(tmp_path, 4)
    Image.fromarray(random_pixels(64, 64)).save(tmp_path / "whole.jpg")
    contents = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "whole.jpg").unlink()
    (tmp_path / "truncated.jpg").write_bytes(contents[: len(contents) * 3 // 4])  # the header is whole
    files = pipeline.domain_files(tmp_path, 1)
    assert len(files) == 5
    batches = evaluate(lambda: v1.data.make_one_shot_iterator(pipeline.domain_dataset(files, 1, 4, 8, 8, 0)).get_next(),
                       runs=12)
    drawn = [file_index(batch)[0] for batch in batches]
    assert [sorted(drawn[start:start + 4]) for start in range(0, 12, 4)] == [[0, 1, 2, 3]] * 3


def test_sample_and_evaluation_images_are_resized_exactly_as_training_reads_them(tmp_path):
    path = write_png(tmp_path / "wide.png", random_pixels(40, 100, seed=4))
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        training = session.run(pipeline.to_model_range(pipeline.decode_resized(str(path), 64)))
    np.testing.assert_array_equal(pipeline.load_batch([path], 64)[0], training)
