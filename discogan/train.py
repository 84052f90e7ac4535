"""Command line for training: `python -m discogan.train process_main --dataset_dir DIR --epochs N`.

`process_main --demo` writes the built-in synthetic sketch <-> handbag dataset to a cache folder and trains a
small model on it in a few minutes on a laptop CPU. Every DiscoGAN keyword argument is a flag (`--help`).
"""
import inspect

import tensorflow as tf

from discogan.cli import run
from discogan.demo_data import make_demo_dataset
from discogan.model import DiscoGAN

# Small, fast settings for the built-in demo; any flag given on the command line wins. A reconstruction weight of
# 10 instead of the book's 1 makes the translations follow their inputs within the demo's few hundred steps.
DEMO_OPTIONS = {"epochs": 12, "batch_size": 16, "gf": 32, "df": 32, "epoch_step": 6, "lambda_l2": 10.0,
                "print_freq": 50, "save_freq": 200, "seed": 0}


def process_main(dataset_dir=None, demo=False, **options):
    """Build the DiscoGAN graph and train it; returns the last training step."""
    if demo:
        dataset_dir = dataset_dir or str(make_demo_dataset())
        options = {**DEMO_OPTIONS, **options}
    if dataset_dir is None:
        raise ValueError("--dataset_dir is required (a folder with trainA/ and trainB/), or use --demo")
    tf.compat.v1.disable_eager_execution()
    model = DiscoGAN(dataset_dir, **options)
    return model.train_network()


def _flags_signature():
    """process_main's flags for fire and --help: --dataset_dir, --demo and every DiscoGAN keyword argument."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    model_flags = list(inspect.signature(DiscoGAN.__init__).parameters.values())[2:]
    return inspect.Signature([inspect.Parameter("dataset_dir", keyword, default=None),
                              inspect.Parameter("demo", keyword, default=False),
                              *(flag.replace(kind=keyword) for flag in model_flags)])


process_main.__signature__ = _flags_signature()
process_main.__doc__ += "\n\n" + inspect.getdoc(DiscoGAN).split("\n\n", 1)[1].replace(
    "Args:\n", "Args:\n  demo: train on the built-in synthetic sketch <-> handbag dataset with small, fast settings.\n", 1)

if __name__ == "__main__":
    run({"process_main": process_main})
