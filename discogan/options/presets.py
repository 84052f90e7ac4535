"""Named sets of option values: the recipes `--recipe NAME` starts from and the demos `--demo NAME` trains.

Both read the same way, as values laid over TrainConfig's defaults (as nanoGPT's config/ files are); a flag
given explicitly always wins. A demo also names the built-in dataset it draws, by its cache folder
(discogan.data.demo_data), and the recipe it starts from. Nothing is imported here, so the table costs nothing to read.
"""

# Samples and checkpoints by the clock: the book's every 5 and 10 iterations cost as much as a small model's step.
BY_THE_CLOCK = {"print_freq": 0, "sample_seconds": 60, "save_freq": 0, "save_seconds": 300}
# official: the authors' release (SKTBrain/DiscoGAN), their loss's rate written as lambda_l2 (docs/recipes.md).
# colour: official from the first iteration plus colour-keeping terms, and the carry generator with the print loss
# and DiffAugment's translation to carry the print, chosen on held-out bags and shoes (same page).
RECIPES = {
    "book": {},
    "official": {"bottleneck": "spatial", "feature_matching": 0.9, "gan_curriculum": 10000,
                 "curriculum_lambda_l2": 0.0101, "lambda_l2": 1.0, "update_interval": 3, "beta2": 0.999,
                 "weight_decay": 1e-5, "pool_size": 0, **BY_THE_CLOCK},
}
RECIPES["colour"] = {**RECIPES["official"], "gan_curriculum": 0, "lambda_colour": (30.0, 10.0),
                     "colour_chroma": 10.0, "lambda_identity": 0.5, "ema_decay": 0.999, "flip": False,
                     "bottleneck": "carry", "lambda_print": 0.1, "diff_augment": "translation"}

# The demos: the recipes at half width and batch 16, short enough for two CPU cores (benchmarks/README.md, "The demos").
# The shoes demo weighs colour 10 both ways: its shoes share the bags' palette, so a stronger pull only blurs them;
# the texture loss, the colour recipe's print loss and the retone generator (carry that also sets its drawing's
# second tone apart as the input's, so a two-tone bag gives a two-tone shoe) take each print across, DiffAugment with
# cutout keeps the shoes as real as without them, and half feature matching for shoe -> bag draws bags with handles
# where the authors' 0.9 drew blobs (same page).
DEMOS = {
    "sketches": {"dataset": "demo_bags", "recipe": "official", "gan_curriculum": 0, "epochs": 18, "epoch_step": 18,
                 "batch_size": 16, "gf": 32, "df": 32, "sample_seconds": 30, "eval_freq": 372, "eval_count": 100,
                 "seed": 0},
    "shoes": {"dataset": "demo_shoes", "recipe": "colour", "bottleneck": "retone", "lambda_colour": 10.0,
              "lambda_texture": 100.0, "feature_matching": (0.9, 0.5), "diff_augment": "translation,cutout",
              "epochs": 30, "epoch_step": 30, "batch_size": 16, "gf": 32, "df": 32, "sample_seconds": 30,
              "eval_freq": 372, "eval_count": 100, "seed": 0},
}
DEFAULT_DEMO = "sketches"  # what a bare --demo trains


def demo(name):
    """(dataset folder name, option values) of the demo `name`; True (a bare --demo) means DEFAULT_DEMO."""
    name = DEFAULT_DEMO if name is True else name
    if name not in DEMOS:
        raise ValueError(f"--demo must be one of {', '.join(DEMOS)} (or given alone: {DEFAULT_DEMO}), got {name!r}")
    options = dict(DEMOS[name])
    return options.pop("dataset"), options
