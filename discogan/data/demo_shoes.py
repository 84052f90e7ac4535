"""A small synthetic handbags <-> shoes dataset: bags and side-view shoes coloured from one palette.

Every bag and every shoe takes its colour and print from one palette entry: a shade of one of the PALETTE colours
(each entry its own, as a red bag may be crimson or scarlet) and one of PRINTS, lit alike from its own top to its
bottom, so a bag has an obvious shoe to go to, the one of its colour and print, while their shapes have nothing in
common. Like real bags and shoes the set is unpaired: trainA holds bags, trainB shoes, drawn independently. The
held-out split draws one sequence of entries for both domains, so val bag i and val shoe i share colour and print
(not shape), which colour scores can use; with a shade per entry, nearly every held-out bag has a colour of its
own, so colour retrieval can tell a translation that keeps its input's colour from one that only keeps its
colour's name. File names carry the entry (`0007_red-c8203a-stripes_handbag.png`) and differ between the
domains, so evaluate treats the split as unpaired.
"""
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from discogan.data.dataset_record import domain, write_record
from discogan.data.demo_cache import default_cache_dir, write_once
from discogan.data.demo_data import (SCALE, SHOES_DOMAIN_NAMES, SHOES_FOLDER_NAME, bag_shapes, bag_photo,
                                     paste_textured, print_texture, shade, shrink)
from discogan.data.labels import write_labels

PALETTE = {"red": (196, 30, 45), "pink": (236, 112, 170), "orange": (240, 128, 32), "yellow": (242, 200, 36),
           "green": (46, 140, 60), "teal": (0, 140, 140), "blue": (40, 90, 210), "navy": (28, 38, 100),
           "purple": (120, 52, 160), "brown": (125, 75, 40), "black": (35, 35, 35)}
PRINTS = ("solid", "stripes", "checks", "dots", "two-tone")
SHOE_KINDS = ("sneaker", "pump", "boot", "flat")
SOLES = ((40, 38, 36), (225, 222, 215))  # neutral, so that a shoe's colour is its upper's
SHADE_SPREAD = 40  # an entry's colour is its palette colour moved by up to this much in each of R, G and B


class Entry(NamedTuple):
    """A palette entry: the name of a PALETTE colour, the shade of it that this item wears, and a print."""
    name: str
    colour: tuple
    print_name: str

    @classmethod
    def of(cls, name, print_name="solid"):
        """The entry wearing PALETTE colour `name` exactly."""
        return cls(name, PALETTE[name], print_name)

    def label(self):
        """`red-c8203a-stripes`: what a file name says of the entry."""
        return f"{self.name}-{bytes(self.colour).hex()}-{self.print_name}"


def random_entry(rng):
    """An Entry: a palette colour, its own shade of it (within SHADE_SPREAD) and a print."""
    name = list(PALETTE)[rng.integers(len(PALETTE))]
    colour = np.clip(np.array(PALETTE[name]) + rng.integers(-SHADE_SPREAD, SHADE_SPREAD + 1, 3), 0, 255)
    return Entry(name, tuple(int(channel) for channel in colour), PRINTS[rng.integers(len(PRINTS))])


def accent(colour):
    """The print's second colour: a tint of a dark colour, a shade of a light one."""
    if 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2] < 140:
        return tuple(int(c + 0.6 * (255 - c)) for c in colour)
    return shade(colour, 0.5)


class ShoeShape(NamedTuple):
    """A side view facing right, in drawing coordinates."""
    upper: list  # the outline filled with the print
    collar: list  # the opening's edge
    vamp: list  # from the toe cap up to the throat
    sole: list
    heel: list  # None for a flat heel
    throat: tuple
    toe_cap: float  # where the toe cap starts, for two-tone shoes


def entry_texture(rng, entry, s, accent_box):
    """An s x s texture of an Entry; a two-tone object takes the accent in `accent_box` (x0, y0, x1, y1)."""
    colour, kind = entry.colour, entry.print_name
    step, slant = int(rng.uniform(0.06, 0.1) * s), rng.uniform(-0.3, 0.3) * s
    texture = print_texture(s, kind if kind in ("stripes", "checks", "dots") else "plain", step, colour,
                            accent(colour), lambda: slant)
    if kind == "two-tone":
        ImageDraw.Draw(texture).rectangle(accent_box, fill=accent(colour))
    return texture


def draw_palette_bag(rng, entry, size=64):
    """A size x size x 3 uint8 bag on white in the colour and print of Entry `entry`."""
    body, handle, flap, clasp = bag_shapes(rng, size)
    top, bottom = body[0][1], body[2][1]
    s = size * SCALE
    texture = entry_texture(rng, entry, s, (0, top + 0.6 * (bottom - top), s, s))
    handle_width = 3 * max(SCALE, int(SCALE * rng.uniform(1.0, 1.6)))
    return shrink(bag_photo(size, body, handle, flap, clasp, entry.colour, texture, handle_width, (top, bottom)),
                  size)


def _curve(start, control, end, points=12):
    """A quadratic Bezier curve from `start` to `end` as a list of points."""
    t = np.linspace(0, 1, points)[:, None]
    xy = (1 - t) ** 2 * np.array(start) + 2 * (1 - t) * t * np.array(control) + t ** 2 * np.array(end)
    return [tuple(point) for point in xy]


SHOE_HEIGHT_SCALE = 1.5


def _shoe_shape(rng, kind, s):
    """The ShoeShape of a shoe of `kind`, its proportions drawn at random within the kind's."""
    length, ground = rng.uniform(0.8, 0.88) * s, rng.uniform(0.84, 0.9) * s
    back = s / 2 - length / 2 + rng.uniform(-0.03, 0.03) * s
    toe = back + length
    heel, sole, back_height, toe_height, throat_at, throat_height = {
        "sneaker": (0.0, rng.uniform(0.06, 0.09), rng.uniform(0.2, 0.26), rng.uniform(0.08, 0.11),
                    rng.uniform(0.45, 0.55), rng.uniform(0.25, 0.3)),
        "pump": (rng.uniform(0.16, 0.22), 0.015, rng.uniform(0.15, 0.19), rng.uniform(0.07, 0.09),
                 rng.uniform(0.6, 0.68), rng.uniform(0.13, 0.17)),
        "boot": (rng.uniform(0.04, 0.1), rng.uniform(0.03, 0.04), rng.uniform(0.42, 0.52), rng.uniform(0.08, 0.1),
                 rng.uniform(0.3, 0.4), None),
        "flat": (rng.uniform(0.01, 0.02), 0.02, rng.uniform(0.16, 0.2), rng.uniform(0.09, 0.11),
                 rng.uniform(0.6, 0.68), rng.uniform(0.14, 0.17)),
    }[kind]
    # A shoe fills about half of its photo, as edges2shoes' do: the proportions above are of the foot, scaled up.
    tall = SHOE_HEIGHT_SCALE if kind != "boot" else 1.0
    heel, sole, back_height, toe_height = (part * tall * s for part in (heel, sole, back_height, toe_height))
    throat_height = None if throat_height is None else throat_height * tall
    seat = ground - heel - sole  # where the heel of the foot rests
    ball = back + 0.62 * length
    sole_top = _curve((back, seat), (back + 0.45 * length, seat), (ball, ground - sole)) + [(toe - 0.08 * length,
                                                                                          ground - sole)]
    toe_arc = _curve((toe, ground - sole), (toe + 0.02 * length, ground - sole - toe_height),
                     (toe - 0.15 * length, ground - sole - toe_height))
    back_top = (back + 0.02 * length, seat - back_height)
    throat = (back + throat_at * length, seat - back_height if throat_height is None else ground - throat_height * s)
    if kind == "boot":  # along the foot, then up the shaft
        vamp = _curve(toe_arc[-1], (throat[0] + 0.1 * (toe_arc[-1][0] - throat[0]), toe_arc[-1][1] - 0.05 * s),
                      throat, points=6)
        collar = [throat, back_top]
    else:  # up from the toe, levelling out at the throat
        vamp = _curve(toe_arc[-1], (throat[0] + 0.2 * (toe_arc[-1][0] - throat[0]), throat[1]), throat, points=6)
        dip = 0.05 * s if kind == "sneaker" else 0.15 * (seat - max(throat[1], back_top[1]))
        collar = _curve(throat, ((throat[0] + back_top[0]) / 2, max(throat[1], back_top[1]) + dip), back_top)
    heel_counter = _curve(back_top, (back - 0.04 * length, (back_top[1] + seat) / 2), (back, seat), points=6)
    upper = toe_arc + vamp + collar + heel_counter + sole_top[::-1][:-1]
    sole_band = sole_top + [(toe, ground - sole * 0.5), (toe - 0.1 * length, ground)] + [
        (x, min(y + sole, ground)) for x, y in sole_top[::-1]]
    heel_width = 0.16 if kind == "pump" else 0.17
    heel_block = [(back, seat + sole), (back + heel_width * length, seat + sole),
                  (back + (0.08 if kind == "pump" else 0.15) * length, ground),
                  (back + (0.03 if kind == "pump" else 0.01) * length, ground)] if heel > 0.03 * s else None
    return ShoeShape(upper, collar, vamp, sole_band, heel_block, throat, toe - 0.3 * length)


def draw_shoe(rng, entry, size=64):
    """A size x size x 3 uint8 side-view shoe on white in the colour and print of Entry `entry`: a sneaker (laces,
    thick sole), pump (high heel), boot (shaft) or flat (sometimes a strap), facing left as catalogue shoes do."""
    s = size * SCALE
    kind = SHOE_KINDS[rng.integers(len(SHOE_KINDS))]
    shape = _shoe_shape(rng, kind, s)
    colour, sole_colour = entry.colour, SOLES[rng.integers(len(SOLES))]
    photo = Image.new("RGB", (s, s), (255, 255, 255))
    draw = ImageDraw.Draw(photo)
    if shape.heel:
        draw.polygon(shape.heel, fill=sole_colour)
    rows = [y for _, y in shape.upper]
    paste_textured(photo, shape.upper, entry_texture(rng, entry, s, (shape.toe_cap, 0, s, s)), (min(rows), max(rows)))
    draw.polygon(shape.sole, fill=sole_colour)
    draw.line(shape.collar, fill=shade(colour, 0.45), width=SCALE * 2)
    if kind == "sneaker":
        for x, y in shape.vamp[1:-1]:
            draw.line([(x - 0.03 * s, y - 0.01 * s), (x + 0.02 * s, y + 0.05 * s)], fill=(245, 245, 240),
                      width=SCALE * 2)
    if kind == "flat" and rng.random() < 0.5:
        middle, throat = shape.collar[len(shape.collar) // 2], shape.throat
        draw.line([middle, (throat[0] - 0.02 * s, throat[1] + 0.02 * s)], fill=shade(colour, 0.7), width=SCALE * 3)
        draw.ellipse([middle[0] - SCALE * 2, middle[1] - SCALE * 2, middle[0] + SCALE * 2, middle[1] + SCALE * 2],
                     fill=(212, 175, 55))
    return shrink(ImageOps.mirror(photo), size)


def make_shoes_dataset(root=None, train_count=1000, val_count=100, size=64, seed=0):
    """Write trainA/trainB (bags, shoes) and valA/valB under `root` unless they are already complete, and their
    dataset.json; returns root.

    The train bags and shoes are independent draws; val bag i and val shoe i share their palette entry.
    """
    bag, shoe = SHOES_DOMAIN_NAMES
    root = Path(root or default_cache_dir(SHOES_FOLDER_NAME))
    prints = {}  # each image's print, recorded as it is drawn, for evaluate's print judge

    def drawn(folder, index, entry, domain_name, draw, rng):
        path = f"{folder}/{index:04d}_{entry.label()}_{domain_name}.png"
        prints[path] = entry.print_name
        return [(path, draw(rng, entry, size))]

    def images(rng):
        for folder, domain_name, draw in (("trainA", bag, draw_palette_bag), ("trainB", shoe, draw_shoe)):
            for index in range(train_count):
                yield drawn(folder, index, random_entry(rng), domain_name, draw, rng)
        for index in range(val_count):
            entry = random_entry(rng)
            yield drawn("valA", index, entry, bag, draw_palette_bag, rng)
            yield drawn("valB", index, entry, shoe, draw_shoe, rng)
    write_once(root, 2 * (train_count + val_count), "images", images,
               f"{train_count} {val_count} {size} {seed} shades {SHADE_SPREAD} labels", seed,
               before_complete=lambda: write_labels(root, {"print": prints}))
    write_record(root, domain(bag), domain(shoe), size)
    return root
