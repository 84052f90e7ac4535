"""Output folders that are filled out of sight and put in place only once complete, all of them together.

A non-empty output folder is refused unless the user asks for --overwrite, and the user sees either every old
output folder or every new one, never a mix: new folders
are staged beside the outputs, swapped in by renames that Ctrl-C and SIGTERM cannot split, and only then are the
old ones deleted.
"""
import glob
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from discogan.data.image_io import give_ordinary_permissions
from discogan.util.cli import UserError
from discogan.util.stops import stops_held


def check_apart(inputs, folders):
    """Refuse an output folder that is, holds or lies inside an input, or holds a file that an input links to:
    replacing it would delete that input (a link left dangling is a deleted input)."""
    for source in map(Path, inputs):
        real, linked = source.resolve(), file_links(source)
        for folder in folders:
            output = folder.resolve()
            relation = ("is" if output == real else "holds" if output in real.parents
                        else "lies inside" if real in output.parents else None)
            if relation:
                raise UserError(f"output folder {folder} {relation} the input {source}: "
                                f"choose another output so that no input is replaced")
            for link, target in linked.items():
                if output in target.parents:
                    raise UserError(f"output folder {folder} holds {target}, which the input {link} links to: "
                                    f"choose another output so that no input is replaced")


def file_links(folder):
    """{link: the file it resolves to} for the symbolic links to files among the entries of `folder`."""
    if not Path(folder).is_dir():
        return {}
    with os.scandir(folder) as entries:
        return {Path(entry.path): Path(entry.path).resolve() for entry in entries
                if entry.is_symlink() and entry.is_file()}


def check_free(folders, overwrite):
    """Raise UserError naming the first folder that is in the way: a file, a link, or (without overwrite) files."""
    for folder in map(Path, folders):
        if folder.is_symlink():
            raise UserError(f"output {folder} is a symbolic link (to {os.readlink(folder)}); it is never replaced "
                            f"through the link: remove the link or choose another output")
        if folder.exists() and not folder.is_dir():
            raise UserError(f"output {folder} exists and is not a folder")
        if not overwrite and folder.is_dir() and any(folder.iterdir()):
            raise UserError(f"output folder {folder} already exists and is not empty; "
                            f"pass --overwrite to replace it")


def leftover_name(folder, kind):
    """`.NAME.partial-PID` (a new folder being filled) or `.NAME.old-PID` (an old one being deleted): the process
    id tells a later run when the folder is stale."""
    return f".{folder.name}.{kind}-{os.getpid()}"


def staging_folder(folder):
    """An empty hidden sibling of `folder`, with ordinary permissions, to fill out of sight."""
    path = Path(tempfile.mkdtemp(prefix=leftover_name(folder, "partial") + "-", dir=folder.parent))
    give_ordinary_permissions(path)
    return path


def remove_stale_leftovers(folder):
    """Delete the staging and old folders beside `folder` of runs that died before removing them (SIGKILL, a
    power cut, a second Ctrl-C)."""
    for kind in ("partial", "old"):
        prefix = f".{folder.name}.{kind}-"
        for path in folder.parent.glob(glob.escape(prefix) + "*"):
            pid = path.name[len(prefix):].partition("-")[0]
            if pid.isdigit() and not process_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process
    return True


@contextmanager
def staged_outputs(folders, overwrite=False, inputs=()):
    """Yield one empty hidden sibling folder per output folder; on success they replace the output folders together.

    Before anything is written, an output folder is refused when it holds files (unless overwrite), is a symbolic
    link, or is, holds or lies inside one of `inputs`. On any error, Ctrl-C or SIGTERM the staged folders are
    removed and the output folders are left untouched.
    """
    folders = [Path(folder) for folder in folders]
    check_apart(inputs, folders)
    check_free(folders, overwrite)
    staged = []
    try:
        for folder in folders:
            folder.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_leftovers(folder)
            staged.append(staging_folder(folder))
        yield staged
        swap_in_all(staged, folders)
    except BaseException:
        for path in staged:
            shutil.rmtree(path, ignore_errors=True)
        raise


def swap_in_all(staged, folders):
    """Put every staged folder in place of its output folder, then delete the old output folders.

    Ctrl-C and SIGTERM wait for the renames, which take moments; one that came meanwhile, or later, can only
    interrupt the deletion, and then the message names the old folders left.
    """
    aside = None
    try:
        with stops_held():
            aside = rename_all(staged, folders)
        delete_aside(aside)
    except KeyboardInterrupt as stop:
        if aside is None:
            raise
        left = ", ".join(str(old) for _, old in aside if os.path.lexists(old))
        raise type(stop)(f"interrupted after the new output folders were put in place; "
                         f"old ones left to delete: {left or 'none'}") from None


def rename_all(staged, folders):
    """Rename the existing output folders aside, then the staged folders into their places; returns the
    (folder, old folder) pairs set aside. A failed rename undoes the earlier ones, so no output is ever missing."""
    aside = [(folder, folder.with_name(leftover_name(folder, "old"))) for folder in folders if folder.exists()]
    done = []
    try:
        for source, target in aside + list(zip(staged, folders)):
            source.rename(target)
            done.append((source, target))
    except OSError:
        for source, target in reversed(done):
            target.rename(source)
        raise
    return aside


def delete_aside(aside):
    """Delete the old output folders; one that resists deletion is named, and the new outputs stay in place."""
    for folder, old in aside:
        try:
            shutil.rmtree(old)
        except OSError as error:
            print(f"warning: {folder} was replaced, but its old contents could not all be deleted ({error}); "
                  f"they are in {old}: delete that folder", file=sys.stderr)


def swap_in(staged, folder):
    """Rename `staged` to `folder`, removing what was at `folder` only once the new folder is in place."""
    swap_in_all([staged], [folder])


def archive_folder(folder):
    """Move a folder that holds anything aside to `<folder>.old-DATE`, never deleting it; returns where it went, or
    None when it was empty or absent."""
    folder = Path(folder)
    if not (folder.is_dir() and any(folder.iterdir())):
        return None
    target = folder.with_name(f"{folder.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
    shutil.move(str(folder), str(target))
    return target


def output_name(source, size):
    """The source's file name, or its stem with .png when resizing (small images stay lossless)."""
    return Path(source).name if size is None else Path(source).stem + ".png"
