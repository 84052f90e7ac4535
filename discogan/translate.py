"""Translate your own images with a trained model.

    python -m discogan.translate --checkpoint_dir checkpoint/edges2handbags --input sketches/ --output bags/

Inputs of any size, format and mode are converted to RGB, resized to the model's size as in training and
translated in batches with batch norm in inference mode; each result is a PNG named after its input. The model
comes from a checkpoint folder (or prefix) or from a SavedModel written by `discogan.export`.
"""
import glob
import os
from collections import Counter
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from discogan import checkpoint, data, networks
from discogan.cli import run
from discogan.image_io import ImageError, list_images, load_rgb, make_grid, save_image
from discogan.progress import Progress
from discogan.session import session_config

v1 = tf.compat.v1

GENERATORS = {"AtoB": "generator_AB", "BtoA": "generator_BA"}
SIGNATURES = {"AtoB": "a2b", "BtoA": "b2a"}  # the SavedModel's signature per direction
IMAGES_KEY = "images"  # the signatures' input and output name
SAVED_MODEL_FILE = "saved_model.pb"
GRID_FILE = "grid.png"
GRID_LIMIT = 64  # pairs on the contact sheet: it is for a quick look, not an archive
GRID_PAIRS_PER_ROW = 4


def check_direction(direction):
    if direction not in GENERATORS:
        raise ValueError(f"--direction must be AtoB or BtoA, got {direction!r}")


def build_translation(images, direction, image_size, gf):
    """uint8 [N, H, W, 3] images of any size to uint8 [N, size, size, 3] translations, batch norm in inference mode.

    The same graph serves checkpoint inference and the SavedModel, so both give the same pixels.
    """
    check_direction(direction)
    x = data.to_model_range(data.resize_images(images, image_size))
    return data.from_model_range(networks.build_generator(x, GENERATORS[direction], gf, training=False))


def restore_generators(session, folder, prefix, config):
    """Restore the graph's generator variables from checkpoint `prefix`, after checking it fits `config`.

    The rest of the checkpoint (discriminators, optimiser slots) is not read.
    """
    variables = [v for v in session.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
                 if v.op.name.startswith(tuple(GENERATORS.values()))]
    saved = checkpoint.variable_shapes(prefix)
    mismatches = checkpoint.variable_mismatches(saved, variables)
    if mismatches:
        name = variables[0].op.name.split("/")[0]
        found = networks.generator_architecture(saved, name)
        holds = f"it holds image_size {found[0]}, gf {found[1]}" if found else f"it holds no {name}"
        raise ValueError(f"checkpoint {prefix} does not match {Path(folder) / checkpoint.CONFIG_FILE} "
                         f"(image_size {config['image_size']}, gf {config['gf']}): {holds}; "
                         + "; ".join(mismatches[:3]) + (" ..." if len(mismatches) > 3 else ""))
    with session.graph.as_default():
        v1.train.Saver(variables).restore(session, prefix)


def find_saved_model(path):
    """The SavedModel folder at `path` or its highest numbered version sub-folder (TF Serving's layout), else None."""
    path = Path(path)
    if (path / SAVED_MODEL_FILE).is_file():
        return path
    versions = [p.parent for p in path.glob(f"*/{SAVED_MODEL_FILE}") if p.parent.name.isdigit()]
    return max(versions, key=lambda p: int(p.name)) if versions else None


class Translator:
    """A translation graph and its session: `translate(images)` maps uint8 images to the other domain.

    Make one with `from_checkpoint` or `from_saved_model` (the benchmark passes its own session); close it, or
    use it in a `with` block, to free the session.
    """

    def __init__(self, session, images, translated):
        self.session, self.images, self.translated = session, images, translated
        self.image_size = int(translated.shape[1])
        with session.graph.as_default():
            self._image = v1.placeholder(tf.uint8, [None, None, 3], "resize_input")
            self._resized = data.resize_images(self._image, self.image_size)

    @classmethod
    def from_checkpoint(cls, checkpoint_path, direction="AtoB"):
        """Generator `direction` of a checkpoint folder (its latest checkpoint) or checkpoint prefix."""
        check_direction(direction)
        folder, prefix, config = checkpoint.resolve_checkpoint(checkpoint_path)
        graph = tf.Graph()
        with graph.as_default():
            images = v1.placeholder(tf.uint8, [None, None, None, 3], IMAGES_KEY)
            translated = build_translation(images, direction, config["image_size"], config["gf"])
        session = v1.Session(graph=graph, config=session_config())
        try:
            restore_generators(session, folder, prefix, config)
        except BaseException:
            session.close()
            raise
        return cls(session, images, translated)

    @classmethod
    def from_saved_model(cls, path, direction="AtoB"):
        """Signature a2b or b2a of a SavedModel written by discogan.export (its folder or the version's)."""
        check_direction(direction)
        export_dir = find_saved_model(path)
        if export_dir is None:
            raise FileNotFoundError(f"no {SAVED_MODEL_FILE} in {path} or its version sub-folders")
        session = v1.Session(graph=tf.Graph(), config=session_config())
        with session.graph.as_default():
            meta_graph = v1.saved_model.loader.load(session, [v1.saved_model.tag_constants.SERVING], str(export_dir))
        signature = meta_graph.signature_def[SIGNATURES[direction]]
        return cls(session, session.graph.get_tensor_by_name(signature.inputs[IMAGES_KEY].name),
                   session.graph.get_tensor_by_name(signature.outputs[IMAGES_KEY].name))

    def resize(self, image):
        """One HxWx3 uint8 image at the model's size, resized as in training."""
        if image.shape[:2] == (self.image_size, self.image_size):
            return image
        return self.session.run(self._resized, {self._image: image})

    def translate(self, images):
        """uint8 images ([N, H, W, 3], or a list of HxWx3 of any sizes) to uint8 [N, size, size, 3].

        Batch norm uses its moving averages, so an image's result does not depend on the rest of the batch.
        """
        if not (isinstance(images, np.ndarray) and images.ndim == 4):
            images = np.stack([self.resize(np.asarray(image)) for image in images])
        return self.session.run(self.translated, {self.images: images})

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_translator(checkpoint_dir=None, saved_model=None, direction="AtoB"):
    """A Translator from --saved_model, or from --checkpoint_dir (a SavedModel there is used as one)."""
    if saved_model is not None:
        return Translator.from_saved_model(saved_model, direction)
    if checkpoint_dir is None:
        raise ValueError("--checkpoint_dir (a checkpoint folder or prefix) or --saved_model is required")
    if Path(checkpoint_dir).is_dir() and find_saved_model(checkpoint_dir):
        return Translator.from_saved_model(checkpoint_dir, direction)
    return Translator.from_checkpoint(checkpoint_dir, direction)


def collect_inputs(pattern, recursive=False):
    """(base folder, image paths) of --input: a file, a folder or a glob pattern; an error when there are none."""
    path = Path(pattern)
    if path.is_dir():
        base, files = path, list_images(path, recursive)
    elif path.is_file():
        base, files = path.parent, [path]
    elif glob.has_magic(pattern):
        files = sorted(Path(p) for p in glob.glob(pattern, recursive=recursive) if Path(p).is_file())
        base = Path(os.path.commonpath([p.parent for p in files])) if files else None
    else:
        raise FileNotFoundError(f"--input {pattern} not found (a file, a folder or a glob pattern)")
    if not files:
        hint = "" if recursive or not path.is_dir() else " (add --recursive to look in sub-folders)"
        raise ValueError(f"--input {pattern}: no images found{hint}")
    return base, files


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


def check_no_overwrite(files, base, output, targets, grid_path, recursive):
    """Refuse outputs that could replace an input: the input folder itself, or any target that is an input."""
    output, base = Path(output).resolve(), base.resolve()
    if output == base or (recursive and base in output.parents):
        raise ValueError(f"--output {output} is {'inside ' if output != base else ''}the input folder {base}: "
                         f"choose another folder so no input is overwritten")
    inputs = {path.resolve() for path in files}
    for target in [*targets, *([grid_path] if grid_path else [])]:
        if target.resolve() in inputs:
            raise ValueError(f"{target} would overwrite an input: choose another --output")
    if grid_path and grid_path in targets:
        raise ValueError(f"--grid {grid_path} is also the translation of an input: pass --grid=OTHER.png")


def translate_images(input, output, checkpoint_dir=None, saved_model=None, direction="AtoB", batch_size=32,
                     recursive=False, keep_size=False, grid=False):
    """Translate images and write one PNG per input to --output; returns (written paths, skipped messages).

    Args:
      input: an image file, a folder of images or a glob pattern (quote it: "photos/*.jpg").
      output: folder for the results; never the input folder.
      checkpoint_dir: a checkpoint folder (its latest checkpoint), a checkpoint prefix or a SavedModel folder.
      saved_model: a SavedModel folder written by discogan.export (instead of --checkpoint_dir).
      direction: AtoB (e.g. sketch to bag) or BtoA.
      batch_size: images per session run.
      recursive: look for images in sub-folders of --input too; results keep the sub-folders.
      keep_size: scale each result back to its input's size instead of the model's.
      grid: also write a contact sheet of input | output pairs: --grid for OUTPUT/grid.png, or --grid=PATH.
    """
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"--batch_size must be a whole number >= 1, got {batch_size!r}")
    check_direction(direction)
    base, files = collect_inputs(str(input), recursive)
    targets = output_paths(files, base, output)
    grid_path = (Path(output) / GRID_FILE if grid is True else Path(grid)) if grid else None
    check_no_overwrite(files, base, output, targets, grid_path, recursive)
    written, skipped, pairs = [], [], []
    with open_translator(checkpoint_dir, saved_model, direction) as translator:
        progress = Progress(len(files), f"translate {direction}")
        for start in range(0, len(files), batch_size):
            batch = []
            for path, target in zip(files[start:start + batch_size], targets[start:start + batch_size]):
                try:
                    batch.append((load_rgb(path), target))
                except ImageError as error:
                    skipped.append(str(error))
            if batch:
                inputs = [translator.resize(image) for image, _ in batch]
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
