"""The app's model side, without a server: which run to serve, what its domains are called and whether a pen can
draw them, uploads checked, one translation per request with the pixels in memory bounded.

`AppModel` loads both directions of a trained model once; `translate(file bytes, direction, thicken_sketch)` runs
the `Translator.prepare` and `Translator.translate` that discogan.translate runs, so the page shows the pixels the
command would write. discogan.app serves it over HTTP; the tests call it directly.
"""
import collections
import contextlib
import io
import threading
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from discogan.data import demo_data
from discogan.data.dataset_record import folder_names, run_domain, thickened
from discogan.data.image_io import (IMAGE_FORMATS, ImageError, ImageTooLarge, encode_png, list_images, read_image,
                                   resize_lanczos)
from discogan.gan.networks import GENERATOR_SCOPES
from discogan.inference.evaluation import is_sketch_domain
from discogan.inference.translator import SKETCH_SCALE, check_direction, open_translator
from discogan.options.config import TrainConfig
from discogan.runs import checkpoint

MAX_UPLOAD_BYTES = 8_000_000
MAX_PIXELS = 25_000_000  # checked from the file's header, before decoding: a small PNG can unpack to gigabytes
# Decoded pixels all requests may hold at once (an upload decodes to tens of bytes a pixel): past it, uploads wait.
PIXELS_IN_FLIGHT = MAX_PIXELS + 4_000_000
EXAMPLES_PER_DOMAIN = 4
EXAMPLE_SIZE = 64  # the examples' size when they are told apart as sketches or photos
DEMO_DOMAIN_NAMES = {demo_data.FOLDER_NAME: demo_data.DOMAIN_NAMES,
                     demo_data.SHOES_FOLDER_NAME: demo_data.SHOES_DOMAIN_NAMES}


class UploadError(ValueError):
    """An upload the app refuses; the message is written for the page."""


def newest_run(root=TrainConfig.checkpoint_dir):
    """The run folder under `root` (a config.json and a checkpoint) whose latest checkpoint was written last, or None."""
    runs = []
    for folder in Path(root).iterdir() if Path(root).is_dir() else ():
        if folder.name.startswith(".") or not (folder / checkpoint.CONFIG_FILE).is_file():
            continue
        prefix = checkpoint.latest_checkpoint(folder)
        if prefix:
            runs.append((Path(f"{prefix}.index").stat().st_mtime, folder))
    return max(runs)[1] if runs else None


def run_record(checkpoint_dir):
    """config.json of the run behind a checkpoint folder or prefix; None for a SavedModel, which records no dataset."""
    folder = Path(checkpoint_dir) if Path(checkpoint_dir).is_dir() else Path(checkpoint_dir).parent
    return checkpoint.load_config(folder) if (folder / checkpoint.CONFIG_FILE).is_file() else None


def recorded_dataset(record):
    """The dataset folder config.json `record` names, or None: a SavedModel records none, and a config.json edited
    to hold something else than a path (a number, a list) names none either."""
    folder = record.get("dataset_dir") if record else None
    return Path(folder) if isinstance(folder, str) and folder else None


def domain_names(record):
    """(name of A, name of B) for the page, one image of each, as the run's dataset.json named them; for a run
    trained before datasets were recorded, from its dataset folder's name: a demo's own names, sketch and handbag
    from edges2handbags, handbag and shoe from handbags2shoes, else A and B."""
    recorded = [run_domain(record, letter) for letter in "AB"]
    if all(recorded):
        return tuple(entry["name"] for entry in recorded)
    dataset = recorded_dataset(record)
    folder = dataset.name if dataset else ""
    return DEMO_DOMAIN_NAMES.get(folder) or folder_names(folder) or ("A", "B")


def example_files(record):
    """{"A": paths, "B": paths}: the first few images of each domain of the run's dataset, held-out ones (valA/valB)
    where there are any; none when the run names no dataset or its folder is gone."""
    examples, dataset = {"A": [], "B": []}, recorded_dataset(record)
    if not dataset:
        return examples
    for domain in examples:
        for split in ("val", "train"):
            folder = dataset / f"{split}{domain}"
            files = list_images(folder, warn=False) if folder.is_dir() else []
            if files:
                examples[domain] = files[:EXAMPLES_PER_DOMAIN]
                break
    return examples


def drawable_domains(examples, record=None):
    """{"A": bool, "B": bool}: whether a domain's images are sketches, which the page offers a drawing pad for;
    photos get an upload zone instead. The run's dataset.json says so; for a run trained before datasets were
    recorded, evaluation.is_sketch_domain on its examples. Without either (a SavedModel, a moved dataset) nothing
    is known and both keep the pad."""
    drawable = {}
    for domain, files in examples.items():
        recorded = run_domain(record, domain)
        if recorded:
            drawable[domain] = bool(recorded.get("sketch"))
            continue
        images = []
        for path in files:
            try:  # at one size, so that each example counts alike
                images.append(resize_lanczos(read_image(path, MAX_PIXELS)[0], EXAMPLE_SIZE))
            except ImageError:
                continue
        drawable[domain] = not images or is_sketch_domain(np.stack(images) / 127.5 - 1.0)
    return drawable


def check_upload_size(size):
    """Refuse an upload of more than MAX_UPLOAD_BYTES (the server checks Content-Length before reading the body)."""
    if size > MAX_UPLOAD_BYTES:
        raise UploadError(f"The file is {size / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:g} MB.")


def decode_upload(data):
    """An image file's bytes as HxWx3 uint8 pixels, any format and mode translate reads; UploadError says why not."""
    check_upload_size(len(data))
    try:
        return read_image(io.BytesIO(data), MAX_PIXELS)[0]
    except ImageTooLarge as error:
        width, height = error.size
        raise UploadError(f"The image is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels); "
                          f"the limit is {MAX_PIXELS / 1e6:g} megapixels.") from None
    except ImageError as error:
        if isinstance(error.__cause__, UnidentifiedImageError):
            raise UploadError(f"This file is not an image that can be read ({', '.join(IMAGE_FORMATS)}).") from None
        raise UploadError(f"This image cannot be read: {error.__cause__}.") from None


def declared_pixels(data):
    """The pixel count an image file's header declares; 0 for a file decode_upload refuses without decoding it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            pixels = image.width * image.height
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return 0
    return pixels if pixels <= MAX_PIXELS else 0


class PixelBudget:
    """Requests hold their decoded pixels against a fixed budget, first come first served: past it they wait, so the
    memory of images in flight stays bounded however many arrive at once."""

    def __init__(self, capacity):
        self.capacity = capacity
        self._free = capacity
        self._queue = collections.deque()
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def hold(self, pixels):
        """Wait until `pixels` (at most the whole budget) are free and every earlier request has its share."""
        pixels, turn = min(pixels, self.capacity), object()
        with self._changed:
            self._queue.append(turn)
            self._changed.wait_for(lambda: self._queue[0] is turn and pixels <= self._free)
            self._queue.popleft()
            self._free -= pixels
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._changed:
                self._free += pixels
                self._changed.notify_all()


class AppModel:
    """Both directions of one trained model, loaded once; use it in a `with` block to free its sessions.

    `checkpoint_dir` and `saved_model` are those of discogan.translate. One lock serialises the requests: each
    runs two session calls (resize, then translate), and threads of the server must not interleave them. A
    PixelBudget bounds the images decoded meanwhile.
    """

    def __init__(self, checkpoint_dir=None, saved_model=None):
        self.source = Path(saved_model or checkpoint_dir)
        self.record = None if saved_model else checkpoint.run_record(checkpoint_dir)
        self.domains = domain_names(self.record)
        self.examples = example_files(self.record)
        self.drawable = drawable_domains(self.examples, self.record)
        self.thickened = any(thickened(self.record, domain) for domain in "AB")  # the page's starting tick
        self._lock = threading.Lock()
        self._pixels = PixelBudget(PIXELS_IN_FLIGHT)
        self.translators = {}
        try:
            for direction in GENERATOR_SCOPES:
                self.translators[direction] = open_translator(checkpoint_dir, saved_model, direction)
            self.image_size = self.translators["AtoB"].image_size
            blank_canvas = encode_png(np.full((SKETCH_SCALE * self.image_size,) * 2 + (3,), 255, np.uint8))
            for direction in GENERATOR_SCOPES:  # TensorFlow's first runs are slow: not on the user's first stroke
                self.translate(blank_canvas, direction)
        except BaseException:
            self.close()
            raise

    def translate(self, data, direction="AtoB", thicken_sketch=False):
        """(translation PNG, prepared input PNG) of an image file's bytes: what the network gave and what it saw."""
        check_direction(direction)
        check_upload_size(len(data))
        with self._pixels.hold(declared_pixels(data)):
            translated, prepared = self._translate_pixels(decode_upload(data), direction, thicken_sketch)
        return encode_png(translated), encode_png(prepared)

    def _translate_pixels(self, image, direction, thicken_sketch):
        """(translation, prepared input) of HxWx3 uint8 `image`; the decoded image is freed when this returns."""
        translator = self.translators[direction]
        with self._lock:
            prepared = translator.prepare(image, thicken_sketch)
            return translator.translate(prepared[None])[0], prepared

    def close(self):
        for translator in self.translators.values():
            translator.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
