"""Where the demos keep the datasets they draw, and how a drawing is redrawn without touching anything else there.

A demo writes its images under one cache folder (DISCOGAN_CACHE, else ~/.cache/discogan), lists each file in
`.drawn` before writing it, and stamps the folder `.complete` once the drawing is whole. A redraw (another
stamp, or a drawing cut short) deletes only the files `.drawn` lists, never through a link, so an image of the
user's in a split folder is kept.
"""
import os
import sys
from pathlib import Path

import numpy as np

from discogan.data.image_io import save_image
from discogan.data.output_folders import archive_folder
from discogan.util.progress import Progress

SPLIT_FOLDERS = ("trainA", "trainB", "valA", "valB")  # where both demos draw
STAMP_FILE = ".complete"
MANIFEST_FILE = ".drawn"  # one `split/name` line per file drawn, written before the file


def default_cache_dir(folder_name):
    """`folder_name` under DISCOGAN_CACHE, or under ~/.cache/discogan when that is unset or empty (an empty value
    would draw into whatever folder the command runs in)."""
    return Path(os.environ.get("DISCOGAN_CACHE") or Path.home() / ".cache" / "discogan") / folder_name


def write_once(root, count, unit, items, stamp, seed, before_complete=None):
    """Write the files `items(rng)` yields, `count` lists of (path under root, pixels), unless `root` is complete;
    `before_complete()` writes what goes with them (the shoes demo's print labels) before the set counts as drawn.

    `.complete` (holding `stamp`) is written last, so a drawing cut short starts again; a drawing stamped otherwise
    (other sizes, or an older version of the drawing) is drawn again, the files it drew removed first so that none
    of them mixes with the new ones. Returns `root`.
    """
    stamp_file = root / STAMP_FILE
    found = read_stamp(stamp_file)
    if found == stamp:
        return root
    check_split_folders(root)
    if found is not None:
        print(f"{root} holds an older drawing ({found!r}, not {stamp!r}): drawing it again", file=sys.stderr)
        stamp_file.unlink()
    remove_drawn(root, found is not None)
    progress = Progress(count, f"drawing the demo dataset in {root}", unit=unit)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / MANIFEST_FILE, "a") as manifest:
        for files in items(np.random.default_rng(seed)):
            for relative, pixels in files:
                manifest.write(relative + "\n")
                manifest.flush()
                save_image(root / relative, pixels)
            progress.update()
    progress.close()
    if before_complete:
        before_complete()
    stamp_file.write_text(stamp + "\n")
    return root


def read_stamp(stamp_file):
    """The stamp of a complete drawing (any bytes, so a damaged stamp reads as another drawing's), or None."""
    if stamp_file.is_dir():
        raise ValueError(f"{stamp_file} is a folder, where the demo keeps the stamp of its drawing: move it away")
    if not stamp_file.is_file():
        return None
    return stamp_file.read_bytes().decode(errors="replace").strip()


def check_split_folders(root):
    """Refuse a split folder that is a link: the demo draws and deletes only in folders of its own."""
    for folder in SPLIT_FOLDERS:
        if (root / folder).is_symlink():
            raise ValueError(f"{root / folder} is a link (to {os.readlink(root / folder)}); the demo never draws "
                             f"through a link: remove the link or set DISCOGAN_CACHE to another folder")


def remove_drawn(root, stamped):
    """Delete the files an earlier drawing listed in `.drawn`, then the list.

    A `stamped` cache without the list was drawn before the demo kept one: which of its images are the user's is
    unknown, so its split folders are moved aside whole, never deleted.
    """
    manifest = root / MANIFEST_FILE
    if not manifest.is_file():
        for folder in SPLIT_FOLDERS if stamped else ():
            target = archive_folder(root / folder)
            if target:
                print(f"moved {root / folder}, drawn by an older version, to {target}: delete it once nothing of "
                      f"yours is in it", file=sys.stderr)
        return
    for line in manifest.read_text(errors="replace").splitlines():
        folder, _, name = line.partition("/")
        path = root / folder / name
        if folder in SPLIT_FOLDERS and name and Path(name).name == name and path.is_file() and not path.is_symlink():
            path.unlink()
    manifest.unlink()
