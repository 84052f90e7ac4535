#!/usr/bin/env python3
"""The DiscoGAN authors' training recipe in PyTorch, trained for a budget, as the peer of benchmarks/quality.py.

    python benchmarks/peers/quality.py --train D/train --val D/val --seconds 1200 --out peer.npz
    python benchmarks/peers/quality.py --unpaired D --seconds 1200 --out peer.npz

--train/--val: folders of pix2pix pairs (sketch left, photo right). A is the sketch with its dark lines thickened
by one pixel (the release dilates the inverted image with a 3x3 kernel, here PIL's 3x3 minimum filter), B the
photo. --unpaired D: D holds trainA/ trainB/ valA/ valB/ of single images (e.g. discogan.make_unpaired's
handbags <-> shoes), read as they are. Images are resized to 64x64 (bilinear) in [0, 1]; each epoch shuffles
each domain on its own, as the release does. Training is official.AuthorsRecipe (no 1x1 code, feature matching,
the reconstruction curriculum, 2 G steps : 1 D step), float32 as released, until --seconds or --iterations.

Writes --out (.npz), float32 NHWC arrays in [-1, 1] as discogan uses them: val_a, val_b (as fed to the
networks), ab, aba, ba, bab (inference mode), and iterations, seconds, paired (the val folders hold the same
file stems); benchmarks/quality.py score_npz scores it. Prints one JSON line.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter

from official import AuthorsRecipe

IMAGE_SIZE = 64
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def image_files(folder):
    """The images in `folder`, sorted by name."""
    return sorted(path for path in Path(folder).iterdir() if path.suffix.lower() in IMAGE_SUFFIXES)


def to_tensor(images):
    """PIL images -> float32 NCHW in [0, 1] at IMAGE_SIZE."""
    pixels = [np.asarray(image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR), np.float32) / 255.0
              for image in images]
    return torch.from_numpy(np.stack(pixels).transpose(0, 3, 1, 2).copy())


def read_pairs(folder):
    """(A, B) from pix2pix pairs: the thickened sketch half and the photo half."""
    sketches, photos = [], []
    for path in image_files(folder):
        image = Image.open(path).convert("RGB")
        width, height = image.size
        sketches.append(image.crop((0, 0, width // 2, height)).filter(ImageFilter.MinFilter(3)))
        photos.append(image.crop((width // 2, 0, width, height)))
    return to_tensor(sketches), to_tensor(photos)


def read_unpaired(folder, split):
    """(A, B, paired) from folder/{split}A and folder/{split}B; paired when both hold the same file stems."""
    files_a, files_b = (image_files(Path(folder) / f"{split}{domain}") for domain in "AB")
    paired = [path.stem for path in files_a] == [path.stem for path in files_b]
    images_a, images_b = ([Image.open(path).convert("RGB") for path in files] for files in (files_a, files_b))
    return to_tensor(images_a), to_tensor(images_b), paired


def train(recipe, train_a, train_b, batch_size, seconds, iterations, seed):
    """Run the recipe over epochs of independently shuffled domains until the budget; returns (iterations, s)."""
    rng = np.random.default_rng(seed)
    batches = min(len(train_a), len(train_b)) // batch_size
    start = time.perf_counter()

    def within_budget():
        return time.perf_counter() - start < seconds and not (iterations and recipe.iteration >= iterations)

    while within_budget():
        order_a, order_b = rng.permutation(len(train_a)), rng.permutation(len(train_b))
        for i in range(batches):
            if not within_budget():
                break
            batch = slice(i * batch_size, (i + 1) * batch_size)
            recipe.step(train_a[order_a[batch]], train_b[order_b[batch]])
    return recipe.iteration, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", help="a folder of pix2pix pairs to train on")
    parser.add_argument("--val", help="a folder of pix2pix pairs to translate at the end")
    parser.add_argument("--unpaired", help="a folder with trainA/ trainB/ valA/ valB/ (in place of --train/--val)")
    parser.add_argument("--out", required=True, help="the .npz to write")
    parser.add_argument("--seconds", type=float, default=1200, help="training wall time")
    parser.add_argument("--iterations", type=int, default=0, help="stop after this many (0: --seconds only)")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--gan_curriculum", type=int, default=10000)
    parser.add_argument("--starting_rate", type=float, default=0.01)
    parser.add_argument("--default_rate", type=float, default=0.5)
    parser.add_argument("--update_interval", type=int, default=3)
    parser.add_argument("--width", type=int, default=64, help="first layer width of G and D (the release: 64)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if bool(args.unpaired) == bool(args.train and args.val):
        parser.error("give either --unpaired or both --train and --val")
    torch.manual_seed(args.seed)
    if args.unpaired:
        train_a, train_b, _ = read_unpaired(args.unpaired, "train")
        val_a, val_b, paired = read_unpaired(args.unpaired, "val")
    else:
        (train_a, train_b), (val_a, val_b), paired = read_pairs(args.train), read_pairs(args.val), True
    if min(len(train_a), len(train_b)) < args.batch_size:
        parser.error(f"fewer training images than --batch_size {args.batch_size}")
    recipe = AuthorsRecipe(args.width, args.gan_curriculum, args.starting_rate, args.default_rate,
                           args.update_interval)
    iterations, seconds = train(recipe, train_a, train_b, args.batch_size, args.seconds, args.iterations, args.seed)
    outputs = recipe.translate(val_a, val_b)
    as_discogan = {name: (x.numpy().transpose(0, 2, 3, 1) * 2 - 1).astype(np.float32)
                   for name, x in zip(("val_a", "val_b", "ab", "aba", "ba", "bab"), (val_a, val_b, *outputs))}
    np.savez(args.out, **as_discogan, iterations=iterations, seconds=seconds, paired=paired)
    print(json.dumps({"impl": "authors-recipe-torch", "version": torch.__version__, "iterations": iterations,
                      "seconds": round(seconds, 1), "pairs_seen": iterations * args.batch_size,
                      "paired": paired, "out": args.out}), flush=True)


if __name__ == "__main__":
    main()
