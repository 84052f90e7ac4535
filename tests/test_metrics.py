"""Metrics on constructed inputs whose answers are known in advance."""
import json
import math

import numpy as np
import pytest

from discogan.scores import metrics

RNG = np.random.default_rng(0)


def noise(count, size=64, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, size, size, 3), dtype=np.uint8)


def gradients(count, size=64, seed=0):
    """Smooth linear ramps of random direction and colour: no texture at all, unlike noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size]
    angle = rng.uniform(0, 2 * np.pi, (count, 1, 1, 1))
    ramp = np.cos(angle) * rows[None, :, :, None] + np.sin(angle) * cols[None, :, :, None]
    ramp = (ramp - ramp.min(axis=(1, 2), keepdims=True)) / np.ptp(ramp, axis=(1, 2), keepdims=True)
    return ramp * rng.uniform(0.2, 1.0, (count, 1, 1, 3))


def blobs(count, size=64, seed=0):
    """Smooth images with distinct layouts: three soft blobs of random place, width and colour on a random
    background colour, values in [0.2, 0.7] so offsets and contrast changes stay inside [0, 1]."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size] / size
    centres, widths = rng.uniform(0.1, 0.9, (count, 3, 2, 1, 1)), rng.uniform(0.08, 0.25, (count, 3, 1, 1))
    masks = np.exp(-((rows - centres[:, :, 0]) ** 2 + (cols - centres[:, :, 1]) ** 2) / (2 * widths ** 2))
    colours = rng.choice([-1.0, 1.0], (count, 3, 1, 1, 1)) * rng.uniform(0.5, 1.0, (count, 3, 1, 1, 3))
    images = rng.uniform(0.0, 1.0, (count, 1, 1, 3)) + (masks[..., None] * colours).sum(axis=1)
    low, high = images.min(axis=(1, 2, 3), keepdims=True), images.max(axis=(1, 2, 3), keepdims=True)
    return 0.2 + 0.5 * (images - low) / (high - low)


def collapsed(image, count, noise=0.05, seed=0):
    """The output of a mode-collapsed translator: one image for every input, under fresh pixel noise each time."""
    noisy = image[None] + np.random.default_rng(seed).normal(0.0, noise, (count, *image.shape))
    return np.clip(noisy, 0.0, 1.0)


def square_sketch(top, left, side=30, size=64):
    """A white page with the black outline of a square, like an edges2handbags sketch."""
    page = np.full((1, size, size, 3), 255, np.uint8)
    page[0, top:top + side, [left, left + side - 1]] = 0
    page[0, [top, top + side - 1], left:left + side] = 0
    return page


def test_identical_images_score_perfectly():
    images = noise(4)
    assert metrics.cycle_mse(images, images) == 0.0
    assert metrics.l1(images, images) == 0.0
    assert metrics.psnr(images, images) == metrics.PSNR_CAP_DB
    assert metrics.ssim(images, images) == pytest.approx(1.0, abs=1e-6)
    sketch = square_sketch(10, 10)
    assert metrics.edge_f1(sketch, sketch) == 1.0


def test_constant_offset_has_known_errors():
    low, high = np.full((2, 16, 16, 3), 0.25), np.full((2, 16, 16, 3), 0.35)
    assert metrics.cycle_mse(high, low) == pytest.approx(0.01, rel=1e-5)
    assert metrics.l1(high, low) == pytest.approx(0.1, rel=1e-5)
    assert metrics.psnr(high, low) == pytest.approx(20.0, abs=1e-4)
    darker = np.full((2, 16, 16, 3), 100, np.uint8)
    assert metrics.psnr(darker + 10, darker) == pytest.approx(20 * math.log10(25.5), abs=1e-4)


def test_ssim_of_flat_images_is_the_luminance_term():
    a, b = 0.2, 0.6
    c1 = 0.01 ** 2
    expected = (2 * a * b + c1) / (a * a + b * b + c1)
    assert metrics.ssim(np.full((1, 16, 16, 3), b), np.full((1, 16, 16, 3), a)) == pytest.approx(expected, rel=1e-5)


def test_ssim_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    x = RNG.random((6, 64, 64, 3), dtype=np.float32)
    y = np.clip(x + 0.2 * RNG.standard_normal(x.shape), 0, 1).astype(np.float32)
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:  # works whether or not eager is on
        reference = session.run(tf.image.ssim(x, y, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03))
    assert metrics.ssim(y, x) == pytest.approx(float(np.mean(reference)), abs=1e-3)


def test_edges_within_tolerance_count_as_found():
    assert metrics.edge_f1(square_sketch(11, 11), square_sketch(10, 10), tolerance=2) == 1.0
    assert metrics.edge_f1(square_sketch(15, 15), square_sketch(10, 10), tolerance=2) < 0.1


def test_painting_everything_dark_does_not_score_well():
    """One-to-one matching, as in boundary benchmarks: covering every true line is not enough."""
    dark = np.zeros((1, 64, 64, 3), np.uint8)
    scores = metrics.edge_scores(dark, square_sketch(10, 10), tolerance=2)
    assert scores["recall"][0] == 1.0
    assert scores["f1"][0] < 0.2


def test_a_thicker_stroke_over_the_true_line_keeps_full_recall():
    thin = square_sketch(10, 10)
    thick = np.minimum(thin, np.roll(thin, 1, axis=2))  # each vertical line drawn 2 pixels wide
    scores = metrics.edge_scores(thick, thin, tolerance=2)
    assert scores["recall"][0] == 1.0
    assert scores["precision"][0] == (thin[0, ..., 0] == 0).sum() / (thick[0, ..., 0] == 0).sum()


def test_empty_edge_maps():
    blank, sketch = np.full((1, 64, 64, 3), 255, np.uint8), square_sketch(10, 10)
    assert metrics.edge_f1(blank, blank) == 1.0
    assert metrics.edge_f1(blank, sketch) == 0.0
    assert metrics.edge_f1(sketch, blank) == 0.0
    scores = metrics.edge_scores(np.concatenate([blank, sketch]), np.concatenate([sketch, blank]))
    np.testing.assert_array_equal(scores["precision"], [1.0, 0.0])
    np.testing.assert_array_equal(scores["recall"], [0.0, 1.0])


def test_swd_separates_distributions():
    same = metrics.sliced_wasserstein(noise(24, seed=1), noise(24, seed=2))
    different = metrics.sliced_wasserstein(noise(24, seed=1), gradients(24, seed=3))
    assert sorted(same["levels"]) == [16, 32, 64]
    assert different["mean"] > 10 * same["mean"]
    assert all(different["levels"][r] > 3 * same["levels"][r] for r in same["levels"])


def test_swd_is_reproducible_and_takes_unequal_sets():
    real, fake = gradients(20, seed=4), noise(12, seed=5)
    first, again, other_seed = (metrics.sliced_wasserstein(real, fake, patches_per_image=32, seed=seed)
                                for seed in (7, 7, 8))
    assert first == again
    assert first != other_seed


def test_structure_descriptors_ignore_background_tint_and_contrast():
    images = blobs(4)
    descriptors = metrics.structure_descriptors(images)
    tinted = images + np.array([0.1, 0.2, 0.05])
    lower_contrast = 0.45 + 0.5 * (images - 0.45)
    np.testing.assert_allclose(metrics.structure_descriptors(tinted), descriptors, atol=1e-6)
    np.testing.assert_allclose(metrics.structure_descriptors(lower_contrast), descriptors, atol=1e-6)
    assert descriptors.shape == (4, metrics.STRUCTURE_SIZE ** 2)
    np.testing.assert_allclose(np.linalg.norm(descriptors, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(descriptors.mean(axis=1), 0.0, atol=1e-9)
    assert np.abs(descriptors @ descriptors.T - np.eye(4)).max() > 0.1  # different layouts stay apart


def test_flat_images_have_zero_descriptors_and_other_sizes_are_rejected():
    np.testing.assert_allclose(metrics.structure_descriptors(np.full((2, 32, 32, 3), 0.6)), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="16x16 blocks"):
        metrics.structure_descriptors(np.zeros((1, 24, 24, 3)))


def test_structure_and_retrieval_reward_the_own_counterpart():
    target = blobs(16)
    assert metrics.retrieval_at_1(target, target) == 1.0
    assert metrics.structure_agreement(target, target) == pytest.approx(1.0)
    order = np.random.default_rng(1).permutation(len(target))
    shuffled = target[order]
    assert metrics.retrieval_at_1(shuffled, target) == np.mean(order == np.arange(len(target))) < 0.5
    assert metrics.structure_agreement(shuffled, target) < 0.8


def test_a_collapsed_translator_retrieves_at_chance_and_has_no_diversity():
    target = blobs(16)
    outputs = collapsed(target[0], len(target))
    assert metrics.l1(outputs[1:], outputs[:-1]) > 0.03  # to pixel distances the noisy copies differ
    assert metrics.retrieval_at_1(outputs, target) <= 2 / len(target)
    assert metrics.diversity(outputs, target) < 0.1


def test_diversity_of_real_images_is_about_one():
    target = blobs(16, seed=1)
    assert metrics.diversity(np.roll(target, 1, axis=0), target) == pytest.approx(1.0)
    assert 0.7 < metrics.diversity(blobs(16, seed=2), target) < 1.4


def test_faint_noise_on_a_blank_page_is_no_diversity():
    """Below MIN_CONTRAST a descriptor is not scaled up, else pooled noise would look like distinct layouts."""
    blank_pages = collapsed(np.full((64, 64, 3), 0.97), 16, noise=0.01)
    assert metrics.diversity(blank_pages, blobs(16)) < 0.1


def test_diversity_needs_two_images():
    assert metrics.diversity(blobs(1), blobs(4)) is None


def test_float_images_outside_unit_range_are_rejected():
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        metrics.l1(np.full((1, 8, 8, 3), -0.5), np.zeros((1, 8, 8, 3)))


def test_translation_metrics_are_json_ready():
    sketches = np.concatenate([square_sketch(10 + i, 10) for i in range(4)])
    bags = noise(4)
    paired = metrics.translation_metrics(
        {"input": bags, "translated": sketches, "reconstructed": bags, "target": sketches},
        paired=True, sketch_output=True)
    assert set(paired) == {"cycle_mse", "l1", "psnr", "ssim", "edge_f1", "structure", "retrieval_at_1",
                           "diversity", "swd"}
    assert all(type(value) is float for value in paired.values())
    assert paired["edge_f1"] == 1.0 and paired["cycle_mse"] == 0.0 and paired["retrieval_at_1"] == 1.0
    assert paired["structure"] == pytest.approx(1.0) and paired["diversity"] == pytest.approx(1.0)
    unpaired = metrics.translation_metrics(
        {"input": sketches, "translated": bags, "reconstructed": sketches, "target": noise(6, seed=9)},
        paired=False)
    assert [key for key, value in unpaired.items() if value is None] == ["l1", "psnr", "ssim", "edge_f1",
                                                                         "structure", "retrieval_at_1"]
    json.dumps(unpaired)
