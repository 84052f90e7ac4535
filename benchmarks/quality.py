"""Translation quality after training from scratch: the numbers of `discogan.evaluate` over training time.

Trains DiscoGAN with a fixed seed on DATASET_DIR (trainA/, trainB/) for about --iterations iterations (whole
epochs), evaluates its val split (valA/, valB/) at --evals points during training, then runs the full
evaluation with both reference points (untrained network, mean image) on the final checkpoint. Prints a
table and one JSON document (also written to --output).

    python -m discogan.image_split --path D --_dir_ train --resize 64     # after putting pairs in D/train, D/val
    python -m discogan.image_split --path D --_dir_ val --resize 64
    python benchmarks/quality.py --dataset_dir D --iterations 2000 --batch_size 16 --output quality.json
"""
import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from discogan import data, evaluate  # noqa: E402
from discogan.model import DiscoGAN  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset_dir", required=True)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--evals", type=int, default=5, help="evaluation points during training")
    parser.add_argument("--gf", type=int, default=64)
    parser.add_argument("--df", type=int, default=64)
    parser.add_argument("--lambda_l2", type=float, default=10.0,
                        help="reconstruction weight; the book's 1.0 collapses to one output for every input in a "
                             "CPU-length run (benchmarks/README.md)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work_dir", default="quality_run", help="checkpoints, logs and samples of the run")
    parser.add_argument("--output", default="quality.json")
    args = parser.parse_args()

    tf.compat.v1.disable_eager_execution()
    work = Path(args.work_dir)
    build_start = time.time()
    batch_ids = data.iterations_per_epoch(*(data.domain_files(Path(args.dataset_dir) / f"train{domain}",
                                                              args.batch_size) for domain in "AB"),
                                          train_size=10000, batch_size=args.batch_size)
    epochs = max(1, math.ceil(args.iterations / batch_ids))
    eval_freq = max(1, epochs * batch_ids // args.evals)
    model = DiscoGAN(args.dataset_dir, epochs=epochs, batch_size=args.batch_size, gf=args.gf, df=args.df,
                     lambda_l2=args.lambda_l2,
                     epoch_step=epochs // 2, seed=args.seed, eval_freq=eval_freq, eval_count=10 ** 6,
                     checkpoint_dir=str(work / "checkpoint"), sample_dir=str(work / "sample"),
                     log_dir=str(work / "logs"), print_freq=eval_freq, save_freq=eval_freq, fresh=True)
    train_start = time.time()
    steps = model.train_network()
    train_seconds = time.time() - train_start
    final = evaluate.evaluate(str(model.checkpoint_dir), args.dataset_dir, split="val", seed=args.seed)
    pictures = sorted(model.sample_dir.glob("val_*.png"))
    if pictures:
        shutil.copy(pictures[-1], work / "final_val_samples.png")

    print(f"\n{'step':>6} {'wall s':>8}" + "".join(f"{d + ' ' + k:>16}" for d in evaluate.DIRECTIONS
                                                 for k in evaluate.METRIC_KEYS))
    for point in model.eval_history:
        cells = "".join(f"{'-' if point[d][k] is None else f'{point[d][k]:.4f}':>16}"
                        for d in evaluate.DIRECTIONS for k in evaluate.METRIC_KEYS)
        print(f"{point['step']:>6} {point['elapsed_s']:>8.0f}{cells}")
    result = {"benchmark": "quality", "dataset_dir": args.dataset_dir, "iterations": steps, "epochs": epochs,
              "batch_size": args.batch_size, "gf": args.gf, "df": args.df, "lambda_l2": args.lambda_l2,
              "seed": args.seed,
              "setup_s": round(train_start - build_start, 1), "train_wall_s": round(train_seconds, 1),
              "points": model.eval_history, "final": final}
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
