"""Does a translation keep its input's colour and print? Metrics for photo <-> photo tasks (handbags <-> shoes).

A bag and its shoe share no layout, so what should carry over is the object's colour and print, not its pixels.
Each image is reduced to its object (everything but the white background connected to the border), and the
object to a descriptor: its mean CIELab colour, its palette (a coarse Lab histogram) or its texture energy. A
translation is compared with its own input and with every other input of the split:

- *ratio*: mean distance from each input to its own translation, divided by the mean distance to the
  translations of the other inputs. 0: each translation has exactly its input's colour (the identity scores 0);
  about 1: colour is ignored (real images of the other domain paired at random score about 1).
- *r@1*: share of translations whose nearest input, by mean colour, is their own input; chance is 1 / N.
- *chroma gain*: how much of the inputs' spread of hue and saturation the translations keep: 1 as vivid as
  their inputs, 0.5 a pink bag gives a shoe half as pink, 0 one colour for all.
- *texture gain*: how textured the translations are against their inputs (geometric mean of the energies'
  ratios): below 1 blurred, above 1 speckled; the texture ratio counts either as the print lost.

Numpy only, like discogan/scores/metrics.py; images are uint8 or floats in [0, 1].
"""
import numpy as np

from discogan.scores.metrics import to_unit

# A pixel is background when its darkest channel is above this ([0, 1] scale) and it touches the border through
# such pixels: the white page of product photos. discogan.gan.losses' colour loss uses the same level.
BACKGROUND_LEVEL = 0.9
# An orthonormal basis of RGB: the grey axis (lightness), then two opponent axes (red-green, yellow-blue) that
# carry the chroma. Squared differences in it equal those in RGB, so only the weights on its axes change them.
OPPONENT_AXES = np.array([[1, 1, 1], [1, -1, 0], [1, 1, -2]], np.float32).T / np.sqrt([3, 2, 6]).astype(np.float32)
MIN_OBJECT_SHARE = 0.01  # an image whose object is smaller than this (a blank page) is measured whole
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
D65_WHITE = np.array([0.95047, 1.0, 1.08883])
PALETTE_BINS = ((0.0, 100.0, 4), (-64.0, 64.0, 8), (-64.0, 64.0, 8))  # L*, a*, b*: (low, high, bins)
KEYS = ("colour_ratio", "hue_ratio", "colour_r1", "chroma_gain", "palette_ratio", "texture_ratio", "texture_gain")


def object_masks(images, level=BACKGROUND_LEVEL):
    """(N, H, W) booleans: True on the object, False on the near-white background that reaches the border.

    White inside the object (a white stripe, a highlight) stays object: only background connected to the border
    is removed, grown from the border one pixel at a time through near-white pixels.
    """
    light = to_unit(images).min(axis=-1) > level
    background = np.zeros_like(light)
    for edge in (np.s_[:, 0, :], np.s_[:, -1, :], np.s_[:, :, 0], np.s_[:, :, -1]):
        background[edge] = light[edge]
    while True:
        grown = background.copy()
        grown[:, 1:] |= background[:, :-1]
        grown[:, :-1] |= background[:, 1:]
        grown[:, :, 1:] |= background[:, :, :-1]
        grown[:, :, :-1] |= background[:, :, 1:]
        grown &= light
        if np.array_equal(grown, background):
            break
        background = grown
    masks = ~background
    too_small = masks.mean(axis=(1, 2)) < MIN_OBJECT_SHARE
    masks[too_small] = True
    return masks


def to_lab(rgb):
    """sRGB values in [0, 1] (any shape ending in 3) to CIELab under D65: L* in [0, 100], a* and b* about +-100."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ SRGB_TO_XYZ.T / D65_WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def lab_and_masks(images):
    """(CIELab pixels, object masks) of a batch: what every descriptor below reads, computed once."""
    return to_lab(to_unit(images).astype(np.float64)), object_masks(images)


def object_colours(lab, masks):
    """(N, 3) mean CIELab colour of each image's object."""
    return np.stack([pixels[mask].mean(axis=0) for pixels, mask in zip(lab, masks)])


def palettes(lab, masks):
    """(N, bins) share of each image's object pixels in each cell of a coarse L*a*b* grid (PALETTE_BINS)."""
    edges = [np.linspace(low, high, bins + 1)[1:-1] for low, high, bins in PALETTE_BINS]
    sizes = [bins for _, _, bins in PALETTE_BINS]
    histograms = np.zeros((len(lab), int(np.prod(sizes))))
    for index, (pixels, mask) in enumerate(zip(lab, masks)):
        cells = [np.digitize(pixels[mask][:, channel], edges[channel]) for channel in range(3)]
        histograms[index] = np.bincount(np.ravel_multi_index(cells, sizes), minlength=histograms.shape[1])
    return histograms / histograms.sum(axis=1, keepdims=True)


def texture_energies(lab, masks):
    """(N,) mean absolute Laplacian of the luminance inside each object, away from its outline: near 0 for a
    plain surface, high for stripes, checks and dots."""
    luminance = lab[..., 0] / 100.0
    laplacian = np.abs(4 * luminance[:, 1:-1, 1:-1] - luminance[:, :-2, 1:-1] - luminance[:, 2:, 1:-1]
                       - luminance[:, 1:-1, :-2] - luminance[:, 1:-1, 2:])
    inner = (masks[:, 1:-1, 1:-1] & masks[:, :-2, 1:-1] & masks[:, 2:, 1:-1] & masks[:, 1:-1, :-2]
             & masks[:, 1:-1, 2:])
    return np.array([values[mask].mean() if mask.any() else 0.0 for values, mask in zip(laplacian, inner)])


def own_vs_others(distances):
    """Mean of the diagonal of an (N, N) input-by-translation distance matrix over the mean of the rest."""
    count = len(distances)
    own = np.trace(distances) / count
    others = (distances.sum() - np.trace(distances)) / (count * (count - 1))
    return float(own / max(others, 1e-12))


def chroma_gain(colours_in, colours_out):
    """Least-squares slope of the translations' mean a*, b* on their inputs', both taken about their own means."""
    chroma_in = colours_in[:, 1:] - colours_in[:, 1:].mean(axis=0)
    chroma_out = colours_out[:, 1:] - colours_out[:, 1:].mean(axis=0)
    return float((chroma_in * chroma_out).sum() / max((chroma_in ** 2).sum(), 1e-12))


def colour_scores(inputs, translations):
    """The KEYS for one direction: translations[i] is the translation of inputs[i]; None for fewer than 2 images."""
    if min(len(inputs), len(translations)) < 2:
        return dict.fromkeys(KEYS)
    described_in, described_out = lab_and_masks(inputs), lab_and_masks(translations)
    colours_in, colours_out = object_colours(*described_in), object_colours(*described_out)
    lab_distances = np.linalg.norm(colours_in[:, None] - colours_out[None], axis=-1)
    hue_distances = np.linalg.norm(colours_in[:, None, 1:] - colours_out[None, :, 1:], axis=-1)
    palettes_in, palettes_out = palettes(*described_in), palettes(*described_out)
    palette_distances = 0.5 * np.abs(palettes_in[:, None] - palettes_out[None]).sum(axis=-1)
    energies_in, energies_out = (np.log(texture_energies(*described) + 1e-3)
                                 for described in (described_in, described_out))
    return {
        "colour_ratio": own_vs_others(lab_distances),
        "hue_ratio": own_vs_others(hue_distances),
        "colour_r1": float(np.mean(np.argmin(lab_distances, axis=0) == np.arange(len(lab_distances)))),
        "chroma_gain": chroma_gain(colours_in, colours_out),
        "palette_ratio": own_vs_others(palette_distances),
        "texture_ratio": own_vs_others(np.abs(energies_in[:, None] - energies_out[None])),
        "texture_gain": float(np.exp(np.mean(energies_out - energies_in))),
    }
