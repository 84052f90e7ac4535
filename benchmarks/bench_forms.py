"""What each faster form of the 4x4 stride-2 conv (discogan/gan/cpu_forms.py) gains in a training step, on this machine.

    python benchmarks/bench_forms.py --precision bfloat16 --batch 64 --rounds 20
    python benchmarks/bench_forms.py --precision float32 --batch 16 --recipe official

The step as shipped and the same step with one form switched off are built side by side in one process, and
their iterations alternate for --rounds rounds, so that drift in the host's speed falls on all alike (on a
shared 2-core machine separate processes differ by 10-15% from run to run; pairs within a round much less).
Prints one JSON line per variant: its median pairs/s and the median and quartiles of the per-round ratio of the
shipped step's speed to the variant's (above 1: the form gains).
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_train import available_precisions, build_step, run_cycle  # noqa: E402


def variants(precision):
    """name -> (IMAGE_SIDE_MAX_CHANNELS, WINDOW_GRADIENT_MAX_SIDE[precision]) of that variant of the step."""
    from discogan.gan import cpu_forms

    channels, side = cpu_forms.IMAGE_SIDE_MAX_CHANNELS, cpu_forms.WINDOW_GRADIENT_MAX_SIDE[precision]
    options = {"shipped": (channels, side), "without the image-side block form": (0, side),
               "without the window weight gradient": (channels, 0)}
    for other in (8, 16, 32):
        if other != side:
            options[f"window weight gradient up to {other}x{other}"] = (channels, other)
    return options


def build_variant(channels, side, batch, precision, recipe):
    """The step built with cpu_forms.py's image-side channels and window side set to `channels` and `side`, then
    the shipped settings restored."""
    from discogan.gan import cpu_forms

    shipped = cpu_forms.IMAGE_SIDE_MAX_CHANNELS, cpu_forms.WINDOW_GRADIENT_MAX_SIDE[precision]
    cpu_forms.IMAGE_SIDE_MAX_CHANNELS, cpu_forms.WINDOW_GRADIENT_MAX_SIDE[precision] = channels, side
    try:
        return build_step(batch, precision, recipe)
    finally:
        cpu_forms.IMAGE_SIDE_MAX_CHANNELS, cpu_forms.WINDOW_GRADIENT_MAX_SIDE[precision] = shipped


def quartiles(values):
    low, _, high = statistics.quantiles(values, n=4)
    return [round(low, 4), round(high, 4)]


def paired_arguments(description, rounds, rounds_help, warmup_help, extra=()):
    """(args, precision) of a benchmark that alternates variants of the training step for --rounds rounds and
    reports the per-round ratios' median and quartiles; `extra`: (flag, keywords) of its own options."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--precision", choices=("float32", "bfloat16", "float16"),
                        help="default: the fastest this machine has hardware for")
    parser.add_argument("--recipe", default="book", choices=("book", "official"))
    parser.add_argument("--rounds", type=int, default=rounds, help=rounds_help)
    parser.add_argument("--warmup", type=int, default=2, help=warmup_help)
    for flag, keywords in extra:
        parser.add_argument(flag, **keywords)
    args = parser.parse_args()
    if args.rounds < 4:
        parser.error("--rounds must be at least 4 (the ratio's quartiles need them)")
    return args, args.precision or available_precisions()[-1]


def main():
    args, precision = paired_arguments(__doc__, 20, "alternating rounds, one iteration of each variant",
                                       "untimed iterations of each variant first")

    import tensorflow as tf

    from discogan.gan.train_step import training_session_config

    sessions = {}
    for name, (channels, side) in variants(precision).items():
        graph, cycle, _, init = build_variant(channels, side, args.batch, precision, args.recipe)
        sess = tf.compat.v1.Session(graph=graph, config=training_session_config(precision))
        sess.run(init)
        for _ in range(1 + args.warmup):
            run_cycle(sess, cycle, precision)
        sessions[name] = (sess, cycle)
    seconds = {name: [] for name in sessions}
    for _ in range(args.rounds):
        for name, (sess, cycle) in sessions.items():
            start = time.perf_counter()
            run_cycle(sess, cycle, precision)
            seconds[name].append((time.perf_counter() - start) / len(cycle))
    for name, times in seconds.items():
        ratios = [variant / shipped for variant, shipped in zip(times, seconds["shipped"])]
        print(json.dumps({"variant": name, "precision": precision, "recipe": args.recipe, "batch": args.batch,
                          "rounds": args.rounds, "pairs_per_s": round(args.batch / statistics.median(times), 2),
                          "shipped_speed_over_variant": round(statistics.median(ratios), 4),
                          "quartiles": quartiles(ratios)}), flush=True)


if __name__ == "__main__":
    main()
