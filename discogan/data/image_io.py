"""Reading and writing image files: any mode in, RGB uint8 out, and writes that never leave half a file."""
import io
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, UnidentifiedImageError

# The formats the commands and the app read, with the extensions a folder's images are listed by; training decodes
# those of pipeline.TF_FORMATS and names the others it skips.
IMAGE_FORMATS = {"PNG": (".png",), "JPEG": (".jpg", ".jpeg"), "WebP": (".webp",), "BMP": (".bmp",), "GIF": (".gif",),
                 "TIFF": (".tif", ".tiff")}
IMAGE_EXTENSIONS = tuple(extension for extensions in IMAGE_FORMATS.values() for extension in extensions)


class ImageError(ValueError):
    """An image file that cannot be read; the message names the file."""


class ImageTooLarge(ImageError):
    """An image with more pixels than the caller allows, refused before its pixels are decoded; `size` is (w, h)."""

    def __init__(self, path, size, max_pixels):
        self.size = size
        super().__init__(f"image {path} is {size[0]}x{size[1]} pixels ({size[0] * size[1] / 1e6:.1f} megapixels), "
                         f"more than the {max_pixels / 1e6:g} megapixels allowed")


def list_images(folder, recursive=False, warn=True):
    """Sorted image paths in `folder`; hidden files are skipped and other files are reported, not read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"folder not found: {folder}")
    entries = folder.rglob("*") if recursive else folder.iterdir()
    images, others = [], []
    for path in entries:
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        (images if path.suffix.lower() in IMAGE_EXTENSIONS else others).append(path)
    if others and warn:
        names = ", ".join(p.name for p in sorted(others)[:5]) + (" ..." if len(others) > 5 else "")
        warnings.warn(f"{folder}: ignoring {len(others)} non-image file(s): {names}", stacklevel=2)
    return sorted(images)


def to_rgb(image):
    """Convert a PIL image of any mode (grayscale, RGBA, palette, 16-bit, CMYK) to 8-bit RGB.

    Transparent pixels become white, the background of product photos and sketches.
    """
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        image = Image.fromarray(np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


def read_image(path, max_pixels=None):
    """(HxWx3 uint8 pixels, the file's own PIL mode); raises ImageError naming the file if it is unreadable.

    The mode tells callers whether the file was already 8-bit RGB and can be copied byte for byte. `path` may also
    be a binary file object. max_pixels refuses a larger image from its header, before any pixel is decoded: a
    file of a few kilobytes can unpack to gigabytes.
    """
    try:
        with Image.open(path) as image:
            if max_pixels is not None and image.width * image.height > max_pixels:
                raise ImageTooLarge(path, image.size, max_pixels)
            image.load()
            return np.asarray(to_rgb(image)), image.mode
    except ImageTooLarge:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"cannot read image {path}: {error}") from error


def load_rgb(path):
    """The image at `path` as an HxWx3 uint8 array; raises ImageError naming the file if it is unreadable."""
    return read_image(path)[0]


def resize_lanczos(array, size):
    """`array` scaled to size x size with a Lanczos filter (sharp and alias-free when shrinking); None keeps it."""
    if size is None:
        return array
    return np.asarray(Image.fromarray(array).resize((size, size), Image.LANCZOS))


def thicken_lines(pixels):
    """HxWx3 uint8 with dark lines one pixel wider on each side (a 3x3 minimum filter per channel).

    The DiscoGAN authors prepare edges2* sketches this way at 256x256: a thin pen line shrunk to 64x64 fades
    to light grey, and the models learn it poorly.
    """
    return np.asarray(Image.fromarray(pixels).filter(ImageFilter.MinFilter(3)))


def give_ordinary_permissions(path):
    """What a plain open() or mkdir() would have given: mkstemp and mkdtemp make files 0600 and folders 0700."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if os.path.isdir(path) else 0o666) & ~umask)


def write_atomically(path, write):
    """Call write(stream) on a temporary sibling of `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        give_ordinary_permissions(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.errno and error.filename is None:  # a full disk names no file
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise


def copy_file(source, path):
    """Copy `source` to `path` atomically: a crash never leaves a partial file at `path`."""
    def write(stream):
        with open(source, "rb") as original:
            shutil.copyfileobj(original, stream)
    write_atomically(path, write)


def save_image(path, array):
    """Write an HxWx3 uint8 array atomically, in the format its extension names (PNG if unknown)."""
    image_format = Image.registered_extensions().get(Path(path).suffix.lower(), "PNG")
    options = {"quality": 95} if image_format == "JPEG" else {}
    write_atomically(path, lambda stream: Image.fromarray(np.asarray(array, dtype=np.uint8)).save(
        stream, format=image_format, **options))


def encode_png(array):
    """PNG file bytes of an HxWx3 uint8 array (TensorBoard image summaries, the sketch app's answers)."""
    stream = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(stream, format="PNG")
    return stream.getvalue()


def to_uint8(images):
    """Map generator output in [-1, 1] to uint8 pixels."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def make_grid(rows, gap=2):
    """Tile rows of equally sized uint8 images (a list of lists) into one picture with white gaps."""
    height, width, _ = rows[0][0].shape
    columns = max(len(row) for row in rows)
    grid = np.full((len(rows) * (height + gap) - gap, columns * (width + gap) - gap, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            top, left = r * (height + gap), c * (width + gap)
            grid[top:top + height, left:left + width] = image
    return grid
