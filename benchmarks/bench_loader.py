"""How fast the input pipeline delivers batches, and how much of a training step waits for it.

Prints JSON lines:
  loader: images/s of train_batches alone (A and B images counted), decoding every image ("decode",
    the cache turned off) and from the in-memory cache ("cached"), plus the memory the cached pipeline added.
  wait: medians of a DiscoGAN training step at --batch_size fed by the iterator and fed the same batch as
    arrays (feed_dict on the iterator's outputs, so no loader work); the waiting share is their difference
    over the iterator step. Steps alternate between the two so drift in a shared machine hits both alike.

    python benchmarks/bench_loader.py                       # a generated folder of 64x64 PNG files
    python benchmarks/bench_loader.py --dataset_dir /tmp/X  # a folder with trainA/ and trainB/
"""
import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from discogan.data import pipeline  # noqa: E402
from discogan.training.discogan import DiscoGAN  # noqa: E402

v1 = tf.compat.v1


def make_dataset(folder, count, size):
    """trainA/ and trainB/ with `count` smooth random PNG images each (noise compresses unlike photos)."""
    rng = np.random.default_rng(0)
    for domain in ("trainA", "trainB"):
        (folder / domain).mkdir(parents=True)
        for index in range(count):
            small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
            Image.fromarray(small).resize((size, size), Image.BICUBIC).save(folder / domain / f"{index}.png")
    return folder


def rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def loader_rate(files_a, files_b, batch_size, load_size, fine_size, batches):
    """Images/s over `batches` batches after a first batch that fills the shuffle buffer (and the cache)."""
    batch_ids = pipeline.iterations_per_epoch(files_a, files_b, len(files_a), batch_size)
    with tf.Graph().as_default():
        x_a, x_b = pipeline.train_batches(files_a, files_b, batch_size, batch_ids, load_size, fine_size, seed=0)
        step = tf.group(x_a, x_b)
        with v1.Session() as session:
            start = time.perf_counter()
            session.run(step)
            first = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(batches):
                session.run(step)
            return 2 * batch_size * batches / (time.perf_counter() - start), first


def loader(args, files_a, files_b):
    cache_limit = pipeline.CACHE_LIMIT_BYTES
    pipeline.CACHE_LIMIT_BYTES = 0
    decode_rate, _ = loader_rate(files_a, files_b, args.batch_size, args.load_size, args.fine_size, args.batches)
    pipeline.CACHE_LIMIT_BYTES = cache_limit
    before = rss_bytes()
    # Two epochs and more, so the cache is full and the shuffle has refilled its buffer from it.
    batches = 2 * pipeline.iterations_per_epoch(files_a, files_b, len(files_a), args.batch_size) + args.batches
    cached_rate, first = loader_rate(files_a, files_b, args.batch_size, args.load_size, args.fine_size, batches)
    cache_bytes = (len(files_a) + len(files_b)) * args.load_size ** 2 * 3
    return {"bench": "loader", "images_a": len(files_a), "images_b": len(files_b), "batch_size": args.batch_size,
            "load_size": args.load_size, "decode_images_per_s": round(decode_rate),
            "cached_images_per_s": round(cached_rate), "first_batch_s": round(first, 2),
            "cache_mb": round(cache_bytes / 1e6, 1), "peak_rss_growth_mb": round((rss_bytes() - before) / 1e6, 1)}


def waiting_share(args, dataset_dir):
    model = DiscoGAN(dataset_dir, batch_size=args.batch_size, load_size=args.load_size, fine_size=args.fine_size,
                     image_size=args.fine_size, seed=0, pool_size=0)
    inputs = model.graph.get_operation_by_name("IteratorGetNext").outputs
    train_op = model.train_step.iteration_ops[0]
    with v1.Session(graph=model.graph) as session:
        session.run(v1.global_variables_initializer())
        fixed = session.run(inputs)
        for _ in range(2):  # warm up both paths (and fill the cache)
            session.run(train_op)
            session.run(train_op, dict(zip(inputs, fixed)))
        times = {"iterator": [], "fed": []}
        for _ in range(args.steps):
            for kind, feed in (("iterator", None), ("fed", dict(zip(inputs, fixed)))):
                start = time.perf_counter()
                session.run(train_op, feed)
                times[kind].append(time.perf_counter() - start)
    iterator, fed = (statistics.median(times[kind]) for kind in ("iterator", "fed"))
    return {"bench": "wait", "batch_size": args.batch_size, "steps": args.steps,
            "step_iterator_s": round(iterator, 3), "step_fed_s": round(fed, 3),
            "waiting_share": round(max(iterator - fed, 0.0) / iterator, 4)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset_dir", help="folder with trainA/ and trainB/ (default: generate one)")
    parser.add_argument("--images", type=int, default=1000, help="images per generated domain")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--load_size", type=int, default=64)
    parser.add_argument("--fine_size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=30, help="timed loader batches")
    parser.add_argument("--steps", type=int, default=8, help="timed training steps of each kind")
    parser.add_argument("--skip_wait", action="store_true", help="measure the loader only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        dataset_dir = Path(args.dataset_dir or make_dataset(Path(temporary), args.images, args.load_size))
        files_a, files_b = (pipeline.domain_files(dataset_dir / domain, args.batch_size)
                            for domain in ("trainA", "trainB"))
        print(json.dumps(loader(args, files_a, files_b)), flush=True)
        if not args.skip_wait:
            v1.disable_eager_execution()
            print(json.dumps(waiting_share(args, dataset_dir)), flush=True)


if __name__ == "__main__":
    main()
