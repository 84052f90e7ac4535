"""Progress lines for long work: items done, rate and time left."""
import sys
import time


def format_seconds(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    """Prints `label: done/total (pct) rate/s ETA` at most every `interval` seconds, and a last line at close."""

    def __init__(self, total, label, unit="images", interval=1.0, stream=None):
        self.total, self.label, self.unit, self.interval = total, label, unit, interval
        self.stream = stream or sys.stderr
        self.done = 0
        self.start = self.last_print = time.monotonic()

    def line(self):
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed
        text = f"{self.label}: {self.done}/{self.total} {self.unit}"
        if self.total:
            text += f" ({100.0 * self.done / self.total:.0f}%)"
        text += f", {rate:.1f} {self.unit}/s"
        if self.total and rate > 0 and self.done < self.total:
            text += f", ETA {format_seconds((self.total - self.done) / rate)}"
        return text + f", elapsed {format_seconds(elapsed)}"

    def update(self, count=1):
        self.done += count
        now = time.monotonic()
        if now - self.last_print >= self.interval:
            self.last_print = now
            print(self.line(), file=self.stream, flush=True)

    def close(self):
        print(self.line(), file=self.stream, flush=True)
