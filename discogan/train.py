"""Command line for training: `python -m discogan.train process_main --dataset_dir DIR --epochs N`.

`process_main --demo` writes the built-in synthetic sketch <-> handbag dataset to a cache folder and trains a
small model on it in a few minutes on a laptop CPU. Every option of `discogan.config.TrainConfig` is a flag
(`--help` lists them); `--recipe official` starts from the DiscoGAN authors' values.
"""
import dataclasses
import inspect

from discogan import config
from discogan.cli import run
from discogan.demo_data import make_demo_dataset
from discogan.model import DiscoGAN
from discogan.tf_compat import v1

# The built-in demo: the DiscoGAN authors' recipe without its 10,000-iteration curriculum (the whole demo is about
# 1,100 iterations), at half width and batch 16, so that in about four minutes on two cores each bag gets its own
# sketch and the round trips look like their inputs (benchmarks/README.md, "The demo"). Any flag given wins.
DEMO_OPTIONS = {"recipe": "official", "gan_curriculum": 0, "epochs": 18, "epoch_step": 18, "batch_size": 16,
                "gf": 32, "df": 32, "print_freq": 100, "save_freq": 372, "eval_freq": 372, "eval_count": 100,
                "seed": 0}


def process_main(dataset_dir=None, demo=False, **options):
    """Build the DiscoGAN graph and train it; returns the last training step."""
    if demo:
        dataset_dir = dataset_dir or str(make_demo_dataset())
        options = {**DEMO_OPTIONS, **options}
    v1.disable_eager_execution()
    model = DiscoGAN(dataset_dir, **options)
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
