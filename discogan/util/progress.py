"""Progress lines for long work: items done, rate and time left; a status line that stays readable on a terminal
and in a log file."""
import sys
import threading
import time
import warnings


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


class StatusLine:
    """The latest of a stream of status lines, with other messages on lines of their own.

    On a terminal the status is rewritten in place; in a file or pipe it is printed once every `interval` seconds
    (and the first and last), so that a log keeps its messages in view. `every` prints every status, as the book
    does. Messages and warnings may come from any thread; use it in a `with` block to route warnings through it.
    """

    def __init__(self, stream=None, interval=10.0, every=False):
        self.stream = stream or sys.stdout
        self.in_place = not every and self.stream.isatty()
        self.interval = 0.0 if every else interval
        self.last_print, self.pending, self.shown = None, None, ""
        self._lock = threading.Lock()
        self._showwarning = None

    def update(self, text):
        with self._lock:
            now = time.monotonic()
            if self.in_place or self.last_print is None or now - self.last_print >= self.interval:
                self.last_print, self.pending = now, None
                self._write(text)
            else:
                self.pending = text

    def say(self, text, stream=None):
        """`text` on a line of its own; on a terminal the status line comes back under it."""
        with self._lock:
            if self.in_place and self.shown:
                self.stream.write("\r" + " " * len(self.shown) + "\r")
                self.stream.flush()
            print(text, file=stream or self.stream, flush=True)
            if self.in_place and self.shown:
                self.stream.write(self.shown)
                self.stream.flush()

    def close(self):
        """End the status line: the last status is printed if the interval held it back."""
        with self._lock:
            if self.pending is not None:
                self._write(self.pending)
                self.pending = None
            if self.in_place and self.shown:
                self.stream.write("\n")
                self.stream.flush()
            self.shown = ""

    def _write(self, text):
        if self.in_place:
            self.stream.write("\r" + text.ljust(len(self.shown)))
            self.stream.flush()
            self.shown = text
        else:
            print(text, file=self.stream, flush=True)

    def __enter__(self):
        self._showwarning = warnings.showwarning
        warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: self.say(
            warnings.formatwarning(message, category, filename, lineno, line).rstrip("\n"), file or sys.stderr)
        return self

    def __exit__(self, *exc):
        warnings.showwarning = self._showwarning
        self.close()
