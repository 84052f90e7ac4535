"""Translation quality at equal wall time: train from scratch for --seconds, then score the val split.

    # a recipe of ours: DiscoGAN options as --set NAME=VALUE (any TrainConfig option), fixed seed
    python benchmarks/quality.py train --dataset_dir D --seconds 1200 --recipe official \\
        --set gan_curriculum=0 --set batch_size=16 --output ours.json
    # the PyTorch quality peer (benchmarks/peers/quality.py) for the same seconds, on the pix2pix pairs
    # D/train and D/val, same metrics; VENV has benchmarks/peers/requirements.txt
    python benchmarks/quality.py peer --python VENV/bin/python --dataset_dir D --seconds 1200 \\
        --output peer.json -- --batch_size 16 --gan_curriculum 0
    # handbags <-> shoes: U holds trainA/ trainB/ valA/ valB/ (discogan.make_unpaired), for both sides
    python benchmarks/quality.py train --dataset_dir U --seconds 1200 --recipe official ... --output ours.json
    python benchmarks/quality.py peer --python VENV/bin/python --dataset_dir U --unpaired --seconds 1200 ...
    # or score translations the peer (--out peer.npz) already wrote
    python benchmarks/quality.py score_npz --npz peer.npz --output peer.json
    # a table of several results
    python benchmarks/quality.py table ours.json peer.json

D holds trainA/, trainB/, valA/, valB/ (discogan.image_split). `train` evaluates the final checkpoint with
discogan.inference.evaluation (the model beside its untrained network, the mean image, real shuffled and identity
references) and writes a picture of the first val translations beside the JSON; --eval_freq N also evaluates
every N iterations during training (that time counts in --seconds). `score_npz` scores the val translations
another implementation wrote, on the images it fed its networks. Each prints one JSON document and writes it
to --output.
"""
import argparse
import ast
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from discogan.data.image_io import make_grid, save_image, to_uint8  # noqa: E402
from discogan.gan import networks  # noqa: E402
from discogan.inference import evaluation  # noqa: E402
from discogan.inference.translator import CycleModel  # noqa: E402
from discogan.runs import checkpoint  # noqa: E402
from discogan.runtime.tf_compat import v1  # noqa: E402
from discogan.training.discogan import DiscoGAN  # noqa: E402

TABLE_KEYS = ("retrieval_at_1", "structure", "diversity", "swd", "edge_f1", "cycle_mse")


def parse_options(pairs):
    """--set NAME=VALUE pairs as TrainConfig keyword arguments; values are Python literals or plain strings."""
    options = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            options[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[name] = value
    return options


def train(args):
    v1.disable_eager_execution()
    work = Path(args.work_dir)
    options = {"seed": 0, "epochs": 100000, "epoch_step": 100000, "print_freq": 10 ** 9, "save_freq": 10 ** 9,
               **parse_options(args.set), "time_limit": args.seconds}
    if args.eval_freq:
        options.update(eval_freq=args.eval_freq, eval_count=10 ** 6)
    model = DiscoGAN(args.dataset_dir, args.recipe, checkpoint_dir=str(work / "checkpoint"),
                     sample_dir=str(work / "sample"), log_dir=str(work / "logs"), fresh=True, **options)
    start = time.time()
    steps = model.train_network()
    seconds = time.time() - start
    final = evaluation.evaluate_checkpoint(str(model.checkpoint_dir), args.dataset_dir, split="val", seed=0)
    images_a, images_b, _ = evaluation.load_split(args.dataset_dir, "val", model.config.image_size)
    folder, prefix, record = checkpoint.resolve_checkpoint(model.checkpoint_dir)
    cycle = CycleModel(networks.Architecture.of(record), prefix, folder, record)
    try:
        outputs = evaluation.in_batches(cycle.run, images_a, images_b, 64)
    finally:
        cycle.close()
    save_cycle_picture(Path(args.output).with_suffix(".png"), images_a, images_b, outputs)
    print(evaluation.format_table(final))
    return {"benchmark": "quality", "impl": "discogan", "dataset_dir": args.dataset_dir, "recipe": args.recipe,
            "options": model.record(), "train_wall_s": round(seconds, 1), "iterations": steps,
            "points": model.evaluations, "final": final}


def save_cycle_picture(path, images_a, images_b, outputs, rows=12):
    """Rows of real A | A->B | A->B->A | real B | B->A | B->A->B for the first val pairs, as in samples."""
    x_ab, x_aba, x_ba, x_bab = (to_uint8(x[:rows]) for x in outputs)
    real_a, real_b = to_uint8(images_a[:rows]), to_uint8(images_b[:rows])
    save_image(path, make_grid([[real_a[i], x_ab[i], x_aba[i], real_b[i], x_ba[i], x_bab[i]]
                                for i in range(min(len(real_a), len(real_b)))]))


def score_npz(args):
    """Score val translations written by another implementation (arrays val_a, val_b, ab, aba, ba, bab, and
    `paired`: whether val_a[i] and val_b[i] are one pair; files without it are taken as paired)."""
    arrays = np.load(args.npz)
    images_a, images_b = arrays["val_a"], arrays["val_b"]
    outputs = tuple(arrays[key] for key in ("ab", "aba", "ba", "bab"))
    paired = bool(arrays["paired"]) if "paired" in arrays.files else True
    final = {"paired": paired, "count": {"A": len(images_a), "B": len(images_b)},
             **evaluation.score(outputs, images_a, images_b, paired=paired),
             **evaluation.score_references(images_a, images_b, paired=paired)}
    save_cycle_picture(Path(args.output).with_suffix(".png"), images_a, images_b, outputs)
    return {"benchmark": "quality", "impl": "peer", "npz": args.npz, "train_wall_s": float(arrays["seconds"]),
            "iterations": int(arrays["iterations"]), "final": final}


def peer(args):
    """Run the PyTorch quality peer for --seconds on D/train and D/val (pix2pix pairs), or with --unpaired on
    D/trainA ... D/valB, then score its translations."""
    npz = Path(args.output).with_suffix(".npz")
    dataset = Path(args.dataset_dir)
    data = ["--unpaired", str(dataset)] if args.unpaired else ["--train", str(dataset / "train"),
                                                               "--val", str(dataset / "val")]
    command = [args.python, str((REPO / args.peer_script).resolve()), *data, "--seconds", str(args.seconds),
               "--out", str(npz), *args.peer_args]
    print(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    args.npz = str(npz)
    return {**score_npz(args), "peer_command": command}


def table(args):
    """A markdown table: one row per result file (and the references of the first), the main metrics."""
    columns = [(direction, key) for key in TABLE_KEYS for direction in evaluation.DIRECTIONS]
    lines = ["| run | s | iterations | " + " | ".join(f"{d} {k}" for d, k in columns) + " |",
             "| --- | --- | --- | " + " | ".join("---" for _ in columns) + " |"]

    def cells(scores):
        return " | ".join("" if scores[d].get(k) is None else f"{scores[d][k]:.3f}" for d, k in columns)

    results = [json.loads(Path(name).read_text()) for name in args.results]
    for name, result in zip(args.results, results):
        lines.append(f"| {Path(name).stem} | {result['train_wall_s']:.0f} | {result['iterations']} | "
                     f"{cells(result['final'])} |")
        if evaluation.LAST_WEIGHTS in result["final"]:
            lines.append(f"| {Path(name).stem}, last weights | | | {cells(result['final'][evaluation.LAST_WEIGHTS])} |")
    for reference in evaluation.REFERENCES:
        if reference in results[0]["final"]:
            lines.append(f"| ({reference}) | | | {cells(results[0]['final'][reference])} |")
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("train", help="train one recipe for --seconds and score it")
    run.add_argument("--dataset_dir", required=True)
    run.add_argument("--seconds", type=float, required=True, help="training wall time")
    run.add_argument("--recipe", default="book")
    run.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a DiscoGAN option")
    run.add_argument("--eval_freq", type=int, default=0, help="also evaluate every N iterations (0: at the end only)")
    run.add_argument("--work_dir", default="quality_run", help="checkpoints, logs and samples of the run")
    run.add_argument("--output", default="quality.json")
    run_peer = commands.add_parser("peer", help="run the PyTorch quality peer for --seconds and score it")
    run_peer.add_argument("--python", required=True, help="an interpreter with torch (a separate venv)")
    run_peer.add_argument("--dataset_dir", required=True, help="holds train/ and val/ of pix2pix pairs")
    run_peer.add_argument("--unpaired", action="store_true",
                          help="--dataset_dir holds trainA/ trainB/ valA/ valB/ instead (e.g. handbags <-> shoes)")
    run_peer.add_argument("--seconds", type=float, required=True)
    run_peer.add_argument("--peer_script", default="benchmarks/peers/quality.py",
                          help="relative to the repository root")
    run_peer.add_argument("--output", default="peer_quality.json")
    run_peer.add_argument("peer_args", nargs="*", help="after --: more flags for the peer")
    scored = commands.add_parser("score_npz", help="score another implementation's val translations")
    scored.add_argument("--npz", required=True)
    scored.add_argument("--output", default="peer_quality.json")
    summary = commands.add_parser("table", help="a markdown table of result files")
    summary.add_argument("results", nargs="+")
    args = parser.parse_args()
    if args.command == "table":
        return table(args)
    result = {"train": train, "peer": peer, "score_npz": score_npz}[args.command](args)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
