"""Command line for training: `python -m discogan.train process_main --dataset_dir DIR --epochs N`.

`process_main --demo` writes the built-in synthetic sketch <-> handbag dataset to a cache folder and trains a
small model on it in a few minutes on a laptop CPU. Every option of `discogan.config.TrainConfig` is a flag
(`--help` lists them); `--recipe official` starts from the DiscoGAN authors' values.
"""
import dataclasses
import inspect

import tensorflow as tf

from discogan import config
from discogan.cli import run
from discogan.demo_data import make_demo_dataset
from discogan.model import DiscoGAN

# Small, fast settings for the built-in demo; any flag given on the command line wins. A reconstruction weight of
# 10 instead of the book's 1 makes the translations follow their inputs within the demo's few hundred steps.
DEMO_OPTIONS = {"epochs": 12, "batch_size": 16, "gf": 32, "df": 32, "epoch_step": 6, "lambda_l2": 10.0,
                "print_freq": 50, "save_freq": 200, "seed": 0}


def process_main(dataset_dir=None, demo=False, recipe="book", **options):
    """Build the DiscoGAN graph and train it; returns the last training step."""
    if demo:
        dataset_dir = dataset_dir or str(make_demo_dataset())
        options = {**DEMO_OPTIONS, **options}
    tf.compat.v1.disable_eager_execution()
    model = DiscoGAN(dataset_dir, recipe, **options)
    return model.train_network()


def _flags_signature():
    """process_main's flags for fire and --help: --demo and every TrainConfig option."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature([inspect.Parameter("demo", keyword, default=False)]
                             + [inspect.Parameter(option.name, keyword, default=option.default)
                                for option in dataclasses.fields(config.TrainConfig)])


process_main.__signature__ = _flags_signature()
process_main.__doc__ += ("\n\nArgs:\n  demo: train on the built-in synthetic sketch <-> handbag dataset with small, "
                         "fast settings.\n" + config.help_lines())

if __name__ == "__main__":
    run({"process_main": process_main})
