"""A small synthetic sketch <-> handbag dataset, so a new user (and CI) can train without an 8 GB download.

Each bag is drawn once as a photo-like image (coloured body with a print, shading, handle, flap and clasp) and
once as its black outline sketch on white, like the edges2handbags pairs. Sketches go to `trainA`, bags to
`trainB`; the same stems in `valA`/`valB` keep the held-out pairs matched.
"""
import colorsys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from discogan.data.dataset_record import domain, write_record
from discogan.data.demo_cache import default_cache_dir, write_once

SCALE = 4  # draw at 4x and downsample for smooth edges
PRINTS = ("plain", "stripes", "dots", "checks")
FOLDER_NAME = "demo_bags"
DOMAIN_NAMES = ("sketch", "bag")  # what trainA and trainB hold, for pages that name the directions
SHOES_FOLDER_NAME = "demo_shoes"  # the handbags <-> shoes demo (discogan.data.demo_shoes)
SHOES_DOMAIN_NAMES = ("handbag", "shoe")


def _colour(rng, lightness):
    red, green, blue = colorsys.hls_to_rgb(rng.random(), lightness, rng.uniform(0.45, 0.9))
    return int(red * 255), int(green * 255), int(blue * 255)


def bag_shapes(rng, size):
    """Geometry of one bag in drawing coordinates: body polygon, handle box, flap and clasp."""
    s = size * SCALE
    width, height = rng.uniform(0.5, 0.8) * s, rng.uniform(0.35, 0.5) * s
    centre_x, bottom = s / 2 + rng.uniform(-0.05, 0.05) * s, s * rng.uniform(0.85, 0.92)
    top = bottom - height
    taper = rng.uniform(0.0, 0.15) * width
    body = [(centre_x - width / 2 + taper, top), (centre_x + width / 2 - taper, top),
            (centre_x + width / 2, bottom), (centre_x - width / 2, bottom)]
    handle_width = rng.uniform(0.35, 0.7) * (width - 2 * taper)
    handle_height = rng.uniform(0.2, 0.35) * s
    handle = (centre_x - handle_width / 2, top - handle_height, centre_x + handle_width / 2, top + handle_height)
    flap_depth = rng.uniform(0.25, 0.55) * height if rng.random() < 0.6 else 0.0
    flap = [(body[0][0], top), (body[1][0], top), (centre_x, top + flap_depth)] if flap_depth else None
    clasp_y = top + (flap_depth or rng.uniform(0.2, 0.4) * height)
    clasp_r = rng.uniform(0.015, 0.03) * s
    return body, handle, flap, (centre_x - clasp_r, clasp_y - clasp_r, centre_x + clasp_r, clasp_y + clasp_r)


def _print_layer(rng, size, base, accent):
    """A full-size texture of the bag's print, cut to the body shape later."""
    s = size * SCALE
    kind = PRINTS[rng.integers(len(PRINTS))]
    step = int(rng.uniform(0.06, 0.14) * s)
    return print_texture(s, kind, step, base, accent, lambda: s * rng.uniform(-0.3, 0.3))


def print_texture(s, kind, step, base, accent, stripe_slant):
    """An s x s texture of one of PRINTS in `base` and `accent`; stripe_slant() gives each stripe's horizontal run."""
    layer = Image.new("RGB", (s, s), base)
    draw = ImageDraw.Draw(layer)
    if kind == "stripes":
        for x in range(-s, 2 * s, step):
            draw.line([(x, 0), (x + stripe_slant(), s)], fill=accent, width=step // 3)
    elif kind == "dots":
        for y in range(0, s, step):
            for x in range((y // step % 2) * step // 2, s, step):
                draw.ellipse([x, y, x + step // 3, y + step // 3], fill=accent)
    elif kind == "checks":
        for i, x in enumerate(range(0, s, step)):
            for j, y in enumerate(range(0, s, step)):
                if (i + j) % 2:
                    draw.rectangle([x, y, x + step, y + step], fill=accent)
    return layer


def draw_bag(rng, size=64):
    """One (sketch, photo) pair as size x size x 3 uint8 arrays."""
    s = size * SCALE
    body, handle, flap, clasp = bag_shapes(rng, size)
    base, accent = _colour(rng, rng.uniform(0.3, 0.6)), _colour(rng, rng.uniform(0.15, 0.85))
    line = max(SCALE, int(SCALE * rng.uniform(1.0, 1.6)))
    photo = bag_photo(size, body, handle, flap, clasp, base, _print_layer(rng, size, base, accent), 3 * line)

    sketch = Image.new("L", (s, s), 255)
    pen = ImageDraw.Draw(sketch)
    pen.arc(handle, 180, 360, fill=0, width=line)
    pen.polygon(body, outline=0, width=line)
    if flap:
        pen.line([flap[0], flap[2], flap[1]], fill=0, width=line)
    pen.ellipse(clasp, outline=0, width=line)
    return shrink(sketch, size), shrink(photo, size)


def shade(colour, factor):
    return tuple(int(c * factor) for c in colour)


def paste_textured(photo, outline, texture, lit_rows=None):
    """Fill the polygon `outline` of `photo` with `texture`, lit from the top left: from 110% of its colours at the
    first of `lit_rows` (top, bottom) to 75% at the second (default: the picture's first and last rows)."""
    s = photo.size[0]
    mask = Image.new("L", (s, s), 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    vertical = np.interp(np.arange(s), lit_rows or (0, s - 1), (1.1, 0.75))
    shading = vertical[:, None, None] * np.linspace(0.9, 1.05, s)[None, :, None]
    textured = np.clip(np.asarray(texture, np.float64) * shading, 0, 255)
    photo.paste(Image.fromarray(textured.astype(np.uint8)), (0, 0), mask)


def bag_photo(size, body, handle, flap, clasp, base, texture, handle_width, lit_rows=None):
    """A bag on white at drawing scale: handle, textured body (lit as paste_textured says), flap in a darker `base`,
    golden clasp."""
    s = size * SCALE
    photo = Image.new("RGB", (s, s), (255, 255, 255))
    draw = ImageDraw.Draw(photo)
    draw.arc(handle, 180, 360, fill=shade(base, 0.6), width=handle_width)
    paste_textured(photo, body, texture, lit_rows)
    if flap:
        draw.polygon(flap, fill=shade(base, 0.8))
    draw.ellipse(clasp, fill=(212, 175, 55))
    return photo


def shrink(image, size):
    """A drawing at SCALE x size, softened and brought down to size x size x 3 uint8."""
    return np.asarray(image.filter(ImageFilter.GaussianBlur(SCALE / 4)).resize((size, size), Image.LANCZOS)
                      .convert("RGB"))


def make_demo_dataset(root=None, train_pairs=1000, val_pairs=100, size=64, seed=0):
    """Write trainA/trainB and valA/valB under `root` unless they are already complete, and their dataset.json;
    returns `root`."""
    def pairs(rng):
        for split, count in (("train", train_pairs), ("val", val_pairs)):
            for index in range(count):
                sketch, photo = draw_bag(rng, size)
                yield [(f"{split}A/{index}_AB.png", sketch), (f"{split}B/{index}_AB.png", photo)]
    root = write_once(Path(root or default_cache_dir(FOLDER_NAME)), train_pairs + val_pairs, "pairs", pairs,
                      f"{train_pairs} {val_pairs} {size} {seed}", seed)
    sketch, bag = DOMAIN_NAMES
    write_record(root, domain(sketch, sketch=True), domain(bag), size)
    return root
