#!/usr/bin/env python3
"""The ceiling the training step's GFLOP/s is read against: one large matmul in TensorFlow on the same cores.

    python benchmarks/bench_matmul.py                 # 4096^3 in float32 and in bfloat16, one JSON line each
    python benchmarks/bench_matmul.py --size 2048 --repeats 10

A square matmul is the best case of the matrix units (AMX, AVX-512): a convolution step can come near it but not
above it. Each line names the processor and its vector and matrix flags, since the ceiling is theirs.
"""
import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from timing import run_seconds  # noqa: E402  (beside this script)

FLAGS_OF_INTEREST = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")


def matmul_gflops(size, dtype_name, repeats):
    """Median GFLOP/s (2 size^3 per product) of `repeats` size x size products in a v1 session, after one warm-up."""
    import numpy as np
    import tensorflow as tf

    from discogan.runtime.session import session_config

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        rng = np.random.default_rng(0)
        a = tf.cast(tf.constant(rng.standard_normal((size, size), np.float32)), dtype_name)
        b = tf.cast(tf.constant(rng.standard_normal((size, size), np.float32)), dtype_name)
        a, b = tf.Variable(a), tf.Variable(b)
        # one element of the product is fetched, so the fetch copies nothing large
        product = tf.reduce_sum(tf.cast(tf.matmul(a, b)[0, 0], tf.float32))
        init = v1.global_variables_initializer()
    with v1.Session(graph=graph, config=session_config("float32")) as sess:
        sess.run(init)
        sess.run(product)
        times = run_seconds(sess, product, repeats)
    return 2 * size ** 3 / statistics.median(times) / 1e9, statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtype", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16"])
    args = parser.parse_args()
    from bench_app_load import processor_name  # beside this script
    from discogan.runtime.precision import cpu_flags

    name, flags = processor_name(), cpu_flags(FLAGS_OF_INTEREST)
    for dtype in args.dtype:
        gflops, seconds = matmul_gflops(args.size, dtype, args.repeats)
        print(json.dumps({"benchmark": "matmul", "dtype": dtype, "size": args.size, "seconds": round(seconds, 4),
                          "gflops_per_s": round(gflops, 1), "processor": name, "flags": flags,
                          "cores": len(os.sched_getaffinity(0))}), flush=True)


if __name__ == "__main__":
    main()
