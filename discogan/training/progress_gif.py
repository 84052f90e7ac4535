"""The run's sample pictures over time as one animated GIF beside them (sample_dir/progress.gif), written when
training stops: how the translations grew, at a glance and in any browser."""
import re
import sys

import imageio.v3 as iio

from discogan.data.image_io import load_rgb, write_atomically

GIF_NAME = "progress.gif"
MAX_FRAMES = 50  # a small file that still shows the whole run
FRAME_MS = 200
SAMPLE_NAME = re.compile(r"train_(\d+)_(\d+)\.png")


def training_samples(sample_dir):
    """The train_EPOCH_ITERATION.png samples in training order (by number: epoch 100 comes after epoch 99)."""
    named = [(SAMPLE_NAME.fullmatch(path.name), path) for path in sample_dir.glob("train_*.png")]
    return [path for match, path in sorted((tuple(map(int, match.groups())), path) for match, path in named if match)]


def evenly_chosen(items, limit):
    """At most `limit` of `items`, evenly spread from the first to the last."""
    if len(items) <= limit:
        return items
    return [items[round(index * (len(items) - 1) / (limit - 1))] for index in range(limit)]


def write_progress_gif(sample_dir):
    """Write sample_dir/progress.gif from the run's samples and return its path (None without samples); a failure
    warns in one line and is not raised, since the samples themselves are all kept."""
    path = sample_dir / GIF_NAME
    try:
        frames = [load_rgb(sample) for sample in evenly_chosen(training_samples(sample_dir), MAX_FRAMES)]
        if not frames:
            return None
        data = iio.imwrite("<bytes>", frames, extension=".gif", duration=FRAME_MS, loop=0)
        write_atomically(path, lambda stream: stream.write(data))
    except Exception as error:  # the GIF is a view of files that stay; nothing it meets may end the run
        print(f"warning: could not write {path} ({type(error).__name__}: {error}); the samples beside it are kept",
              file=sys.stderr, flush=True)
        return None
    print(f"progress of the samples in {path} ({len(frames)} frames)", flush=True)
    return path
