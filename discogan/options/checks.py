"""Checks of flag values, shared by the training options, the networks and the data tools.

Nothing heavy is imported here, so that a data tool checking a flag does not pay TensorFlow's start-up.
"""
PRECISIONS = ("auto", "float32", "bfloat16", "float16")
AUGMENTATIONS = ("translation", "cutout")  # discogan.gan.augment's, for --diff_augment


def check_image_size(image_size):
    """The networks halve down to 4x4: the size must be a power of two, at least 16."""
    if image_size < 16 or int(image_size) & (int(image_size) - 1):
        raise ValueError(f"--image_size must be a power of two >= 16, got {image_size}")


def check_precision(precision):
    if precision not in PRECISIONS:
        raise ValueError(f"--precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")


def augmentations(policy):
    """The augmentations a --diff_augment policy names, checked: "translation,cutout", or as the command line
    gives that, a tuple; "" for none."""
    names = [name for name in policy.split(",") if name] if isinstance(policy, str) else (
        list(policy) if isinstance(policy, (tuple, list)) else [policy])
    if any(name not in AUGMENTATIONS for name in names):
        raise ValueError(f"--diff_augment takes a comma-separated list of {', '.join(AUGMENTATIONS)} (or '' for "
                         f"none), got {policy!r}")
    return names


def check_whole(flag, value, minimum=1):
    """A whole-number flag: `--flag` must be an integer >= minimum (fire passes 2.5 or "x" through as given)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < minimum:
        raise ValueError(f"--{flag} must be a whole number >= {minimum}, got {value!r}")
