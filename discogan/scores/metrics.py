"""Image-quality metrics for translated batches, in plain numpy so evaluation needs no downloaded networks.

Every function takes batches shaped (N, H, W, C) as uint8 or as floats in [0, 1]; generator output in
[-1, 1] must be mapped first (`image_io.to_uint8`, or `(x + 1) / 2`). Errors are therefore on the [0, 1]
scale: an MSE here is a quarter of the same MSE on the generator's [-1, 1] scale.
"""
import numpy as np

PSNR_CAP_DB = 100.0
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, the usual RGB -> grayscale
BINOMIAL_5 = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0  # the 5-tap pyramid filter of cv2.pyrDown


def to_unit(images):
    """Images as float32 in [0, 1] (the generator's precision, half the memory of float64); rejects floats
    outside [0, 1], since [-1, 1] input would silently skew every metric."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"expected a batch shaped (N, H, W, C), got shape {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255
    images = images.astype(np.float32)
    if images.size and (images.min() < 0.0 or images.max() > 1.0):
        raise ValueError(f"float images must lie in [0, 1], got [{images.min():.3g}, {images.max():.3g}]; "
                         "map generator output with (x + 1) / 2 or image_io.to_uint8")
    return images


def _pair(generated, target):
    """Both batches on the [0, 1] scale, checked to line up image for image."""
    generated, target = to_unit(generated), to_unit(target)
    if generated.shape != target.shape:
        raise ValueError(f"paired batches differ in shape: {generated.shape} vs {target.shape}")
    return generated, target


def cycle_mse(reconstructed, original):
    """Mean squared error of A -> B -> A reconstructions against their inputs, on the [0, 1] scale."""
    reconstructed, original = _pair(reconstructed, original)
    return float(np.mean((reconstructed - original) ** 2))


def l1(generated, target):
    """Mean absolute error on the [0, 1] scale."""
    generated, target = _pair(generated, target)
    return float(np.mean(np.abs(generated - target)))


def psnr(generated, target):
    """Per-image PSNR in dB (peak 1.0) averaged over images; identical images count as PSNR_CAP_DB, not inf,
    so one perfect image cannot make the mean infinite."""
    generated, target = _pair(generated, target)
    mse = np.mean((generated - target) ** 2, axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        per_image = np.minimum(10.0 * np.log10(1.0 / mse), PSNR_CAP_DB)
    return float(np.mean(per_image))


def _filter_matrix(size, kernel, reflect):
    """A 1-D convolution with a symmetric kernel as an (outputs, size) matrix, so filtering is one BLAS product:
    'valid' outputs only, or `size` outputs with mirror borders (d c b | a b c d | c b a)."""
    half = len(kernel) // 2
    outputs = np.arange(size if reflect else size - 2 * half)[:, None]
    columns = outputs + np.arange(len(kernel)) - (half if reflect else 0)
    if reflect:
        columns = np.abs(columns)
        columns = np.where(columns >= size, 2 * (size - 1) - columns, columns)
    matrix = np.zeros((len(outputs), size))
    np.add.at(matrix, (np.broadcast_to(outputs, columns.shape), columns), np.broadcast_to(kernel, columns.shape))
    return matrix


def _blur(images, kernel, reflect):
    """Separable 2-D filtering over the height and width axes of an (N, H, W, C) batch."""
    for axis in (1, 2):
        matrix = _filter_matrix(images.shape[axis], kernel, reflect).astype(images.dtype)
        images = np.moveaxis(np.tensordot(images, matrix, axes=([axis], [1])), -1, axis)
    return images


def _gaussian_kernel(size, sigma):
    taps = np.arange(size) - (size - 1) / 2.0
    kernel = np.exp(-taps ** 2 / (2.0 * sigma ** 2))
    return kernel / kernel.sum()


def ssim(generated, target, window=11, sigma=1.5, k1=0.01, k2=0.03):
    """SSIM of Wang et al. (2004) per channel with a Gaussian window over valid positions only (as tf.image.ssim),
    data range 1; the mean over positions and channels is each image's score, and the images are averaged.
    Moments are float64: in float32, E[x^2] - E[x]^2 on flat areas (a sketch's white page) is off by ~1e-4."""
    x, y = (images.astype(np.float64) for images in _pair(generated, target))
    c1, c2 = k1 ** 2, k2 ** 2
    moments = _blur(np.concatenate([x, y, x * x, y * y, x * y]), _gaussian_kernel(window, sigma), reflect=False)
    mu_x, mu_y, xx, yy, xy = moments.reshape(5, len(x), *moments.shape[1:])
    var_x, var_y, cov = xx - mu_x ** 2, yy - mu_y ** 2, xy - mu_x * mu_y
    maps = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return float(np.mean(maps))


# Shrunk from 256 to 64 px, the pix2pix sketches' pen lines turn light grey: a darker-than-half threshold misses them.
EDGE_THRESHOLD = 0.8


def _luminance(images):
    """(N, H, W) grayscale of a batch on the [0, 1] scale; images with other than 3 channels are averaged."""
    images = to_unit(images)
    return images @ LUMA_WEIGHTS if images.shape[-1] == 3 else images.mean(axis=-1)


def _edges(sketches, threshold):
    """Boolean (N, H, W) line maps: dark strokes on a white page are pixels whose luminance is below threshold."""
    return _luminance(sketches) < threshold


def _dilate(masks, radius):
    """Grow (N, H, W) masks by a disk of `radius` pixels: a pixel is set if any set pixel lies within radius."""
    height, width = masks.shape[1:]
    padded = np.pad(masks, ((0, 0), (radius, radius), (radius, radius)))
    grown = np.zeros_like(masks)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx <= radius * radius:
                grown |= padded[:, radius + dy:radius + dy + height, radius + dx:radius + dx + width]
    return grown


def edge_scores(predicted_sketch, true_sketch, tolerance=2, threshold=EDGE_THRESHOLD):
    """Per-image edge precision, recall and F1 with a pixel tolerance, like the BSDS boundary benchmark.

    As there, a line pixel matches at most one pixel of the other map: the matched count is the smaller of
    (predicted pixels near a true one) and (true pixels near a predicted one), the largest one-to-one matching
    the tolerance allows. Without it a prediction that paints everything dark would find every true line
    and score F1 0.4 on pix2pix sketches. An empty prediction has precision 1 and an empty truth recall 1,
    so F1 is 1 when both are empty and 0 when only one is."""
    predicted, true = _edges(predicted_sketch, threshold), _edges(true_sketch, threshold)
    if predicted.shape != true.shape:
        raise ValueError(f"paired batches differ in shape: {predicted.shape} vs {true.shape}")
    n_predicted, n_true = predicted.sum(axis=(1, 2)), true.sum(axis=(1, 2))
    hits_predicted = (predicted & _dilate(true, tolerance)).sum(axis=(1, 2))
    hits_true = (true & _dilate(predicted, tolerance)).sum(axis=(1, 2))
    matched = np.minimum(hits_predicted, hits_true)
    precision = np.where(n_predicted > 0, matched / np.maximum(n_predicted, 1), 1.0)
    recall = np.where(n_true > 0, matched / np.maximum(n_true, 1), 1.0)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    return {"precision": precision, "recall": recall, "f1": f1}


def edge_f1(predicted_sketch, true_sketch, tolerance=2, threshold=EDGE_THRESHOLD):
    """Mean over images of the tolerant edge F1 of `edge_scores`."""
    return float(np.mean(edge_scores(predicted_sketch, true_sketch, tolerance, threshold)["f1"]))


def _laplacian_pyramid(images, min_resolution):
    """Band-pass levels from full size down to `min_resolution`, the last one the low-pass residual,
    with the binomial filter and mirror borders of Karras et al.'s SWD code."""
    levels = [images]
    while min(levels[-1].shape[1:3]) // 2 >= min_resolution:
        smaller = _blur(levels[-1], BINOMIAL_5, reflect=True)[:, ::2, ::2]
        upsampled = np.zeros_like(levels[-1])
        upsampled[:, ::2, ::2] = smaller
        levels[-1] = levels[-1] - _blur(upsampled, 2.0 * BINOMIAL_5, reflect=True)
        levels.append(smaller)
    return levels


def _descriptors(level, patches_per_image, patch_size, rng):
    """Random patch_size^2 x C neighbourhoods, `patches_per_image` from each image, normalised per channel."""
    count, height, width, channels = level.shape
    image = np.repeat(np.arange(count), patches_per_image)
    top = rng.integers(0, height - patch_size + 1, size=len(image))
    left = rng.integers(0, width - patch_size + 1, size=len(image))
    windows = np.lib.stride_tricks.sliding_window_view(level, (patch_size, patch_size), axis=(1, 2))
    patches = windows[image, top, left].reshape(len(image), channels, -1)
    patches = patches - patches.mean(axis=(0, 2), keepdims=True)
    patches = patches / np.maximum(patches.std(axis=(0, 2), keepdims=True), 1e-8)
    return patches.reshape(len(image), -1)


def sliced_wasserstein(real, fake, patches_per_image=128, patch_size=7, directions=128, repeats=4,
                       min_resolution=16, seed=0):
    """Sliced Wasserstein distance of Karras et al. (2018) between Laplacian-pyramid patch statistics.

    Returns {"levels": {resolution: distance}, "mean": mean over levels}, all multiplied by 1e3 as in the
    paper; lower is closer. Each set's descriptors are normalised with their own statistics (as the paper's
    code does), and the larger set is subsampled so both have as many descriptors. The defaults, 4 repeats of
    128 random directions, are the paper's 512 directions in all.
    """
    rng = np.random.default_rng(seed)
    real_levels = _laplacian_pyramid(to_unit(real), min_resolution)
    fake_levels = _laplacian_pyramid(to_unit(fake), min_resolution)
    distances = {}
    for real_level, fake_level in zip(real_levels, fake_levels):
        a = _descriptors(real_level, patches_per_image, patch_size, rng)
        b = _descriptors(fake_level, patches_per_image, patch_size, rng)
        count = min(len(a), len(b))
        a, b = (d[rng.choice(len(d), count, replace=False)] if len(d) > count else d for d in (a, b))
        per_repeat = []
        for _ in range(repeats):
            unit = rng.standard_normal((a.shape[1], directions)).astype(np.float32)
            unit /= np.linalg.norm(unit, axis=0)
            projected_a, projected_b = np.sort(unit.T @ a.T, axis=1), np.sort(unit.T @ b.T, axis=1)
            per_repeat.append(np.mean(np.abs(projected_a - projected_b)))
        distances[real_level.shape[1]] = float(np.mean(per_repeat) * 1e3)
    return {"levels": distances, "mean": float(np.mean(list(distances.values())))}


STRUCTURE_SIZE = 16  # pooled grid of the structure descriptor: coarse enough to average pixel noise away
# Below this RMS contrast of the pooled luminance (on the [0, 1] scale), a descriptor shrinks toward zero
# instead of being scaled up to unit norm: faint noise on a blank page is no structure.
MIN_CONTRAST = 0.01


def structure_descriptors(images, size=STRUCTURE_SIZE):
    """(N, size * size) layouts of shapes: each image's luminance block-averaged to size x size, then shifted to
    zero mean and scaled to unit L2 norm. Pooling averages pixel noise out, and the normalisation ignores a grey
    or tinted background and the contrast, so a dot product of two descriptors compares only where things are.
    A flat image gives zeros, and one with less than MIN_CONTRAST a shorter vector."""
    gray = _luminance(images)
    count, height, width = gray.shape
    if height % size or width % size:
        raise ValueError(f"images of {height}x{width} do not split into {size}x{size} blocks")
    pooled = gray.reshape(count, size, height // size, size, width // size).mean(axis=(2, 4)).reshape(count, -1)
    centred = pooled - pooled.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.maximum(norms, MIN_CONTRAST * size)


def _correlations(generated, target):
    """(N, N) dot products of structure descriptors: row i compares output i with every target."""
    generated, target = _pair(generated, target)
    return structure_descriptors(generated) @ structure_descriptors(target).T


def structure_agreement(generated, target):
    """Mean correlation of each output's structure descriptor with its own counterpart's, in [-1, 1]; higher is
    better. A domain's objects share a layout, so the mean image scores well here too: retrieval_at_1 and
    diversity are what tell a faithful translator from an average."""
    return float(np.mean(np.diagonal(_correlations(generated, target))))


def retrieval_at_1(generated, target):
    """Share of outputs whose structure is closer to their own counterpart than to any other target of the split;
    chance is 1 / N. An output that ignores its input, or one output for every input, retrieves at chance."""
    correlations = _correlations(generated, target)
    return float(np.mean(np.argmax(correlations, axis=1) == np.arange(len(correlations))))


def _spread(descriptors):
    """Mean over distinct pairs of half the squared distance between descriptors, 1 - correlation for unit ones
    (0 between two flat images); it equals the summed per-dimension variance, so it needs no N x N matrix."""
    return float(np.var(descriptors, axis=0, ddof=1).sum())


def diversity(generated, target):
    """How much the outputs' structure varies, relative to the target domain's real images: ~0 when every input
    gets the same output (even with pixel noise on top), ~1 when outputs vary as much as real images. Needs no
    pairs; higher is better up to ~1. None for fewer than two images, which have no pairs."""
    generated, target = structure_descriptors(generated), structure_descriptors(target)
    if min(len(generated), len(target)) < 2:
        return None
    return _spread(generated) / max(_spread(target), 1e-12)


def translation_metrics(images, paired, sketch_output=False, seed=0):
    """JSON-ready metrics for one translation direction (e.g. a2b).

    `images` holds batches: "input" (source domain), "translated" (G(input)), "reconstructed" (F(G(input)))
    and "target" (real output-domain images; row i is the counterpart of input i when `paired`). Metrics that
    need pairs are None when unpaired; edge_f1 is None unless the output domain is sketches, and diversity for
    a single image.
    """
    translated, target = images["translated"], images["target"]
    return {
        "cycle_mse": cycle_mse(images["reconstructed"], images["input"]),
        "l1": l1(translated, target) if paired else None,
        "psnr": psnr(translated, target) if paired else None,
        "ssim": ssim(translated, target) if paired else None,
        "edge_f1": edge_f1(translated, target) if paired and sketch_output else None,
        "structure": structure_agreement(translated, target) if paired else None,
        "retrieval_at_1": retrieval_at_1(translated, target) if paired else None,
        "diversity": diversity(translated, target),
        "swd": sliced_wasserstein(target, translated, seed=seed)["mean"],
    }
