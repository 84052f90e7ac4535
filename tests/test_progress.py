"""The console's status line: in place on a terminal, every few seconds in a file, messages on lines of their own."""
import io
import warnings

from discogan.util import progress
from discogan.util.progress import StatusLine


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_status_is_rewritten_in_place_and_messages_and_warnings_get_their_own_lines(capsys):
    stream = Terminal()
    with StatusLine(stream) as status:
        status.update("step 1 of 3, a long status")
        status.update("step 2 of 3")
        status.say("eval at step 2")
        warnings.warn("a warning")
        status.update("step 3 of 3")
    blank = "\r" + " " * len("step 2 of 3") + "\r"
    assert stream.getvalue() == ("\rstep 1 of 3, a long status" + "\rstep 2 of 3" + " " * 15
                                 + blank + "eval at step 2\n" + "step 2 of 3"
                                 + blank + "step 2 of 3"  # the warning went to stderr in between
                                 + "\rstep 3 of 3" + "\n")
    assert capsys.readouterr().err.splitlines()[0].endswith("UserWarning: a warning")


def test_in_a_file_the_status_is_printed_every_interval_and_the_last_one_at_the_end(monkeypatch):
    clock = iter([0.0, 1.0, 2.0, 10.5, 11.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    with StatusLine(stream, interval=10.0) as status:
        for step in range(1, 6):
            status.update(f"step {step}")
            if step == 2:
                status.say("sample picture sample/train_00_0001.png")
    assert stream.getvalue().splitlines() == ["step 1", "sample picture sample/train_00_0001.png", "step 4", "step 5"]


def test_every_prints_each_status():
    stream = Terminal()
    with StatusLine(stream, every=True) as status:
        for step in range(3):
            status.update(f"step {step}")
    assert stream.getvalue() == "step 0\nstep 1\nstep 2\n"
