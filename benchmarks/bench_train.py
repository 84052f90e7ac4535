#!/usr/bin/env python3
"""Training throughput of DiscoGAN's real training step (model.build_train_step) on in-memory images.

    python benchmarks/bench_train.py                     # batch 8 and 64, one JSON line each
    python benchmarks/bench_train.py --batch 64 --steps 10
    python benchmarks/bench_train.py --vs-peer VENV/bin/python --pairs 3   # VENV: benchmarks/peers/requirements.txt
    python benchmarks/bench_train.py --batch 16 --recipe official --precision float32 bfloat16

--precision (default: every precision this machine runs natively: float32, bfloat16 where the processor has
avx512_bf16 or amx_bf16, float16 where there is a GPU) gives one line per precision.

Each configuration runs in a fresh process, so its peak RSS and thread pools are its own. --vs-peer alternates
runs of this benchmark (every precision) and of the PyTorch peer (benchmarks/peers/speed.py: the official
DiscoGAN networks) in every setting a PyTorch user would pick here (float32; bfloat16 autocast, alone and with
channels_last, where the processor has native bfloat16), so that load from other processes falls on all alike.
It does so for the recipe's step at each batch size and for the recommended recipe's (official, batch 16), and
prints per step the headline ratio, ours at its best precision over the peer at its best setting, and the
ratios against each peer setting.
Without --vs-peer it also prints the JSON lines of bench_translate.py (translation images/s at
batch 1 and 64) and of bench_loader.py --skip_wait (the input pipeline alone).
"""
import argparse
import collections
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BATCHES = (8, 64)
RECOMMENDED_STEP = ("official", 16)  # the recommended CPU recipe: --recipe official --batch_size 16
IMAGE_SIZE = 64
# The MAC counts of these ops follow from their shapes; everything else in the step is elementwise.
CONV_OPS = ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MatMul", "BatchMatMulV2")


def step_flops(train_op):
    """FLOPs (2 per multiply-add) of the convolutions and matmuls that one run of `train_op` executes."""
    seen, stack, flops = set(), [train_op], 0
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
        if op.type in ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"):
            # Every one of these is a contraction over the filter [kh, kw, cin, cout] at each output-side
            # position of the forward conv, whose activation the Conv2D output / backprop input is.
            filter_shape = (op.inputs[1] if op.type != "Conv2DBackpropFilter" else op.outputs[0]).shape
            forward_output = op.outputs[0] if op.type == "Conv2D" else op.inputs[2]
            kh, kw, cin, _ = filter_shape.as_list()
            flops += 2 * kh * kw * cin * forward_output.shape.num_elements()
        elif op.type in ("MatMul", "BatchMatMulV2"):
            a, b = op.inputs[0].shape, op.outputs[0].shape
            contracted = a[-2] if op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x") else a[-1]
            flops += 2 * contracted * b.num_elements()
    return flops


def kernel_time_by(step_stats, label, key, count=None):
    """Rows {key: label, "ms", "share"} of one traced step's summed kernel time (both cores) per `label(node)`,
    the largest first, at most `count` of them."""
    totals = collections.Counter()
    for device in step_stats.dev_stats:
        for node in device.node_stats:
            totals[label(node)] += node.all_end_rel_micros
    whole = sum(totals.values())
    return [{key: name, "ms": round(micros / 1000, 1), "share": round(micros / whole, 3)}
            for name, micros in totals.most_common(count)]


def top_ops(step_stats, count=15):
    """Op types by their summed kernel time in one traced step, with shares of the total (both cores)."""
    def op_type(node):
        label = node.timeline_label
        return label.split(" = ", 1)[1].split("(", 1)[0] if " = " in label else node.node_name
    return kernel_time_by(step_stats, op_type, "op", count)


def top_networks(step_stats):
    """Networks by their summed kernel time in one traced step, forward and gradients together, with shares of
    the total: a node's first scope with the suffix of a reused copy dropped (generator_AB_2 -> generator_AB);
    the losses' own ops, the optimisers and the rest as one row."""
    from discogan.gan.networks import DISCRIMINATOR_SCOPE, GENERATOR_SCOPE

    def network(node):
        scopes = node.node_name.split("/")
        scope = scopes[1] if scopes[0] == "gradients" and len(scopes) > 1 else scopes[0]
        return re.sub(r"_\d+$", "", scope) if scope.startswith((GENERATOR_SCOPE, DISCRIMINATOR_SCOPE)) else "the rest"
    return kernel_time_by(step_stats, network, "network")


def available_precisions():
    """float32, and the mixed precisions this machine has hardware for."""
    from discogan.runtime.precision import cpu_bfloat16_flags, gpus
    return ["float32"] + ["bfloat16"] * bool(cpu_bfloat16_flags()) + ["float16"] * bool(gpus())


def peer_settings():
    """The peer's flags for each setting a PyTorch user would choose on this machine: float32, and where the
    processor has native bfloat16, autocast to it alone and with channels_last."""
    from discogan.runtime.precision import cpu_bfloat16_flags
    return [[]] + [["--bf16"], ["--bf16", "--channels_last"]] * bool(cpu_bfloat16_flags())


def build_step(batch, precision="float32", recipe="book"):
    """DiscoGAN's training step on random in-memory batches, in a graph of its own: (graph, cycle, flops, init).

    `cycle` is the recipe's iteration: one dict of session.run fetches per iteration op (the book's G+D op, or
    the authors' D, G, G); `flops` counts the convolutions and matmuls of the whole cycle.
    """
    import numpy as np
    import tensorflow as tf

    from discogan.options.config import TrainConfig
    from discogan.gan.train_step import build_train_step

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(0)
        rng = np.random.default_rng(0)
        images = rng.uniform(-1, 1, (2, batch, IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)
        # The same kind of input DiscoGAN trains on: a prefetching tf.data iterator, here over one batch.
        dataset = tf.data.Dataset.from_tensors((images[0], images[1])).repeat().prefetch(2)
        x_a, x_b = v1.data.make_one_shot_iterator(dataset).get_next()
        global_step = v1.train.get_or_create_global_step()
        config = TrainConfig.create(recipe, batch_size=batch)
        step = build_train_step(x_a, x_b, 2e-4, global_step, config, precision)
        cycle = [{"train": op, "d_loss": step.losses["d_loss"], "g_loss": step.losses["g_loss"]}
                 for op in step.iteration_ops]
        flops = sum(step_flops(op) for op in step.iteration_ops)
        init = v1.global_variables_initializer()
    return graph, cycle, flops, init


def run_cycle(sess, cycle, precision, **trace):
    """One iteration of the recipe; a non-finite loss stops the benchmark."""
    import numpy as np

    losses = [sess.run(fetches, **trace) for fetches in cycle]
    if not all(np.isfinite([value["d_loss"], value["g_loss"]]).all() for value in losses):
        raise FloatingPointError(f"non-finite loss in {precision}: {losses}")


def run_ours(batch, steps, warmup, profile=None, precision="float32", recipe="book", thread_pools="training"):
    """Build DiscoGAN's training step on random in-memory batches and time `steps` iterations after warm-up.

    One timed iteration is one cycle of the recipe's iteration ops: the book's G+D op, or the authors' D, G, G
    (counted as three iterations). With `profile`, one more cycle runs traced: its Chrome trace goes to that file
    and the top ops and networks to stderr. `thread_pools` "training" sizes them as training does, "default" leaves
    TensorFlow's (bench_threads.py compares the two).
    """
    import tensorflow as tf

    from discogan.gan.train_step import training_session_config
    from discogan.runtime.session import session_config

    v1 = tf.compat.v1
    config = training_session_config(precision) if thread_pools == "training" else session_config(precision)
    build_start = time.perf_counter()
    graph, cycle, flops, init = build_step(batch, precision, recipe)

    with v1.Session(graph=graph, config=config) as sess:
        sess.run(init)
        run_cycle(sess, cycle, precision)  # the first runs prune, optimise and place the graph: part of building it
        build_s = time.perf_counter() - build_start
        for _ in range(warmup):
            run_cycle(sess, cycle, precision)
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            run_cycle(sess, cycle, precision)
            times.append((time.perf_counter() - start) / len(cycle))
        if profile:
            from tensorflow.python.client import timeline
            metadata = v1.RunMetadata()
            run_cycle(sess, cycle, precision, options=v1.RunOptions(trace_level=v1.RunOptions.FULL_TRACE),
                      run_metadata=metadata)
            Path(profile).write_text(timeline.Timeline(metadata.step_stats).generate_chrome_trace_format())
            for row in top_ops(metadata.step_stats) + top_networks(metadata.step_stats):
                print(json.dumps(row), file=sys.stderr)
    step_s = statistics.fmean(times)  # the peer's measure: total time over steps
    return {"impl": "discogan-tf", "version": tf.__version__, "precision": precision, "recipe": recipe,
            "batch": batch, "thread_pools": thread_pools, "intra_op_threads": config.intra_op_parallelism_threads,
            "inter_op_threads": config.inter_op_parallelism_threads, "steps": steps,
            "step_s": round(step_s, 4), "step_s_median": round(statistics.median(times), 4),
            "pairs_per_s": round(batch / step_s, 2),
            "graph_build_s": round(build_s, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "flops_per_step": round(flops / len(cycle)), "flops_source": "conv/matmul op shapes of the train_op graph",
            "gflops_per_s": round(flops / len(cycle) / step_s / 1e9, 1)}


def run_json(command):
    """Run one benchmark process and return its last JSON line."""
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def ours_command(args, batch, precision, recipe, thread_pools="training"):
    return [sys.executable, __file__, "--batch", str(batch), "--steps", str(args.steps), "--warmup",
            str(args.warmup), "--precision", precision, "--recipe", recipe, "--thread-pools", thread_pools,
            "--in-process"]


def vs_peer(args, batches, precisions):
    """For each step compared, alternate ours (every precision) and the peer (every setting) --pairs times,
    printing every run, then the ratio lines of that step."""
    peer_script = (REPO / args.peer_script).resolve()
    steps = [(args.recipe, batch) for batch in batches]
    steps += [RECOMMENDED_STEP] * (RECOMMENDED_STEP not in steps)
    for recipe, batch in steps:
        ours, peer = collections.defaultdict(list), collections.defaultdict(list)  # setting: pairs/s per pair
        for _ in range(args.pairs):
            for precision in precisions:
                line = run_json(ours_command(args, batch, precision, recipe))
                print(json.dumps(line), flush=True)
                ours[line["precision"]].append(line["pairs_per_s"])
            for setting in peer_settings():
                line = run_json([args.vs_peer, str(peer_script), "--recipe", recipe, "--batch", str(batch),
                                 "--steps", str(args.steps), "--warmup", str(args.warmup), *setting])
                print(json.dumps(line), flush=True)
                peer[line["setting"]].append(line["pairs_per_s"])
        for line in ratio_lines(recipe, batch, ours, peer):
            print(json.dumps(line), flush=True)


def ratio_lines(recipe, batch, ours, peer):
    """The headline (ours at its best precision over the peer at its best setting, best by median pairs/s), then
    one line per peer setting with each precision's ratio to it: medians of the per-pair ratios."""
    def median_ratio(ours_runs, peer_runs):
        return round(statistics.median(o / p for o, p in zip(ours_runs, peer_runs)), 3)

    def best(runs):
        return max(runs, key=lambda setting: statistics.median(runs[setting]))

    def median_speed(runs):
        return round(statistics.median(runs), 2)

    best_ours, best_peer = best(ours), best(peer)
    yield {"recipe": recipe, "batch": batch, "headline": "ours best / peer best", "ours": best_ours,
           "peer": best_peer, "ours_pairs_per_s": median_speed(ours[best_ours]),
           "peer_pairs_per_s": median_speed(peer[best_peer]), "ratio": median_ratio(ours[best_ours], peer[best_peer]),
           "ratios": [round(o / p, 3) for o, p in zip(ours[best_ours], peer[best_peer])]}
    for setting, runs in peer.items():
        yield {"recipe": recipe, "batch": batch, "peer": setting, "peer_pairs_per_s": median_speed(runs),
               "ratio_ours_over_peer": {precision: median_ratio(ours_runs, runs)
                                        for precision, ours_runs in ours.items()}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, help="one batch size (default: 8 and 64)")
    parser.add_argument("--steps", type=int, default=5, help="timed iterations")
    parser.add_argument("--warmup", type=int, default=2, help="untimed iterations after the first")
    parser.add_argument("--vs-peer", metavar="PYTHON", help="an interpreter with torch to run the peer with (a "
                        "venv of benchmarks/peers/requirements.txt)")
    parser.add_argument("--peer-script", default="benchmarks/peers/speed.py",
                        help="the peer benchmark, relative to the repository root")
    parser.add_argument("--pairs", type=int, default=3, help="alternating ours/peer rounds per step compared")
    parser.add_argument("--profile", metavar="TRACE_JSON", help="trace one more step (with --batch): Chrome trace "
                        "to this file, top ops and networks to stderr")
    parser.add_argument("--training-only", action="store_true",
                        help="skip the translation (bench_translate.py) and loader (bench_loader.py) lines")
    parser.add_argument("--precision", nargs="+", choices=("float32", "bfloat16", "float16"),
                        help="precisions to time (default: float32 and each mixed precision this machine has "
                             "hardware for)")
    parser.add_argument("--recipe", default="book", choices=("book", "official", "colour"),
                        help="the training recipe whose iteration is timed (default: book, the peer's G+D step)")
    parser.add_argument("--thread-pools", default="training", choices=("training", "default"),
                        help="training: the pools training uses (on a CPU, one share of the cores per direction "
                             "of the cycle); default: TensorFlow's")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    batches = [args.batch] if args.batch else list(BATCHES)
    precisions = args.precision or available_precisions()
    if args.vs_peer:
        vs_peer(args, batches, precisions)
    elif args.in_process or args.profile:
        print(json.dumps(run_ours(batches[0], args.steps, args.warmup, args.profile, precisions[0], args.recipe,
                                  args.thread_pools)),
              flush=True)
    else:
        for batch in batches:
            for precision in precisions:
                print(json.dumps(run_json(ours_command(args, batch, precision, args.recipe))), flush=True)
        if not args.training_only:
            for script, options in (("bench_translate.py", ["--steps", "10"]), ("bench_loader.py", ["--skip_wait"])):
                print(subprocess.run([sys.executable, str(Path(__file__).with_name(script)), *options], check=True,
                                     capture_output=True, text=True).stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
