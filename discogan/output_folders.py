"""Output folders that are filled out of sight and only swapped in once complete.

The book rmtree'd an existing trainA before writing; here a non-empty output folder is refused unless
the user asks for --overwrite, and an interrupted run leaves the old folder as it was.
"""
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from discogan.cli import UserError
from discogan.image_io import give_ordinary_permissions


def check_free(folders, overwrite):
    """Raise UserError naming the first folder that holds files, unless overwrite is set."""
    for folder in map(Path, folders):
        if folder.exists() and not folder.is_dir():
            raise UserError(f"output {folder} exists and is not a folder")
        if not overwrite and folder.is_dir() and any(folder.iterdir()):
            raise UserError(f"output folder {folder} already exists and is not empty; "
                            f"pass --overwrite to replace it")


@contextmanager
def staged_outputs(folders, overwrite=False):
    """Yield one empty hidden sibling folder per output folder; on success each replaces its output folder.

    On any error (or Ctrl-C) the staged folders are removed and the output folders are left untouched.
    """
    folders = [Path(folder) for folder in folders]
    check_free(folders, overwrite)
    staged = []
    try:
        for folder in folders:
            folder.parent.mkdir(parents=True, exist_ok=True)
            staged.append(Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent)))
            give_ordinary_permissions(staged[-1])
        yield staged
    except BaseException:
        for path in staged:
            shutil.rmtree(path, ignore_errors=True)
        raise
    for folder, path in zip(folders, staged):
        swap_in(path, folder)


def swap_in(staged, folder):
    """Rename `staged` to `folder`, removing what was at `folder` only once the new folder is in place."""
    if not folder.exists():
        staged.rename(folder)
        return
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    folder.rename(old)
    staged.rename(folder)
    shutil.rmtree(old)
