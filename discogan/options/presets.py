"""Named sets of option values: the recipes `--recipe NAME` starts from and the demos `--demo NAME` trains.

Both read the same way, as values laid over TrainConfig's defaults (as nanoGPT's config/ files are); a flag
given explicitly always wins. A demo also names the built-in dataset it draws, by its cache folder
(discogan.data.demo_data), and the recipe it starts from. Nothing is imported here, so the table costs nothing to read.
"""

# The DiscoGAN authors' release (SKTBrain/DiscoGAN, image_translation.py): no 1x1 code, feature matching 0.9 of
# the GAN term, reconstruction rate 0.01 for 10,000 iterations then 0.5, a discriminator step every 3rd
# iteration, Adam betas (0.5, 0.999) with weight decay 1e-5, no image pool. Their loss (1 - rate) * gan +
# rate * recon is written here as gan + lambda_l2 * recon with lambda_l2 = rate / (1 - rate): 0.0101, then 1.0
# (Adam's steps do not depend on the loss's overall scale). Their images lie in [0, 1], ours in [-1, 1], so the
# same MSE is 4x larger here and 1.0 weighs the reconstruction 4x theirs: kept, as measured (docs/recipes.md).
# Its sample pictures and checkpoints come by the clock (a minute, five minutes), not the book's every 5 and 10
# iterations, whose cost is the same per iteration whatever the model (benchmarks/README.md, "Both cores busy").
BY_THE_CLOCK = {"print_freq": 0, "sample_seconds": 60, "save_freq": 0, "save_seconds": 300}
RECIPES = {
    "book": {},
    "official": {"bottleneck": "spatial", "feature_matching": 0.9, "gan_curriculum": 10000,
                 "curriculum_lambda_l2": 0.0101, "lambda_l2": 1.0, "update_interval": 3, "beta2": 0.999,
                 "weight_decay": 1e-5, "pool_size": 0, **BY_THE_CLOCK},
}
# colour: the authors' recipe for photo <-> photo (handbags <-> shoes), from the first iteration (no curriculum:
# the colour terms need the reconstruction beside them), plus the colour loss and CycleGAN's identity loss, the
# weights chosen on real held-out bags and shoes, the colour loss's chroma weighed 10x its lightness (else bright
# bags gave faded shoes), translations by the generators' averaged weights, and no random flips, as the authors'
# own loader: shoes in profile all face one way, and trained on mirrored ones the generator drew both ways round
# (benchmarks/README.md, "handbags <-> shoes"). The colour loss weighs A -> B (bag -> shoe) 30 and B -> A 10:
# shoes are mostly black, brown or white, so a bag's colour needs the stronger pull to reach its shoe, and 30 on
# the bags as well made them noisy ("The colour loss per direction").
RECIPES["colour"] = {**RECIPES["official"], "gan_curriculum": 0, "lambda_colour": (30.0, 10.0),
                     "colour_chroma": 10.0, "lambda_identity": 0.5, "ema_decay": 0.999, "flip": False}

# sketches: the authors' recipe without its 10,000-iteration curriculum (the whole demo is about 1,100
# iterations), at half width and batch 16, so that in a few minutes on two cores each bag gets its own
# sketch and the round trips look like their inputs (benchmarks/README.md, "The demo").
# shoes: the colour recipe at the same size and batch, about 1,900 iterations (some three minutes), so that each
# bag's colour and print reach its shoe (benchmarks/README.md, "The shoes demo"); its colour loss weighs both
# directions 10: the synthetic shoes share the bags' palette, nothing pulls them towards black and brown, and 30
# on bag -> shoe only blurred them (swd 85 against 56).
DEMOS = {
    "sketches": {"dataset": "demo_bags", "recipe": "official", "gan_curriculum": 0, "epochs": 18, "epoch_step": 18,
                 "batch_size": 16, "gf": 32, "df": 32, "sample_seconds": 30, "eval_freq": 372, "eval_count": 100,
                 "seed": 0},
    "shoes": {"dataset": "demo_shoes", "recipe": "colour", "lambda_colour": 10.0, "epochs": 30, "epoch_step": 30,
              "batch_size": 16, "gf": 32, "df": 32, "sample_seconds": 30, "eval_freq": 372, "eval_count": 100,
              "seed": 0},
}
DEFAULT_DEMO = "sketches"  # what a bare --demo trains


def demo(name):
    """(dataset folder name, option values) of the demo `name`; True (a bare --demo) means DEFAULT_DEMO."""
    name = DEFAULT_DEMO if name is True else name
    if name not in DEMOS:
        raise ValueError(f"--demo must be one of {', '.join(DEMOS)} (or given alone: {DEFAULT_DEMO}), got {name!r}")
    options = dict(DEMOS[name])
    return options.pop("dataset"), options
