"""Command line for training: `python -m discogan.train process_main --dataset_dir DIR --epochs N`.

`process_main --demo` writes the built-in synthetic sketch <-> handbag dataset to a cache folder and trains a
small model on it in a few minutes on a laptop CPU; `--demo shoes` does the same for handbags <-> shoes. Every
option of `discogan.options.config.TrainConfig` is a flag (`--help` lists them); `--recipe official` starts from the
DiscoGAN authors' values. Recipes and demos are the presets of discogan.options.presets.
"""
import dataclasses
import inspect

from discogan.data import demo_data, demo_shoes
from discogan.options import config, presets
from discogan.runtime.tf_compat import v1
from discogan.training.discogan import DiscoGAN
from discogan.util.cli import run

DEMO_DATASETS = {demo_data.FOLDER_NAME: demo_data.make_demo_dataset,  # what draws each demo's dataset
                 demo_data.SHOES_FOLDER_NAME: demo_shoes.make_shoes_dataset}


def process_main(dataset_dir=None, demo=False, **options):
    """Build the DiscoGAN graph and train it; returns the last training step."""
    if demo:
        dataset, demo_options = presets.demo(demo)
        options = {**demo_options, **options}
        config.TrainConfig.create(**options)  # a bad flag is refused before the dataset takes seconds to draw
        dataset_dir = dataset_dir or str(DEMO_DATASETS[dataset]())
    v1.disable_eager_execution()
    model = DiscoGAN(dataset_dir, **options)
    return model.train_network()


def _flags_signature():
    """process_main's flags for fire and --help: --demo and every TrainConfig option."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature([inspect.Parameter("demo", keyword, default=False)]
                             + [inspect.Parameter(option.name, keyword, default=option.default,
                                                  annotation=option.type)
                                for option in dataclasses.fields(config.TrainConfig)])


process_main.__signature__ = _flags_signature()
process_main.__doc__ += ("\n\nArgs:\n  demo: train on a built-in synthetic dataset with small, fast settings: "
                         f"{' or '.join(presets.DEMOS)} (given alone: {presets.DEFAULT_DEMO}).\n" + config.help_lines())

if __name__ == "__main__":
    run({"process_main": process_main})
