"""The one overwrite rule of every command that writes into a folder, and output folders filled out of sight.

Every command checks its outputs with `check_outputs` before it does any work, so that they all refuse the same
things with the same words. Folders replaced whole (image_split, make_unpaired, export) are staged beside the outputs
and swapped in together by renames that Ctrl-C and SIGTERM cannot split: the user sees either every old output
folder or every new one, never a mix.
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

NAMED_IN_THE_WAY = 3  # existing files a refusal names before "...": enough to recognise them


def check_outputs(inputs, folders=(), files=(), overwrite=False):
    """Refuse, before any work, outputs that would replace an input or, silently, a user's files.

    `folders` are replaced whole; `files` are written into their folder, beside whatever else it holds. `inputs` are
    the files the command reads and the folders it reads with their sub-folders. The rule:
    - an input is never replaced: no output folder is, holds or lies inside an input, or holds a file an input links
      to; no output file lies inside an input folder or goes into the folder of an input file (so it is never an
      input, and results never mix with the images they came from);
    - existing files are replaced only with --overwrite: an output folder that holds files, or an output file that
      exists, is refused without it; with it, the folder's old files are deleted once the new folder is in place, and
      an existing file is written over;
    - never through a link, and never one kind for another: an output that is a symbolic link, a file where a folder
      goes and a folder where a file goes are refused even with --overwrite.
    """
    inputs, folders, files = [Path(p) for p in inputs], [Path(p) for p in folders], [Path(p) for p in files]
    for folder in folders:
        check_folder_apart(folder, inputs)
    for file in files:
        check_file_apart(file, inputs)
    for output in folders + files:
        if output.is_symlink():
            raise UserError(f"output {output} is a symbolic link (to {os.readlink(output)}); it is never replaced "
                            f"through the link: remove the link or choose another output")
    for folder in folders:
        check_folder_free(folder, overwrite)
    check_files_free(files, overwrite)


def check_folder_apart(folder, inputs):
    """Refuse an output folder that is, holds or lies inside an input, or holds a file that an input links to:
    replacing it would delete that input (a link left dangling is a deleted input)."""
    output = folder.resolve()
    for source in inputs:
        real = source.resolve()
        relation = ("is" if output == real else "holds" if output in real.parents
                    else "lies inside" if real in output.parents else None)
        if relation:
            raise UserError(f"output folder {folder} {relation} the input {source}: "
                            f"choose another output so that no input is replaced")
        for link, target in file_links(source).items():
            if output in target.parents:
                raise UserError(f"output folder {folder} holds {target}, which the input {link} links to: "
                                f"choose another output so that no input is replaced")


def check_file_apart(file, inputs):
    """Refuse an output file that goes into an input file's folder or lies inside an input folder: there it would
    overwrite an input or be read as one the next time."""
    output = file.resolve()
    for source in inputs:
        real = source.resolve()
        if source.is_dir() and real in output.parents:
            raise UserError(f"output {file} lies inside the input folder {source}: results there would overwrite an "
                            f"input or be read as one; choose another output")
        if not source.is_dir() and output.parent in (real.parent, source.parent.resolve()):
            raise UserError(f"output folder {file.parent} is the input folder of {source}: results there would "
                            f"overwrite an input or be read as one; choose another output")


def file_links(folder):
    """{link: the file it resolves to} for the symbolic links to files among the entries of `folder`."""
    if not Path(folder).is_dir():
        return {}
    with os.scandir(folder) as entries:
        return {Path(entry.path): Path(entry.path).resolve() for entry in entries
                if entry.is_symlink() and entry.is_file()}


def check_folder_free(folder, overwrite):
    """Refuse an output folder that is a file or, without overwrite, holds files."""
    if folder.exists() and not folder.is_dir():
        raise UserError(f"output {folder} exists and is not a folder")
    if not overwrite and folder.is_dir() and any(folder.iterdir()):
        raise FileExistsError(f"output folder {folder} already exists and is not empty; "
                        f"pass --overwrite to replace it")


def check_files_free(files, overwrite):
    """Refuse output files whose folder is a file, that are folders or, without overwrite, that exist (naming the
    first few)."""
    for file in files:
        for folder in file.parents:
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(f"output {folder} is a file, not a folder")
    existing = [file for file in files if os.path.lexists(file)]
    for file in existing:
        if file.is_dir():
            raise IsADirectoryError(f"{file} is a folder, where a result file would go: choose another name")
    if existing and not overwrite:
        names = ", ".join(map(str, existing[:NAMED_IN_THE_WAY])) + (", ..." if len(existing) > NAMED_IN_THE_WAY else "")
        raise FileExistsError(f"{len(existing)} result file(s) exist already: {names}; pass --overwrite to replace "
                              f"them, or choose another output")


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

    The outputs are checked first (`check_outputs`). On any error, Ctrl-C or SIGTERM the staged folders are removed
    and the output folders are left untouched.
    """
    folders = [Path(folder) for folder in folders]
    check_outputs(inputs, folders=folders, overwrite=overwrite)
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
