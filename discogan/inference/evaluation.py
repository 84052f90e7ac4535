"""Translation quality of a model: the numbers behind `python -m discogan.evaluate` and training's eval/ scalars.

Both generators run in inference mode over the split's A and B images. Reported per direction (a2b, b2a): cycle
reconstruction error, and on paired splits (the same file stem in valA and valB, as image_split writes) L1, PSNR,
SSIM, for a sketch output domain edge F1, and the faithfulness of the coarse structure (agreement with the true
counterpart, and retrieval@1: is the counterpart the best match among all targets?); plus, needing no pairs, the
diversity of the outputs' structure (mode collapse scores ~0) and the sliced Wasserstein distance between real and
generated patches; where both domains are photos (handbags <-> shoes), whether each translation keeps its input
object's colour, palette and texture (discogan/scores/colour_metrics.py); and what small judges trained on the
split's own images make of the translations: do they read as the target domain, do they wear their input's print
where the split records prints (discogan/inference/judges.py). Four reference points give the numbers a scale: the
same network untrained (same seed), the trivial translator that outputs the target domain's mean image, a realistic
translator that ignores its input (each translation is the real target-domain image of the next input), and the
identity, perfectly faithful but not realistic. See discogan/scores/metrics.py.
"""
from pathlib import Path

import numpy as np

from discogan.data import pipeline
from discogan.data.dataset_record import run_domain
from discogan.data.image_io import list_images, to_uint8
from discogan.gan import networks
from discogan.gan.weight_average import has_averages
from discogan.data.labels import read_labels
from discogan.inference.judges import KEYS as JUDGE_KEYS, SplitJudges
from discogan.inference.translator import CycleModel
from discogan.options.config import check_whole
from discogan.runs import checkpoint
from discogan.scores import colour_metrics, metrics

DIRECTIONS = ("a2b", "b2a")
REFERENCES = ("untrained", "mean_image", "real_shuffled", "identity")
LAST_WEIGHTS = "last_weights"  # a run with averaged weights (--ema_decay) is also scored with its last ones
METRIC_KEYS = ("cycle_mse", "l1", "psnr", "ssim", "edge_f1", "structure", "retrieval_at_1", "diversity", "swd",
               *colour_metrics.KEYS, *JUDGE_KEYS)
JUDGE_TRAIN_LIMIT = 1000  # training images per domain the judges learn from: enough for seconds of training
SKETCH_DOMAINS = ("auto", "A", "B", "none")


def in_batches(run_cycle, images_a, images_b, batch_size):
    """run_cycle over aligned batches of A and B (the shorter domain is cycled to the longer's length)."""
    count = max(len(images_a), len(images_b))
    index_a, index_b = np.arange(count) % len(images_a), np.arange(count) % len(images_b)
    parts = [run_cycle(images_a[index_a[i:i + batch_size]], images_b[index_b[i:i + batch_size]])
             for i in range(0, count, batch_size)]
    x_ab, x_aba, x_ba, x_bab = (np.concatenate(part) for part in zip(*parts))
    return x_ab[:len(images_a)], x_aba[:len(images_a)], x_ba[:len(images_b)], x_bab[:len(images_b)]


def is_sketch_domain(images):
    """Sketches are grey lines on a mostly white page: almost no colour and a bright mean."""
    unit = (np.asarray(images, np.float32) + 1.0) / 2.0
    colourfulness = float(np.mean(unit.max(axis=-1) - unit.min(axis=-1)))
    return colourfulness < 0.03 and float(unit.mean()) > 0.7


def sketch_output(sketch_domain, images_a, images_b):
    """Which direction draws sketches: (a2b outputs sketches, b2a outputs sketches)."""
    if sketch_domain not in SKETCH_DOMAINS:
        raise ValueError(f"--sketch_domain must be one of {', '.join(SKETCH_DOMAINS)}, got {sketch_domain!r}")
    if sketch_domain == "auto":
        return is_sketch_domain(images_b), is_sketch_domain(images_a)
    return sketch_domain == "B", sketch_domain == "A"


def recorded_sketch_domain(record):
    """The sketch_domain a run's dataset.json implies (A, B or none); auto, to detect it, where it records nothing."""
    entries = [run_domain(record, letter) for letter in "AB"]
    if not all(entries):
        return "auto"
    sketches = [letter for letter, entry in zip("AB", entries) if entry.get("sketch")]
    return sketches[0] if len(sketches) == 1 else "none" if not sketches else "auto"


def direction_scores(images, paired, sketch_output, colour, seed, judged):
    """One direction's metrics: discogan.scores.metrics', colour_metrics' where both domains are photos, and the
    judges' (`judged`, a dict, empty without judges)."""
    return {**metrics.translation_metrics(images, paired, sketch_output, seed),
            **(colour_metrics.colour_scores(images["input"], images["translated"]) if colour
               else dict.fromkeys(colour_metrics.KEYS)), **dict.fromkeys(JUDGE_KEYS), **judged}


def score(cycle_outputs, images_a, images_b, paired, sketch_domain="auto", seed=0, judges=None):
    """Metrics per direction from the four cycle outputs (all in [-1, 1]); JSON-ready floats. `judges` (a
    SplitJudges of these held-out images, or None) adds whether each translation reads as its target domain
    and keeps its input's print."""
    x_ab, x_aba, x_ba, x_bab = (to_uint8(x) for x in cycle_outputs)
    real_a, real_b = to_uint8(images_a), to_uint8(images_b)
    sketch_b, sketch_a = sketch_output(sketch_domain, images_a, images_b)
    photos = not (sketch_a or sketch_b)

    def judged(direction, translated):
        return judges.scores(direction, np.asarray(translated, np.float32)) if judges else {}
    return {
        "a2b": direction_scores({"input": real_a, "translated": x_ab, "reconstructed": x_aba, "target": real_b},
                                paired, sketch_b, photos, seed, judged("a2b", cycle_outputs[0])),
        "b2a": direction_scores({"input": real_b, "translated": x_ba, "reconstructed": x_bab, "target": real_a},
                                paired, sketch_a, photos, seed, judged("b2a", cycle_outputs[2])),
    }


def mean_image_outputs(images_a, images_b):
    """The trivial translator's cycle: every translation is the target domain's mean image."""
    mean_a, mean_b = images_a.mean(axis=0), images_b.mean(axis=0)
    return (np.broadcast_to(mean_b, images_a.shape), np.broadcast_to(mean_a, images_a.shape),
            np.broadcast_to(mean_a, images_b.shape), np.broadcast_to(mean_b, images_b.shape))


def real_shuffled_outputs(images_a, images_b):
    """A translator with perfectly real outputs that ignores its input: image i becomes the real image i + 1 of
    the other domain. It is the floor of swd, and on the paired metrics it shows what realism alone scores."""
    next_b = images_b[(np.arange(len(images_a)) + 1) % len(images_b)]
    next_a = images_a[(np.arange(len(images_b)) + 1) % len(images_a)]
    return next_b, np.roll(images_a, -1, axis=0), next_a, np.roll(images_b, -1, axis=0)


def identity_outputs(images_a, images_b):
    """The translator that returns its input: perfectly faithful but not realistic, so it shows what the
    structure metrics (retrieval_at_1 above all) give for keeping the input's layout exactly."""
    return images_a, images_a, images_b, images_b


def split_files(dataset_dir, split, limit=None):
    """(files A, files B, paired): paired when both folders hold the same file stems, then aligned by stem."""
    folders = [Path(dataset_dir) / f"{split}{domain}" for domain in "AB"]
    files = []
    for folder in folders:
        found = list_images(folder)
        if not found:
            raise ValueError(f"{folder} holds no images")
        files.append(found)
    by_stem = [{path.stem: path for path in domain_files} for domain_files in files]
    paired = by_stem[0].keys() == by_stem[1].keys()
    if paired:
        stems = sorted(by_stem[0])[:limit]
        files = [[domain[stem] for stem in stems] for domain in by_stem]
    else:
        files = [domain_files[:limit] for domain_files in files]
    return files[0], files[1], paired


def load_split(dataset_dir, split, image_size, limit=None):
    """(images A, images B, paired) of split_files' files."""
    files_a, files_b, paired = split_files(dataset_dir, split, limit)
    return pipeline.load_batch(files_a, image_size), pipeline.load_batch(files_b, image_size), paired


def split_judges(dataset_dir, split, held_out, image_size, limit=None, seed=0):
    """The SplitJudges of DATASET_DIR/{split}A and {split}B's images, `held_out` (images A, images B) as
    load_split gave them with the same `limit`, trained on up to
    JUDGE_TRAIN_LIMIT images of trainA and trainB; with a print judge where the dataset records every one of
    those images' print (discogan.data.labels). None without training images to learn from."""
    dataset_dir = Path(dataset_dir)
    train_files = [list_images(dataset_dir / f"train{domain}", warn=False)[:JUDGE_TRAIN_LIMIT]
                   if (dataset_dir / f"train{domain}").is_dir() else [] for domain in "AB"]
    if not all(train_files):
        return None
    held_out_files = split_files(dataset_dir, split, limit)[:2]
    prints = read_labels(dataset_dir, "print")

    def recorded(files):
        return [prints.get(f"{path.parent.name}/{path.name}") for path in files]
    (train_a, files_a), (train_b, files_b) = (pipeline.load_readable(files, image_size) for files in train_files)
    train_prints, held_out_prints = [recorded(files_a), recorded(files_b)], [recorded(f) for f in held_out_files]
    with_prints = all(None not in labels for labels in (*train_prints, *held_out_prints))
    return SplitJudges(train_a, train_b, held_out[:2], train_prints if with_prints else None,
                       held_out_prints if with_prints else None, seed)


def format_table(results):
    """A plain-text table: one row per metric, the model and every reference for each direction."""
    sources = ["model", *(source for source in (LAST_WEIGHTS, *REFERENCES) if source in results)]
    columns = [(direction, source) for direction in DIRECTIONS for source in sources]
    width = max(len(key) for key in ("metric", *METRIC_KEYS)) + 1
    header = f"{'metric':<{width}}" + "".join(f"{direction + ' ' + source:>19}" for direction, source in columns)
    lines = [header, "-" * len(header)]
    for key in METRIC_KEYS:
        cells = []
        for direction, source in columns:
            value = (results if source == "model" else results[source])[direction][key]
            cells.append(f"{'-' if value is None else f'{value:.4f}':>19}")
        lines.append(f"{key:<{width}}" + "".join(cells))
    return "\n".join(lines)


def score_references(images_a, images_b, paired, sketch_domain="auto", seed=0, judges=None):
    """The scores of the translators that need no network: mean image, real shuffled and identity."""
    return {name: score(outputs(images_a, images_b), images_a, images_b, paired, sketch_domain, seed, judges)
            for name, outputs in (("mean_image", mean_image_outputs), ("real_shuffled", real_shuffled_outputs),
                                  ("identity", identity_outputs))}


def evaluate_checkpoint(checkpoint_dir, dataset_dir, split="val", limit=None, batch_size=64, sketch_domain="auto",
                        seed=0):
    """The JSON-ready scores of a checkpoint on DATASET_DIR/{split}A and {split}B, with every reference point; for a
    run trained with --ema_decay, the model is its averaged weights and LAST_WEIGHTS its last ones."""
    check_whole("batch_size", batch_size)
    folder, prefix, record = checkpoint.resolve_checkpoint(checkpoint_dir)
    architecture = networks.Architecture.of(record)
    if sketch_domain == "auto":
        sketch_domain = recorded_sketch_domain(record)
    images_a, images_b, paired = load_split(dataset_dir, split, architecture.image_size, limit)
    results = {"checkpoint": prefix, "dataset_dir": str(dataset_dir), "split": split, "paired": paired,
               "count": {"A": len(images_a), "B": len(images_b)}}
    judges = split_judges(dataset_dir, split, (images_a, images_b), architecture.image_size, limit, seed)
    scored = [("model", prefix, True), ("untrained", None, True)]
    if has_averages(checkpoint.variable_shapes(prefix)):
        scored.append((LAST_WEIGHTS, prefix, False))
    for name, restored, averaged in scored:
        model = CycleModel(architecture, restored, folder, record, seed, averaged)
        try:
            outputs = in_batches(model.run, images_a, images_b, batch_size)
        finally:
            model.close()
        scores = score(outputs, images_a, images_b, paired, sketch_domain, seed, judges)
        if name == "model":
            results.update(scores)
        else:
            results[name] = scores
    results.update(score_references(images_a, images_b, paired, sketch_domain, seed, judges))
    if judges:
        judges.close()
    return results
