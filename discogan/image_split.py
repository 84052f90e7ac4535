"""Split side-by-side pix2pix pairs (sketch | photo) into two unpaired domain folders.

`python -m discogan.image_split --path datasets/edges2handbags --_dir_ train` writes the left halves of
train/*.jpg to trainA and the right halves to trainB, keeping each file name (the book's command line).
"""
from pathlib import Path
from typing import NamedTuple, Optional

from discogan.data.dataset_record import domain, folder_names, write_record
from discogan.data.file_jobs import Summary, check_counts, run_jobs
from discogan.data.image_io import list_images, load_rgb, resize_lanczos, save_image, thicken_lines
from discogan.data.output_folders import output_name, staged_outputs
from discogan.util.cli import UserError, run

SIDES = ("left", "right")


class SplitJob(NamedTuple):
    source: Path
    left: Path
    right: Path
    size: Optional[int]
    thicken_sketch: bool


def split_image(job):
    """Write the two halves of one pair; an odd middle column is dropped so both halves are equally wide.

    With thicken_sketch the left half (the sketch) gets its lines thickened at full size, before any resize.
    """
    pixels = load_rgb(job.source)
    height, width, _ = pixels.shape
    if width < 2:
        return f"too narrow to split ({width}x{height} pixels)"
    half = width // 2
    sketch = pixels[:, :half]
    save_image(job.left, resize_lanczos(thicken_lines(sketch) if job.thicken_sketch else sketch, job.size))
    save_image(job.right, resize_lanczos(pixels[:, width - half:], job.size))
    return None


def split_folder(path, _dir_="train", resize=None, a_side="left", overwrite=False, workers=None,
                 thicken_sketch=False):
    """Split every image in path/_dir_ into path/_dir_A and path/_dir_B and return a Summary.

    a_side picks the half that becomes domain A ("left": sketches are A, photos B; "right": the reverse).
    resize=N writes NxN PNG files instead of full-size halves in the source format.
    thicken_sketch thickens the left half's lines (see image_io.thicken_lines), whichever domain it becomes.
    path/dataset.json records what each domain holds (discogan.data.dataset_record).
    """
    if a_side not in SIDES:
        raise UserError(f"--a_side must be one of {', '.join(SIDES)}, not {a_side!r}")
    check_counts(resize=resize, workers=workers)
    source_folder = Path(path) / str(_dir_)
    if not source_folder.is_dir():
        raise UserError(f"source folder not found: {source_folder}")
    sources = list_images(source_folder)
    if not sources:
        raise UserError(f"no images found in {source_folder}")
    folder_a, folder_b = (source_folder.with_name(source_folder.name + domain) for domain in "AB")
    summary = Summary(f"split {source_folder}", [folder_a, folder_b])
    with staged_outputs([folder_a, folder_b], overwrite, inputs=[source_folder]) as (staged_a, staged_b):
        left, right = (staged_a, staged_b) if a_side == "left" else (staged_b, staged_a)
        jobs = [SplitJob(source, left / output_name(source, resize), right / output_name(source, resize), resize,
                         thicken_sketch) for source in sources]
        run_jobs(split_image, jobs, summary, workers)
    sketch_name, photo_name = folder_names(path) or ("sketch", "photo")
    sketches, photos = domain(sketch_name, sketch=True, thickened=thicken_sketch), domain(photo_name)
    write_record(path, *((sketches, photos) if a_side == "left" else (photos, sketches)), resize)
    return summary


def main(path, _dir_="train", resize=None, a_side="left", overwrite=False, workers=None, thicken_sketch=False):
    """Split path/_dir_/*.jpg pairs into path/_dir_A (left half) and path/_dir_B (right half).

    Args:
      path: dataset folder, e.g. datasets/edges2handbags
      _dir_: the subfolder to split: train or val
      resize: write NxN PNG files (e.g. 64) instead of full-size halves
      a_side: which half is domain A: left (the sketch) or right (the photo)
      overwrite: replace existing non-empty output folders
      workers: processes to use (default: every core)
      thicken_sketch: thicken the sketch's (left half's) lines at full size, as the DiscoGAN authors did
    """
    print(split_folder(path, _dir_, resize, a_side, overwrite, workers, thicken_sketch).report())


if __name__ == "__main__":
    run(main, interrupted="interrupted; output folders left as they were")
