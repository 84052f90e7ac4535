"""Every training option in one place: its default (the book's), its help text and its check.

`TrainConfig` is what `DiscoGAN` trains with, what `process_main --help` lists, what docs/flags.md's flag table
shows (a test compares them) and what `config.json` records beside the checkpoints, whole, so translate,
export and evaluate rebuild the networks from it. A recipe is a named set of values applied over the defaults
(discogan.options.presets); a flag given explicitly always wins over the recipe.
"""
import dataclasses
import importlib.metadata
import math
from dataclasses import dataclass, field
from typing import Optional, Tuple, Union

from discogan.options.checks import augmentations, check_image_size, check_precision, check_whole
from discogan.options.presets import RECIPES

FLOAT32_MAX = 3.4028234663852886e38  # the largest float32: a larger weight is infinite in the training graph
# the options that become float32 constants of the training graph
GRAPH_NUMBERS = ("l_r", "lambda_l2", "curriculum_lambda_l2", "lambda_identity", "lambda_colour", "lambda_texture",
                 "lambda_print", "colour_chroma", "weight_decay")
# weights that may differ between A -> B and B -> A
PER_DIRECTION = ("feature_matching", "lambda_colour", "lambda_texture", "lambda_print")


def option(default, help_text):
    return field(default=default, metadata={"help": help_text})


@dataclass
class TrainConfig:
    dataset_dir: Optional[str] = option(None, "folder with trainA/ and trainB/ (and valA/, valB/ for --eval_freq)")
    recipe: str = option("book", "starting values of the options below: book (the chapter's), official (the "
                                 "DiscoGAN authors' release) or colour (official plus colour-keeping terms, for "
                                 "photo <-> photo); explicit flags win")
    epochs: int = option(200, "epochs to train")
    batch_size: int = option(64, "image pairs per iteration")
    image_size: int = option(64, "network input/output size (a power of two >= 16)")
    gf: int = option(64, "width of the generators' first layer")
    df: int = option(64, "width of the discriminators' first layer")
    bottleneck: str = option("code", "generator: code (the book's 4x4 valid conv to a 1x1x100 code), spatial (the "
                                     "authors' default: the 4x4x8gf encoder output goes on), resize (spatial drawn "
                                     "with resize-convolutions, no checkerboard), bilinear (spatial drawn with "
                                     "bilinear upsampling and 3x3 convs: no checkerboard, no grid), style (resize, "
                                     "its decoder modulated by the input's texture statistics), carry (bilinear, "
                                     "laying the input's own print where a fourth channel says) or retone (carry, "
                                     "its drawing's second tone set apart from the rest as the input's)")
    lambda_l2: float = option(1.0, "weight of the reconstruction (MSE) losses")
    feature_matching: Union[float, Tuple[float, float]] = option(
        0.0, "share of feature matching in each GAN term: (1 - f) * gan + f * fm; two shares, A -> B then B -> A, "
             "mix each direction apart")
    lambda_identity: float = option(0.0, "weight of CycleGAN's identity loss, L1 of G_AB(b) against b and G_BA(a) "
                                         "against a (0: off)")
    lambda_colour: Union[float, Tuple[float, float]] = option(
        0.0, "weight of the colour loss: each translation keeps the mean and spread of its input object's colour (0: "
             "off); two weights, A -> B then B -> A (e.g. 30,10), weigh the directions apart")
    colour_chroma: float = option(1.0, "weight of chroma (hue and saturation) against lightness in the colour loss's "
                                       "mean colour: 1 weighs red, green and blue alike; above 1 keeps a bright bag's "
                                       "shoe from fading towards the grey, brown and black most shoes are")
    lambda_texture: Union[float, Tuple[float, float]] = option(
        0.0, "weight of the texture loss: each translation keeps the print of its input object, the second moments of "
             "its lightness's oriented derivatives (0: off); two weights, A -> B then B -> A, weigh the directions apart")
    lambda_print: Union[float, Tuple[float, float]] = option(
        0.0, "weight of the print loss: patches of each translation's object pick out its own input's among the "
             "batch's, to a print encoder trained on real patches beside the discriminators (0: off); two weights, "
             "A -> B then B -> A, weigh the directions apart")
    ema_decay: float = option(0.0, "keep an exponential moving average of the generators' weights with this decay "
                                   "(e.g. 0.999) and translate with it: samples, evaluation, translate, export, the "
                                   "app (0: off, the last weights)")
    diff_augment: str = option("", "augment every image the discriminators see, real or generated, with these "
                                   "differentiable augmentations (DiffAugment): translation, cutout or both as "
                                   "'translation,cutout' (empty: none); for training sets of about a thousand images")
    gan_curriculum: int = option(0, "for this many iterations the reconstruction weight is --curriculum_lambda_l2")
    curriculum_lambda_l2: float = option(0.0101, "reconstruction weight during --gan_curriculum")
    update_interval: int = option(1, "1: a generator and a discriminator step every iteration; N > 1: a "
                                     "discriminator step every Nth iteration, a generator step otherwise")
    l_r: float = option(2e-4, "Adam learning rate")
    beta1: float = option(0.5, "Adam beta1")
    beta2: float = option(0.99, "Adam beta2")
    weight_decay: float = option(0.0, "L2 weight decay added to every gradient, as PyTorch's Adam does")
    train_size: int = option(10000, "at most this many images of each domain per epoch")
    time_limit: float = option(0, "stop after this many seconds of training, saving a checkpoint (0: no limit)")
    epoch_step: int = option(10, "from this epoch the learning rate decays linearly to 0 at --epochs")
    load_size: int = option(64, "resize to load_size, then random-crop to fine_size (and flip, see --flip)")
    flip: bool = option(True, "flip training images left-right at random; off for a domain photographed one way "
                              "round (shoes in profile all point one way, and flipped ones teach the generator both)")
    fine_size: int = option(64, "training crop size; must equal --image_size")
    pool_size: int = option(50, "image pool size (0: no pool)")
    precision: str = option("auto", "arithmetic of training: float32; bfloat16 (CPUs with avx512_bf16/amx_bf16); "
                                    "float16 (NVIDIA GPUs); auto picks from the hardware. Checkpoints stay float32")
    seed: Optional[int] = option(None, "seed for initialisation, shuffling and augmentation")
    devices: int = option(1, "replicate the training step over this machine's first N GPUs, or over N logical CPU "
                             "devices where it has none; --batch_size is split among them (docs/distributed.md)")
    multi_worker: bool = option(False, "train on the machines TF_CONFIG lists, one process each; --batch_size is "
                                       "split among them and task 0 writes the run (docs/distributed.md)")
    worker_timeout: float = option(600, "with --multi_worker, stop when a training step has waited this many "
                                        "seconds for the other workers (one died)")
    checkpoint_dir: str = option("checkpoint", "checkpoints go to checkpoint_dir/<run>")
    sample_dir: str = option("sample", "sample pictures go to sample_dir/<run>")
    log_dir: str = option("logs", "TensorBoard events go to log_dir/<run>")
    print_freq: int = option(5, "write a sample picture every N iterations (0: only by --sample_seconds)")
    sample_seconds: float = option(0, "also write a sample picture every this many seconds of training (0: off)")
    log_every_iteration: bool = option(False, "print the book's progress line for every iteration; without it one "
                                              "status line is rewritten in place on a terminal, or printed every "
                                              "10 s in a file or pipe")
    save_freq: int = option(10, "save a checkpoint every N iterations (0: only by --save_seconds); always at the end")
    save_seconds: float = option(0, "also save a checkpoint every this many seconds of training (0: off)")
    eval_freq: int = option(0, "every N iterations, evaluate on valA/valB, scored beside the training (0: off)")
    eval_count: int = option(64, "images per domain of that fixed evaluation subset")
    fresh: bool = option(False, "start afresh, moving the earlier run's folders aside")
    run_name: Optional[str] = option(None, "the run's sub-folder name (default: the dataset folder's name)")

    def __post_init__(self):
        if self.recipe not in RECIPES:
            raise ValueError(f"--recipe must be one of {', '.join(RECIPES)}, got {self.recipe!r}")
        check_precision(self.precision)
        self.diff_augment = ",".join(augmentations(self.diff_augment))  # one spelling in config.json
        check_image_size(self.image_size)
        for flag in ("epochs", "batch_size", "gf", "df", "train_size", "update_interval", "devices"):
            check_whole(flag, getattr(self, flag))
        for flag in ("print_freq", "save_freq", "eval_freq", "eval_count", "gan_curriculum", "pool_size", "epoch_step"):
            check_whole(flag, getattr(self, flag), minimum=0)
        for option in dataclasses.fields(self):  # every on/off option, known by its default
            value = getattr(self, option.name)
            if isinstance(option.default, bool) and not isinstance(value, bool):
                raise ValueError(f"--{option.name} must be True or False (or --no{option.name}), got {value!r}")
        if self.batch_size % self.devices:
            raise ValueError(f"--batch_size {self.batch_size} does not split evenly over --devices {self.devices}")
        if self.multi_worker and self.devices != 1:
            raise ValueError("--multi_worker uses every GPU of each worker (or its CPU): leave --devices at 1")
        if self.fine_size != self.image_size:
            raise ValueError(f"--fine_size ({self.fine_size}) must equal --image_size ({self.image_size})")
        if self.load_size < self.fine_size:
            raise ValueError(f"--load_size ({self.load_size}) must be at least --fine_size ({self.fine_size})")
        for flag in (*GRAPH_NUMBERS, "feature_matching", "time_limit", "sample_seconds", "save_seconds",
                     "worker_timeout"):
            value, bound = getattr(self, flag), "> 0" if flag == "l_r" else ">= 0"
            values = self.direction_weights(flag).values() if flag in PER_DIRECTION else [value]
            largest = FLOAT32_MAX if flag in GRAPH_NUMBERS else math.inf
            if not all(isinstance(number, (int, float)) and math.isfinite(number) and number <= largest
                       and (number > 0 if flag == "l_r" else number >= 0) for number in values):
                holds = f" that float32 holds (at most {FLOAT32_MAX:.4g})" if flag in GRAPH_NUMBERS else ""
                raise ValueError(f"--{flag} must be a number {bound}{holds}, got {value!r}")
        if not (isinstance(self.ema_decay, (int, float)) and 0.0 <= self.ema_decay < 1.0):
            raise ValueError(f"--ema_decay must lie in [0, 1), e.g. 0.999 (0: off), got {self.ema_decay!r}")
        if not all(share <= 1.0 for share in self.direction_weights("feature_matching").values()):
            raise ValueError(f"--feature_matching must lie in [0, 1], got {self.feature_matching!r}")

    def direction_weights(self, flag):
        """{"a2b": weight, "b2a": weight} of a loss weighed per direction (PER_DIRECTION), from its flag's one weight
        or two."""
        weights = getattr(self, flag)
        pair = tuple(weights) if isinstance(weights, (list, tuple)) else (weights, weights)
        if len(pair) != 2:
            raise ValueError(f"--{flag} takes one weight or two (A -> B, B -> A), got {weights!r}")
        return dict(zip(("a2b", "b2a"), pair))

    @classmethod
    def create(cls, recipe="book", **flags):
        """The defaults, overlaid with the recipe's values, overlaid with the explicit flags (an unknown recipe is
        refused by __post_init__)."""
        unknown = sorted(set(flags) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown flag(s): {', '.join('--' + name for name in unknown)} "
                             f"(process_main --help lists them)")
        return cls(**{**RECIPES.get(recipe, {}), **flags, "recipe": recipe})

    def record(self):
        """config.json's contents: every option, plus the versions that wrote the checkpoint."""
        return {**dataclasses.asdict(self), "versions": versions()}


def versions():
    found = {}
    for package in ("discogan", "tensorflow"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def help_lines():
    """`  name: help` for each option, for process_main's docstring (what `--help` shows)."""
    return "\n".join(f"  {f.name}: {f.metadata['help']}" for f in dataclasses.fields(TrainConfig))


def markdown_table():
    """docs/flags.md's flag table, made from the options themselves so the two cannot drift apart."""
    rows = ["| flag | default | meaning |", "| --- | --- | --- |",
            "| `--demo` | False | train on a built-in synthetic dataset with small, fast settings: sketches <-> bags, "
            "or `--demo shoes` for bags <-> shoes |"]
    for option in dataclasses.fields(TrainConfig):
        default = "" if option.default is None else option.default
        rows.append(f"| `--{option.name}` | {default} | {option.metadata['help']} |")
    return "\n".join(rows)
