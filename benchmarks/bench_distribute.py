#!/usr/bin/env python3
"""The cost of replicating the training step (--devices, discogan.training.distributed) on this machine: the same
global batch on 1 device and on N replicas, each configuration in a fresh process, one JSON line each and a last
line with the overhead.

    python benchmarks/bench_distribute.py                      # 1 device against 2 replicas, batch 16
    python benchmarks/bench_distribute.py --devices 4 --batch 32 --steps 20

Without GPUs the replicas are logical CPU devices on the same cores: they do the same arithmetic as one device
plus the reductions and the second copy of every variable update, so the figure is the overhead of replication,
not a speed-up (which needs a device per replica).
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from timing import run_seconds  # noqa: E402  (beside this script)


def run_replicated(devices, batch, steps, warmup, gf):
    """Seconds per training step of the book's step on `devices` replicas, on one in-memory global batch."""
    import numpy as np

    from discogan.gan.train_step import build_train_step, training_session_config
    from discogan.options.config import TrainConfig
    from discogan.runtime.tf_compat import tf, v1
    from discogan.training import distributed

    config = TrainConfig(batch_size=batch, devices=devices, gf=gf, df=gf, precision="float32")
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(0)
        images = np.random.default_rng(0).uniform(-1, 1, (2, batch, 64, 64, 3)).astype(np.float32)
        # The same kind of input DiscoGAN trains on: a prefetching tf.data iterator, here over one batch.
        dataset = tf.data.Dataset.from_tensors((images[0], images[1])).repeat().prefetch(2)
        strategy = distributed.strategy_for(config)
        with distributed.scope(strategy):
            global_step = v1.train.get_or_create_global_step()
            if strategy:
                step = distributed.replicated_train_step(strategy, dataset, config.l_r, global_step, config,
                                                         "float32")
                starts = [v1.global_variables_initializer(), step.input_initializer]
            else:
                x_a, x_b = v1.data.make_one_shot_iterator(dataset).get_next()
                step = build_train_step(x_a, x_b, config.l_r, global_step, config)
                starts = [v1.global_variables_initializer()]
    session_config = distributed.session_config(strategy, training_session_config("float32"), 0)
    fetches = [step.iteration_ops[0], step.losses]
    with v1.Session(graph=graph, config=session_config) as session:
        session.run(starts)
        for _ in range(warmup):
            session.run(fetches)
        times = run_seconds(session, fetches, steps)
    return {"devices": devices, "batch": batch, "per_replica_batch": batch // devices, "gf": gf, "steps": steps,
            "step_s": round(statistics.fmean(times), 4), "step_s_median": round(statistics.median(times), 4),
            "version": tf.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=2, help="replicas to compare with one device")
    parser.add_argument("--batch", type=int, default=16, help="the global batch, the same in both")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--gf", type=int, default=64, help="--gf and --df of the networks")
    parser.add_argument("--in-process", type=int, metavar="DEVICES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        print(json.dumps(run_replicated(args.in_process, args.batch, args.steps, args.warmup, args.gf)))
        return
    results = []
    for devices in (1, args.devices):
        command = [sys.executable, __file__, "--batch", str(args.batch), "--steps", str(args.steps), "--warmup",
                   str(args.warmup), "--gf", str(args.gf), "--in-process", str(devices)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    one, replicated = results
    print(json.dumps({"devices": args.devices, "batch": args.batch,
                      "overhead": round(replicated["step_s_median"] / one["step_s_median"] - 1, 3)}))


if __name__ == "__main__":
    main()
