"""Measure translation quality: `python -m discogan.evaluate --checkpoint_dir C --dataset_dir D [--split val]`.

Prints a table of the metrics per direction beside the reference points and writes them as JSON; what each
number means is in discogan/inference/evaluation.py and docs/metrics.md.
"""
import json
from pathlib import Path

from discogan.inference.evaluation import evaluate_checkpoint, format_table
from discogan.options.config import check_whole
from discogan.util.cli import UserError, run


def evaluate(checkpoint_dir, dataset_dir, split="val", output=None, limit=None, batch_size=64,
             sketch_domain="auto", seed=0):
    """Evaluate a checkpoint on DATASET_DIR/{split}A and {split}B; print a table and return (and write) JSON.

    Args:
      checkpoint_dir: a checkpoint folder (its latest checkpoint) or a checkpoint prefix.
      dataset_dir: folder holding {split}A/ and {split}B/.
      split: which split to read (val, train, test, ...).
      output: also write the JSON to this file.
      limit: use at most this many images per domain (all by default).
      batch_size: images per generator run.
      sketch_domain: which domain holds sketches for edge F1: auto (as the run's dataset.json records, else
        detected), A, B or none.
      seed: seed of the untrained reference network, the SWD projections and the judges' training.
    """
    if limit is not None:
        check_whole("limit", limit)
    if output:
        check_writable(Path(output))
    results = evaluate_checkpoint(checkpoint_dir, dataset_dir, split, limit, batch_size, sketch_domain, seed)
    print(format_table(results), flush=True)
    if output:
        Path(output).write_text(json.dumps(results, indent=2) + "\n")
    return results


def check_writable(output):
    """Fail before the evaluation, not after its minutes: --output is opened for appending (its folder made),
    and a file this check created is removed again."""
    if output.is_dir():
        raise UserError(f"--output {output} is a folder: give a file name, e.g. {output / 'scores.json'}")
    output.parent.mkdir(parents=True, exist_ok=True)
    existed = output.exists()
    with open(output, "a"):
        pass
    if not existed:
        output.unlink()


if __name__ == "__main__":
    run(evaluate)
