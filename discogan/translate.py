"""Translate your own images with a trained model.

    python -m discogan.translate --checkpoint_dir checkpoint/edges2handbags --input sketches/ --output bags/

Inputs of any size, format and mode are converted to RGB, resized to the model's size as in training and
translated in batches with batch norm in inference mode; each result is a PNG named after its input. The model
comes from a checkpoint folder (or prefix) or from a SavedModel written by `discogan.export`. Results go into
--output beside what it holds; no input is ever replaced, and an existing file only when it has a result's name and
--overwrite is given (discogan.data.output_folders.check_outputs, the rule every command shares).
"""
import glob
import os
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from discogan.data.dataset_record import thickened
from discogan.data.image_io import ImageError, list_images, load_rgb, make_grid, save_image
from discogan.data.output_folders import check_outputs
from discogan.inference.translator import check_direction, open_translator
from discogan.options.config import check_whole
from discogan.runs.checkpoint import run_record
from discogan.util.cli import run
from discogan.util.progress import Progress

GRID_FILE = "grid.png"
GRID_LIMIT = 64  # pairs on the contact sheet: it is for a quick look, not an archive
GRID_PAIRS_PER_ROW = 4


def collect_inputs(pattern, recursive=False):
    """(base folder, image paths) of --input: a file, a folder or a glob pattern; an error when there are none."""
    path = Path(pattern)
    if path.is_dir():
        base, files = path, list_images(path, recursive)
    elif path.is_file():
        base, files = path.parent, [path]
    elif glob.has_magic(pattern):
        files = glob_files(pattern, recursive)
        base = Path(os.path.commonpath([p.parent for p in files])) if files else None
    else:
        raise FileNotFoundError(f"--input {pattern} not found (a file, a folder or a glob pattern)")
    if not files:
        hint = "" if recursive or not path.is_dir() else " (add --recursive to look in sub-folders)"
        raise ValueError(f"--input {pattern}: no images found{hint}")
    return base, files


def glob_files(pattern, recursive):
    """The files a glob pattern matches. With recursive, `**` spans sub-folders but never enters a linked folder:
    a link that loops back neither hangs the search nor repeats images."""
    if not recursive:
        return sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
    parts = Path(pattern).parts
    fixed = next(index for index, part in enumerate(parts) if glob.has_magic(part))
    root = Path(*parts[:fixed])
    return sorted(path for path in root.glob(str(Path(*parts[fixed:])))
                  if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts))


def output_paths(files, base, output):
    """One PNG per input: its stem, under its folder relative to `base`; stems shared in a folder get the extension."""
    relative = [path.relative_to(base) for path in files]
    stems = Counter((rel.parent, rel.stem) for rel in relative)
    targets = []
    for rel in relative:
        name = rel.stem if stems[rel.parent, rel.stem] == 1 else f"{rel.stem}_{rel.suffix[1:].lower()}"
        target, number = Path(output) / rel.parent / f"{name}.png", 1
        while target in targets:
            number += 1
            target = target.with_name(f"{name}_{number}.png")
        targets.append(target)
    return targets


def plan_outputs(input, output, recursive, grid, overwrite):
    """(input files, their result paths, the grid's path or None), refused before any work by the rule every
    command shares (output_folders.check_outputs); a recursive run reads the input folder's whole tree."""
    base, files = collect_inputs(str(input), recursive)
    targets = output_paths(files, base, output)
    grid_path = (Path(output) / GRID_FILE if grid is True else Path(grid)) if grid else None
    if grid_path in targets:
        raise ValueError(f"--grid {grid_path} is also the translation of an input: pass --grid=OTHER.png")
    check_outputs([*files, *([base] if recursive else [])], files=targets + ([grid_path] if grid_path else []),
                  overwrite=overwrite)
    return files, targets, grid_path


def translate_images(input, output, checkpoint_dir=None, saved_model=None, direction="AtoB", batch_size=32,
                     recursive=False, keep_size=False, grid=False, thicken_sketch=None, overwrite=False):
    """Translate images and write one PNG per input to --output; returns (written paths, skipped messages).

    Args:
      input: an image file, a folder of images or a glob pattern (quote it: "photos/*.jpg").
      output: folder for the results; never an input's folder. Existing results are refused unless --overwrite.
      checkpoint_dir: a checkpoint folder (its latest checkpoint), a checkpoint prefix or a SavedModel folder.
      saved_model: a SavedModel folder written by discogan.export (instead of --checkpoint_dir).
      direction: AtoB (e.g. sketch to bag) or BtoA.
      batch_size: images per session run.
      recursive: look for images in sub-folders of --input too; results keep the sub-folders.
      keep_size: scale each result back to its input's size instead of the model's.
      grid: also write a contact sheet of input | output pairs: --grid for OUTPUT/grid.png, or --grid=PATH.
      thicken_sketch: thicken the inputs' lines as image_split --thicken_sketch did to the training sketches
        (--nothicken_sketch: not); by default as the run's dataset.json records the input domain's preparation.
      overwrite: replace files of the results' names (and the grid) that exist already.
    """
    check_whole("batch_size", batch_size)
    check_direction(direction)
    files, targets, grid_path = plan_outputs(input, output, recursive, grid, overwrite)
    written, skipped, pairs = [], [], []
    with open_translator(checkpoint_dir, saved_model, direction) as translator:
        if thicken_sketch is None:
            thicken_sketch = saved_model is None and thickened(run_record(checkpoint_dir), direction[0])
        progress = Progress(len(files), f"translate {direction}")
        for start in range(0, len(files), batch_size):
            batch = []
            for path, target in zip(files[start:start + batch_size], targets[start:start + batch_size]):
                try:
                    batch.append((load_rgb(path), target))
                except ImageError as error:
                    skipped.append(str(error))
            if batch:
                inputs = [translator.prepare(image, thicken_sketch) for image, _ in batch]
                for (image, target), model_input, result in zip(batch, inputs, translator.translate(np.stack(inputs))):
                    if len(pairs) < GRID_LIMIT:
                        pairs.append([model_input, result])
                    if keep_size:
                        result = Image.fromarray(result).resize(image.shape[1::-1], Image.LANCZOS)
                    save_image(target, result)
                    written.append(target)
            progress.update(min(batch_size, len(files) - start))
        progress.close()
    if grid_path and pairs:
        rows = [sum(pairs[i:i + GRID_PAIRS_PER_ROW], []) for i in range(0, len(pairs), GRID_PAIRS_PER_ROW)]
        save_image(grid_path, make_grid(rows))
    print(f"translated {len(written)} image(s) {direction} into {output}"
          + (f"; contact sheet of the first {len(pairs)} in {grid_path}" if grid_path and pairs else ""))
    if skipped:
        print(f"skipped {len(skipped)} unreadable image(s):\n  " + "\n  ".join(skipped))
    if not written:
        raise ValueError(f"--input {input}: none of the {len(files)} image(s) could be read")
    return written, skipped


if __name__ == "__main__":
    run(translate_images)
