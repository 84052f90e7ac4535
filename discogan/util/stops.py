"""Ctrl-C and SIGTERM, in one place: every command stops the same way, through the same cleanup.

SIGTERM is raised where Ctrl-C would be (`sigterm_as_interrupt`); where an exception must not land (renames that
swap folders in, a training iteration), the signals are noted and acted on later (`stops_held`); a process pool
starts with them blocked (`stops_blocked`). Each stop ends with status 128 + the signal, as shells report it.
"""
import signal
import threading
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """A stop by `signum` that carries its own message (what was left where); discogan.util.cli.run prints it and
    exits with `exit_status`, so scripts can tell a stop from a run that ended."""

    def __init__(self, signum, message=""):
        super().__init__(message)
        self.signum = signum
        self.exit_status = 128 + signum


class Terminated(Stopped):
    """SIGTERM, raised where Ctrl-C would be so the same cleanup runs (a killed run left its staging folders)."""

    def __init__(self, message=""):
        super().__init__(signal.SIGTERM, message)


def _raise_terminated(signum, frame):
    raise Terminated()


@contextmanager
def sigterm_as_interrupt():
    """During the block SIGTERM raises Terminated, a KeyboardInterrupt, as Ctrl-C does."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def stops_held(announce=None, act_at_end=True):
    """Note Ctrl-C and SIGTERM instead of acting on them during the block; with `act_at_end`, act on the first one
    at its end.

    Yields the list of the signals noted, so that a loop can stop early; `announce(signum)` is called on each. A
    handler's exception lands anywhere, even between taking a lock and the `try` that gives it back, and leaves
    the lock taken for good. Python runs handlers in the main thread only, so elsewhere nothing needs
    holding; an ignored signal stays ignored.
    """
    caught, previous = [], {}

    def note(signum, frame):
        caught.append(signum)
        if announce:
            announce(signum)

    if threading.current_thread() is threading.main_thread():
        previous = {signum: signal.signal(signum, note)
                    for signum in STOP_SIGNALS if signal.getsignal(signum) not in (signal.SIG_IGN, None)}
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught and act_at_end:
            signal.raise_signal(caught[0])


@contextmanager
def stops_blocked():
    """Ctrl-C and SIGTERM blocked during the block: threads and processes started in it inherit the mask, and leave
    the signals to the main thread; the signals wait, none is lost."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def unblock_stops():
    """Take the stop signals that stops_blocked held back (in a process started inside it)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
