"""What the benchmarks time the same way: wall seconds of repeated session runs."""
import time


def run_seconds(session, fetches, count):
    """Wall seconds of each of `count` runs of `fetches` in `session`."""
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        session.run(fetches)
        seconds.append(time.perf_counter() - start)
    return seconds
