"""Running a command line: fire for the flags, and a user's mistake as one clear line instead of a traceback.

A missing folder, a bad flag or an unreadable image raises UserError, ValueError or a file-system error with
a message naming the file or flag; `run` prints that message and exits with status 2. Set DISCOGAN_DEBUG=1 to
see the traceback instead.
"""
import os
import sys

import fire

USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, NotADirectoryError)


class UserError(ValueError):
    """A mistake in the command (missing folder, output in the way); printed without a traceback."""


def run(main, interrupted="interrupted"):
    """fire.Fire(main) without echoing its return value; user errors and Ctrl-C end in one line."""
    try:
        fire.Fire(main, serialize=lambda _: None)
    except USER_ERRORS as error:
        if os.environ.get("DISCOGAN_DEBUG"):
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        sys.exit(130)
