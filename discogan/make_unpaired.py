"""Build an unpaired two-domain dataset (e.g. handbags <-> shoes) from two folders of images.

`python -m discogan.make_unpaired --domain_a datasets/edges2handbags/trainB --domain_b
datasets/edges2shoes/trainB --output datasets/handbags2shoes` writes OUT/trainA, trainB, valA, valB,
holding out --val_size images of each domain with a seeded shuffle so the split can be rebuilt exactly.
"""
import random
from pathlib import Path
from typing import NamedTuple, Optional

from discogan.data.dataset_record import folder_names, source_domain, write_record
from discogan.data.file_jobs import Summary, check_counts, run_jobs
from discogan.data.image_io import copy_file, list_images, read_image, resize_lanczos, save_image
from discogan.data.output_folders import output_name, staged_outputs
from discogan.options.checks import check_whole
from discogan.util.cli import UserError, run


class CopyJob(NamedTuple):
    source: Path
    target: Path
    size: Optional[int]


def copy_image(job):
    """Copy one checked image: byte for byte when it is 8-bit RGB and kept full size, else converted."""
    pixels, mode = read_image(job.source)
    if job.size is None and mode == "RGB":
        copy_file(job.source, job.target)
    else:
        save_image(job.target, resize_lanczos(pixels, job.size))
    return None


def hold_out(sources, val_size, limit, rng):
    """(train, val) from a seeded shuffle of `sources`: val_size images for val, at most `limit` for train."""
    if len(sources) <= val_size:
        raise UserError(f"{len(sources)} image(s) cannot give {val_size} validation images and a training set")
    shuffled = list(sources)
    rng.shuffle(shuffled)
    return shuffled[val_size:][:limit], shuffled[:val_size]


def unique_targets(sources, folder, size):
    """Target paths in `folder` named after the sources; clashing names (1.jpg, 1.png -> 1.png) get _2, _3."""
    taken, targets = set(), []
    for source in sources:
        name = output_name(source, size)
        stem, suffix, count = Path(name).stem, Path(name).suffix, 1
        while name.lower() in taken:
            count += 1
            name = f"{stem}_{count}{suffix}"
        taken.add(name.lower())
        targets.append(folder / name)
    return targets


def make_unpaired(domain_a, domain_b, output, val_size=100, seed=0, limit=None, resize=None,
                  overwrite=False, workers=None):
    """Write output/trainA, trainB, valA, valB from the images of two folders and return a Summary; output/dataset.json
    records the domains (discogan.data.dataset_record)."""
    check_whole("val_size", val_size, minimum=0)
    check_counts(limit=limit, resize=resize, workers=workers)
    sources = {}
    for domain, folder in (("A", Path(domain_a)), ("B", Path(domain_b))):
        if not folder.is_dir():
            raise UserError(f"domain {domain} folder not found: {folder}")
        sources[domain] = list_images(folder)
    rng = random.Random(seed)
    splits = {domain: hold_out(images, val_size, limit, rng) for domain, images in sources.items()}
    output = Path(output)
    names = [f"{part}{domain}" for domain in "AB" for part in ("train", "val")]
    summary = Summary(f"unpaired {output}", [output / name for name in names])
    with staged_outputs(summary.outputs, overwrite, inputs=[domain_a, domain_b]) as staged:
        folders = dict(zip(names, staged))
        jobs = []
        for domain, (train, val) in splits.items():
            for part, images in (("train", train), ("val", val)):
                targets = unique_targets(images, folders[part + domain], resize)
                jobs += [CopyJob(source, target, resize) for source, target in zip(images, targets)]
        run_jobs(copy_image, jobs, summary, workers)
    names = folder_names(output) or (None, None)  # handbags2shoes names sources that are not recorded
    write_record(output, source_domain(domain_a, names[0]), source_domain(domain_b, names[1]), resize)
    return summary


def main(domain_a, domain_b, output, val_size=100, seed=0, limit=None, resize=None, overwrite=False,
         workers=None):
    """Build output/trainA, trainB, valA, valB from two folders of images.

    Args:
      domain_a: folder of domain A images, e.g. datasets/edges2handbags/trainB
      domain_b: folder of domain B images, e.g. datasets/edges2shoes/trainB
      output: dataset folder to create, e.g. datasets/handbags2shoes
      val_size: images of each domain held out for valA/valB
      seed: seed of the shuffle that picks the validation images
      limit: keep at most this many training images per domain
      resize: write NxN PNG files (e.g. 64) instead of copying
      overwrite: replace existing non-empty output folders
      workers: processes to use (default: every core)
    """
    print(make_unpaired(domain_a, domain_b, output, val_size, seed, limit, resize, overwrite, workers).report())


if __name__ == "__main__":
    run(main, interrupted="interrupted; output folders left as they were")
