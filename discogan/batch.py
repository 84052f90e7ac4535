"""One job per image file on every core, with progress and a closing summary.

Dataset tools share this so a bad file is skipped and named instead of killing a long run half way,
"""
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass, field
from functools import partial

from discogan.image_io import ImageError
from discogan.progress import Progress


@dataclass
class Summary:
    """What a run wrote and which source files it skipped, with the reason for each."""
    label: str
    outputs: list
    written: int = 0
    skipped: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped_names(self):
        return sorted(os.path.basename(path) for path, _ in self.skipped)

    def report(self):
        rate = self.written / self.seconds if self.seconds > 0 else 0.0
        lines = [f"{self.label}: {self.written} image(s) done in {self.seconds:.1f} s ({rate:.1f}/s), "
                 f"written to {', '.join(str(folder) for folder in self.outputs)}",
                 f"skipped {len(self.skipped)} file(s)" + (":" if self.skipped else "")]
        lines += [f"  {path}: {reason}" for path, reason in sorted(self.skipped)]
        return "\n".join(lines)


def _attempt(worker, job):
    """worker(job), with an unreadable image turned into a skip reason instead of an exception."""
    try:
        return worker(job)
    except ImageError as error:
        return str(error.__cause__ or error)


def run_jobs(worker, jobs, summary, workers=None):
    """Run worker(job) for every job (each has a `.source` path) and count the results into `summary`.

    worker returns None when it wrote its output, or a reason string when it skipped the source.
    Jobs go to a process pool in chunks; workers=1 runs them in this process.
    """
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    progress = Progress(len(jobs), summary.label)
    start = time.monotonic()
    task = partial(_attempt, worker)
    if workers == 1:
        _collect(jobs, map(task, jobs), summary, progress)
    else:
        chunksize = max(1, min(64, len(jobs) // (workers * 8)))
        ignore_ctrl_c = (signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool and cleans up
        with multiprocessing.Pool(workers, initializer=signal.signal, initargs=ignore_ctrl_c) as pool:
            _collect(jobs, pool.imap(task, jobs, chunksize=chunksize), summary, progress)
    progress.close()
    summary.seconds = time.monotonic() - start
    return summary


def _collect(jobs, results, summary, progress):
    for job, reason in zip(jobs, results):
        if reason is None:
            summary.written += 1
        else:
            summary.skipped.append((str(job.source), reason))
        progress.update()

