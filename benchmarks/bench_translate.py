"""Translation throughput: images/s at batch 1 and 64, one JSON line each.

    python benchmarks/bench_translate.py --steps 20

The graph is built once and the generator is randomly initialised (the speed does not depend on the weights),
so no trained model is needed; the images are already at the model's size, as after `Translator.resize`.
"""
import json
import os
import sys
import time

import fire
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from discogan.gan.networks import Architecture  # noqa: E402
from discogan.inference.translator import IMAGES_KEY, Translator, build_translation  # noqa: E402
from discogan.runtime.session import session_config  # noqa: E402

v1 = tf.compat.v1


def bench(steps=20, batch_sizes=(1, 64), image_size=64, gf=64, direction="AtoB", warmup=2):
    """Print {"batch_size", "images_per_s", ...} per batch size, after `warmup` untimed runs."""
    graph = tf.Graph()
    with graph.as_default():
        images = v1.placeholder(tf.uint8, [None, None, None, 3], IMAGES_KEY)
        translated = build_translation(images, direction, Architecture(image_size, gf))
        initialise = v1.global_variables_initializer()
    session = v1.Session(graph=graph, config=session_config())
    session.run(initialise)
    with Translator(session, images, translated) as translator:
        rng = np.random.RandomState(0)
        for batch_size in batch_sizes:
            batch = rng.randint(0, 256, (batch_size, image_size, image_size, 3)).astype(np.uint8)
            for _ in range(warmup):
                translator.translate(batch)
            start = time.perf_counter()
            for _ in range(steps):
                translator.translate(batch)
            seconds = time.perf_counter() - start
            print(json.dumps({"benchmark": "translate", "direction": direction, "batch_size": batch_size,
                              "steps": steps, "image_size": image_size, "gf": gf, "weights": "random",
                              "images_per_s": round(batch_size * steps / seconds, 1),
                              "ms_per_batch": round(1000 * seconds / steps, 2),
                              "tensorflow": tf.__version__, "cpus": os.cpu_count()}), flush=True)


if __name__ == "__main__":
    fire.Fire(bench, serialize=lambda _: None)
