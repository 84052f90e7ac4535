"""One job per image file on every core, with progress and a closing summary.

Dataset tools share this so a bad file is skipped and named instead of killing a long run half way.
"""
import itertools
import multiprocessing
import os
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from discogan.data.image_io import ImageError
from discogan.options.checks import check_whole
from discogan.util.progress import Progress
from discogan.util.stops import stops_blocked, stops_held, unblock_stops


@dataclass
class Summary:
    """What a run wrote and which source files it skipped, with the reason for each."""
    label: str
    outputs: list
    written: int = 0
    skipped: list = field(default_factory=list)
    seconds: float = 0.0

    def report(self):
        rate = self.written / self.seconds if self.seconds > 0 else 0.0
        lines = [f"{self.label}: {self.written} image(s) done in {self.seconds:.1f} s ({rate:.1f}/s), "
                 f"written to {', '.join(str(folder) for folder in self.outputs)}",
                 f"skipped {len(self.skipped)} file(s)" + (":" if self.skipped else "")]
        lines += [f"  {path}: {reason}" for path, reason in sorted(self.skipped)]
        return "\n".join(lines)


def check_counts(**flags):
    """Whole-number flags such as --resize and --workers, each >= 1 when given, checked before any file is written."""
    for flag, value in flags.items():
        if value is not None:
            check_whole(flag, value)


def _quiet_worker():
    """Leave Ctrl-C to the parent, which stops the pool and cleans up, and die silently when the pool stops.

    A worker inherits the parent's signal handlers, which would raise in it, and, from _pool, blocked stop
    signals, which it takes once its own handlers are set.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    unblock_stops()


@contextmanager
def _pool(workers):
    """A process pool started with Ctrl-C and SIGTERM blocked, so its threads leave them to the main thread.

    Python drops a signal that reaches a worker before its initializer has run, which hangs the pool's shutdown;
    blocked, the signal waits until _quiet_worker has set what it does.
    """
    with stops_blocked():
        pool = multiprocessing.Pool(workers, initializer=_quiet_worker)
    with pool:
        yield pool


def _attempt(worker, job):
    """worker(job), with an unreadable image turned into a skip reason instead of an exception."""
    try:
        return worker(job)
    except ImageError as error:
        return str(error.__cause__ or error)


def _attempt_all(worker, jobs):
    return [_attempt(worker, job) for job in jobs]


def run_jobs(worker, jobs, summary, workers=None):
    """Run worker(job) for every job (each has a `.source` path) and count the results into `summary`.

    worker returns None when it wrote its output, or a reason string when it skipped the source.
    Jobs go to a process pool in chunks; workers=1 runs them in this process.
    """
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    progress = Progress(len(jobs), summary.label)
    start = time.monotonic()
    if workers == 1:
        _collect(jobs, map(partial(_attempt, worker), jobs), summary, progress)
    else:
        size = max(1, min(64, len(jobs) // (workers * 8)))
        chunks = [jobs[first:first + size] for first in range(0, len(jobs), size)]
        with stops_held() as caught, _pool(workers) as pool:
            done = _until_stopped(pool.imap(partial(_attempt_all, worker), chunks), caught)
            _collect(jobs, itertools.chain.from_iterable(done), summary, progress)
    progress.close()
    summary.seconds = time.monotonic() - start
    return summary


def _until_stopped(results, caught, seconds=0.2):
    """A pool's results as they come, until they end or a stop signal is noted in `caught` (looked at every
    `seconds` while waiting): the pool then shuts down in peace, and stops_held raises the stop after it."""
    while not caught:
        try:
            yield results.next(timeout=seconds)
        except multiprocessing.TimeoutError:
            continue
        except StopIteration:
            return


def _collect(jobs, results, summary, progress):
    for job, reason in zip(jobs, results):
        if reason is None:
            summary.written += 1
        else:
            summary.skipped.append((str(job.source), reason))
        progress.update()

