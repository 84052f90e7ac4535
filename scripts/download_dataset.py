#!/usr/bin/env python
"""Download and unpack a pix2pix dataset (edges2handbags or edges2shoes) from Berkeley.

Only the standard library (and the package's own stdlib-only progress line), so it runs before anything
is installed. Archives are gigabytes over plain HTTP, so an interrupted download resumes from its
.part file, and the result is checked against the server's size (and an optional SHA-256) before unpacking.

    python scripts/download_dataset.py edges2handbags --out datasets
"""
import argparse
import hashlib
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from discogan.util.progress import Progress  # noqa: E402

URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
DATASETS = {"edges2handbags": "about 8 GB, 138,567 training pairs",
            "edges2shoes": "about 2 GB, 49,825 training pairs"}
CHUNK = 1 << 20


class DownloadError(Exception):
    """A download or archive that cannot be used; the message says what to do."""


def remote_size(url):
    """The Content-Length the server reports for `url`, or None if it does not say."""
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=60) as response:
        length = response.headers.get("Content-Length")
    return int(length) if length else None


def download(url, archive):
    """Fetch `url` to `archive`, resuming `archive`.part with an HTTP Range request, and check its size."""
    part = archive.with_name(archive.name + ".part")
    total = remote_size(url)
    have = part.stat().st_size if part.exists() else 0
    if total is not None and have > total:
        have = 0
    if total is None or have < total:
        headers = {"Range": f"bytes={have}-"} if have else {}
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
            if response.status != 206:
                have = 0
            label = f"download {archive.name}" + (f" (resuming at {have >> 20} MiB)" if have else "")
            progress = Progress(None if total is None else (total - have) >> 20, label, unit="MiB")
            received = 0
            with open(part, "ab" if have else "wb") as stream:
                while chunk := response.read(CHUNK):
                    stream.write(chunk)
                    received += len(chunk)
                    progress.update((received >> 20) - progress.done)
            progress.close()
    check_size(part, total)
    part.replace(archive)
    return archive


def check_size(path, expected):
    """Raise DownloadError if `path` is not `expected` bytes long (None: the server gave no size)."""
    size = path.stat().st_size
    if expected is not None and size != expected:
        raise DownloadError(f"{path} has {size:,} of {expected:,} bytes; run again to resume the download")


def sha256_digest(text):
    """--sha256 as 64 lower-case hex digits; anything else is refused before a byte is fetched or a file touched."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a SHA-256 digest (64 hex digits)")
    return text.lower()


def check_sha256(path, expected):
    """Raise DownloadError if the digest differs, after renaming the file aside: the digest may be the mistake,
    and the file can be hours of download."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        aside = path.with_name(path.name + ".sha256-mismatch")
        path.replace(aside)
        raise DownloadError(f"{path} has SHA-256 {digest.hexdigest()}, expected {expected}; kept it as {aside} "
                            f"(rename it back if the digest was wrong, or delete it and run again to download afresh)")


def unpack(archive, out, name):
    """Extract `archive` to out/name via a hidden staging folder, so an interrupted unpack leaves nothing."""
    target = out / name
    if target.exists():
        print(f"{target} already exists; not unpacking {archive} again", file=sys.stderr)
        return target
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=out))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        (staging / name if (staging / name).is_dir() else staging).rename(target)
    except (tarfile.TarError, OSError) as error:
        raise DownloadError(f"cannot unpack {archive}: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=sorted(DATASETS),
                        help="; ".join(f"{name}: {size}" for name, size in DATASETS.items()))
    parser.add_argument("--out", type=Path, default=Path("datasets"), help="folder to unpack into")
    parser.add_argument("--sha256", type=sha256_digest, help="expected SHA-256 of the .tar.gz archive (64 hex digits)")
    args = parser.parse_args(argv)
    archive = args.out / f"{args.name}.tar.gz"
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        if not archive.exists():
            download(URL.format(name=args.name), archive)
        if args.sha256:
            check_sha256(archive, args.sha256)
        folder = unpack(archive, args.out, args.name)
    except (DownloadError, OSError) as error:  # urllib's URLError is an OSError
        sys.exit(f"error: {error}")
    except KeyboardInterrupt:
        sys.exit("interrupted; run the same command again to resume")
    print(f"unpacked {folder} (you may delete {archive}); next, split the pairs:")
    for part in ("train", "val"):
        print(f"  python -m discogan.image_split --path {folder} --_dir_ {part}")


if __name__ == "__main__":
    main()
