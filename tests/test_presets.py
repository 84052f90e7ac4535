"""One table of presets: `--recipe NAME` and `--demo NAME` read the same way, and each demo builds its dataset."""
import dataclasses
from functools import partial

import pytest

from discogan import train
from discogan.data.demo_shoes import make_shoes_dataset
from discogan.options import presets
from discogan.options.config import TrainConfig
from tests.conftest import run_command

OPTIONS = {f.name for f in dataclasses.fields(TrainConfig)}


def test_every_preset_names_only_options_and_every_demo_a_dataset_and_a_recipe():
    for values in presets.RECIPES.values():
        assert set(values) <= OPTIONS
    for name in presets.DEMOS:
        dataset, values = presets.demo(name)
        assert dataset in train.DEMO_DATASETS and values["recipe"] in presets.RECIPES and set(values) <= OPTIONS
        TrainConfig.create(**values)  # every value passes the options' checks


def test_a_bare_demo_is_the_sketch_demo_with_its_options_of_old():
    assert presets.demo(True) == ("demo_bags", {
        "recipe": "official", "gan_curriculum": 0, "epochs": 18, "epoch_step": 18, "batch_size": 16, "gf": 32,
        "df": 32, "sample_seconds": 30, "eval_freq": 372, "eval_count": 100, "seed": 0})


def test_the_authors_recipes_sample_and_save_by_the_clock_and_the_book_by_iterations():
    book, official, colour = (TrainConfig.create(recipe) for recipe in ("book", "official", "colour"))
    assert (book.print_freq, book.save_freq, book.sample_seconds, book.save_seconds) == (5, 10, 0, 0)
    for config in (official, colour):
        assert (config.print_freq, config.save_freq, config.sample_seconds, config.save_seconds) == (0, 0, 60, 300)
    assert TrainConfig.create(**presets.demo("shoes")[1]).sample_seconds == 30
    with pytest.raises(ValueError, match="--demo must be one of sketches, shoes"):
        presets.demo("hats")


class Recorder:
    """Stands in for DiscoGAN: notes what process_main would train on, and trains nothing."""
    runs = []

    def __init__(self, dataset_dir, **options):
        self.runs.append((dataset_dir, options))

    def train_network(self):
        return 0


@pytest.mark.parametrize("flags, dataset, demo", [(["--demo", "shoes"], "demo_shoes", "shoes"),
                                                  (["--demo"], "demo_bags", "sketches")])
def test_demo_flag_draws_its_dataset_and_trains_with_its_preset(flags, dataset, demo, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DISCOGAN_CACHE", str(tmp_path))
    monkeypatch.setattr(train, "DiscoGAN", Recorder)
    monkeypatch.setitem(train.DEMO_DATASETS, "demo_shoes", partial(make_shoes_dataset, train_count=2, val_count=1))
    monkeypatch.setitem(train.DEMO_DATASETS, "demo_bags", lambda: tmp_path / "demo_bags")
    Recorder.runs.clear()
    status, errors = run_command(monkeypatch, capsys, {"process_main": train.process_main}, "process_main", *flags,
                                 "--epochs", "3")
    assert status == 0, errors
    [(dataset_dir, options)] = Recorder.runs
    assert dataset_dir == str(tmp_path / dataset)
    assert options == {**presets.demo(demo)[1], "epochs": 3}  # an explicit flag wins over the preset
    if demo == "shoes":
        assert sorted(path.name for path in (tmp_path / dataset).iterdir()) == [
            ".complete", ".drawn", "dataset.json", "labels.json", "trainA", "trainB", "valA", "valB"]
        config = TrainConfig.create(**options)
        assert (config.recipe, config.gan_curriculum, config.gf, config.batch_size) == ("colour", 0, 32, 16)
        # the demo's colour weights, not the recipe's 30 and 10
        assert config.direction_weights("lambda_colour") == {"a2b": 10.0, "b2a": 10.0}
        assert config.lambda_identity == presets.RECIPES["colour"]["lambda_identity"] > 0


def test_an_unknown_demo_is_one_line(monkeypatch, capsys):
    status, errors = run_command(monkeypatch, capsys, {"process_main": train.process_main}, "process_main",
                                 "--demo", "hats")
    assert status == 2 and errors == ["error: --demo must be one of sketches, shoes (or given alone: sketches), "
                                      "got 'hats'"]
