"""What the training session's thread pools gain over TensorFlow's own, on this machine.

    python benchmarks/bench_threads.py --precision bfloat16 --batch 64 --rounds 6
    python benchmarks/bench_threads.py --precision bfloat16 --batch 16 --recipe official --steps 30

TensorFlow sizes its thread pools once per process, so the two settings cannot share one process as the
variants of bench_forms.py do: each round runs bench_train.py once with the pools training uses
(`discogan.gan.train_step.training_session_config`: on a CPU, an equal share of the cores for each direction of
the cycle, whose ops run one at a time on it) and once with TensorFlow's (`--thread-pools default`), one after
the other, so that drift in the host's speed falls on both alike. Prints every run's JSON line, then one line:
the median and quartiles of the per-round ratio of the training pools' speed to the default's (above 1: they
gain).
"""
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_forms import paired_arguments, quartiles  # noqa: E402
from bench_train import ours_command, run_json  # noqa: E402

SETTINGS = ("training", "default")


def main():
    args, precision = paired_arguments(__doc__, 6, "runs of each setting, alternated",
                                       "untimed iterations per run after the first",
                                       [("--steps", {"type": int, "default": 8, "help": "timed iterations per run"})])

    speeds = {setting: [] for setting in SETTINGS}
    for _ in range(args.rounds):
        for setting in SETTINGS:
            line = run_json(ours_command(args, args.batch, precision, args.recipe, setting))
            print(json.dumps(line), flush=True)
            speeds[setting].append(line["pairs_per_s"])
    ratios = [ours / default for ours, default in zip(*speeds.values())]
    print(json.dumps({"precision": precision, "recipe": args.recipe, "batch": args.batch, "rounds": args.rounds,
                      **{f"{setting}_pairs_per_s": round(statistics.median(runs), 2)
                         for setting, runs in speeds.items()},
                      "training_over_default": round(statistics.median(ratios), 4),
                      "quartiles": quartiles(ratios), "ratios": [round(ratio, 3) for ratio in ratios]}))


if __name__ == "__main__":
    main()
