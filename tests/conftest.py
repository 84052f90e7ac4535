"""Shared fixtures: small datasets the tests draw themselves and one tiny trained model."""
import types

import pytest

from discogan.demo_data import make_demo_dataset

TINY_OPTIONS = {"epochs": 2, "batch_size": 2, "gf": 8, "df": 8, "print_freq": 2, "save_freq": 3, "seed": 0,
                "epoch_step": 1}


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """A paired sketch <-> bag dataset: 8 train pairs, 4 val pairs, 64x64 PNG."""
    return make_demo_dataset(tmp_path_factory.mktemp("data") / "bags", train_pairs=8, val_pairs=4)


@pytest.fixture(scope="session")
def tiny_run(tiny_dataset, tmp_path_factory):
    """Train the tiny model once through the CLI entry point; yields its folders and last step."""
    from discogan.train import process_main
    work = tmp_path_factory.mktemp("run")
    folders = {"checkpoint_dir": work / "checkpoint", "sample_dir": work / "sample", "log_dir": work / "logs"}
    step = process_main(dataset_dir=str(tiny_dataset), **TINY_OPTIONS, **{k: str(v) for k, v in folders.items()})
    run = tiny_dataset.name
    return types.SimpleNamespace(step=step, dataset=tiny_dataset, options=TINY_OPTIONS,
                                 **{key: folder / run for key, folder in folders.items()})
