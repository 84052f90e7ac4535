"""Running a command line: fire for the flags, and a user's mistake as one clear line instead of a traceback.

A missing folder, a bad flag or an unreadable image raises UserError, ValueError or a file-system error with
a message naming the file or flag; `run` prints that message and exits with status 2. Any other file-system error
(a read-only folder, a full disk) is the machine's, not the command's: one line and status 1. Set DISCOGAN_DEBUG=1
to see the traceback instead. Flags are checked against the command before it runs, and SIGTERM stops a command
like Ctrl-C, through the same cleanup, with the status 143 shells expect.
"""
import difflib
import inspect
import os
import re
import sys
import typing

import fire
from fire.parser import DefaultParseValue

from discogan.util.stops import sigterm_as_interrupt

USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError)
is_flag = re.compile(r"--|-[a-zA-Z]").match  # fire's test: a negative number is a value, not a flag


class UserError(ValueError):
    """A mistake in the command (missing folder, output in the way); printed without a traceback."""


def run(main, interrupted="interrupted"):
    """fire.Fire(main) without echoing its return value; bad flags, errors, Ctrl-C and SIGTERM end in one line.

    An interruption that carries its own message (it says what was left where) prints that instead of `interrupted`.
    """
    try:
        with sigterm_as_interrupt():
            fire.Fire(main, command=fire_command(main, sys.argv[1:]), serialize=lambda _: None)
    except (ValueError, OSError) as error:
        if os.environ.get("DISCOGAN_DEBUG"):
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2 if isinstance(error, USER_ERRORS) else 1)
    except KeyboardInterrupt as stop:
        print(str(stop) or interrupted, file=sys.stderr)
        sys.exit(getattr(stop, "exit_status", 130))


def fire_command(main, args):
    """The arguments to hand fire: `args` once their flags and values are checked against the command, or a request
    for help.

    fire would run the command before reporting a flag it cannot use (`--resise 64`), and before showing help asked
    for after a flag (`--path X --help`). `main` is a function or, as for train, a dict of them named by the first
    argument.
    """
    chosen = [args[0]] if isinstance(main, dict) and args and args[0] in main else []
    if "-h" in args or "--help" in args:
        return [*chosen, "--help"]
    if isinstance(main, dict) and not chosen:
        return args  # fire names a missing or unknown command before running anything
    function, flags = (main[chosen[0]], args[1:]) if chosen else (main, args)
    if "--" in flags:
        flags = flags[:len(flags) - 1 - flags[::-1].index("--")]  # what follows the last -- is for fire itself
    parameters = inspect.signature(function).parameters
    flags, values = split_arguments(flags)
    if any(parameter.kind == parameter.VAR_KEYWORD for parameter in parameters.values()):
        named = {key for key, _ in flags}
    else:
        named = set()
        for key, text in flags:
            name, text = flag_name(key, text, list(parameters))
            check_value(name, text, parameters[name].default, parameters[name].annotation)
            named.add(name)
    check_values(values, parameters, named)
    return args


def split_arguments(args):
    """(flags, values) as fire reads `args`: each flag as (key, text) from --key=text, --key text or a bare --key
    (text None), and the values that follow no flag."""
    flags, values, index = [], [], 0
    while index < len(args):
        argument, index = args[index], index + 1
        if not is_flag(argument):
            values.append(argument)
            continue
        key, equals, text = argument.lstrip("-").partition("=")
        if not equals:
            text = None
            if index < len(args) and not is_flag(args[index]):
                text, index = args[index], index + 1
        flags.append((key.replace("-", "_"), text))
    return flags, values


def check_values(values, parameters, named):
    """Refuse values that follow no flag, beyond those filling required parameters not `named` by a flag.

    fire gives such a value to the next parameter not given, whatever it is: in `--a_side left 2` the 2 would
    set --overwrite.
    """
    if any(parameter.kind == parameter.VAR_POSITIONAL for parameter in parameters.values()):
        return
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    wanted = [name for name, parameter in parameters.items() if parameter.kind in positional
              and parameter.default is parameter.empty and name not in named]
    stray = values[len(wanted):]
    if stray:
        raise UserError(f"unexpected value{'s' if len(stray) > 1 else ''} {', '.join(map(repr, stray))}: a value goes "
                        f"right after its flag, as in --NAME {stray[0]} (--help lists the flags)")


def flag_name(key, text, names):
    """(parameter name, value text) for a flag key: the name itself, --noNAME (False) or a unique first letter."""
    if key in names:
        return key, text
    if text is None and key.startswith("no") and key[2:] in names:
        return key[2:], "False"
    by_letter = [name for name in names if len(key) == 1 and name.startswith(key)]
    if len(by_letter) == 1:
        return by_letter[0], text
    closest = difflib.get_close_matches(key, names, n=1)
    hint = f"did you mean --{closest[0]}?" if closest else "--help lists the flags"
    raise UserError(f"unknown flag --{key}: {hint}")


def check_value(name, text, default, annotation=None):
    """A flag whose default is a number must be given one (or, where its annotation admits a tuple, such as
    --lambda_colour's, several: 30,10), and a switch no 'false': fire passes text on as it is, and the text 'false'
    is true. (A switch may take other text: translate's --grid=PATH.)"""
    value = True if text is None else DefaultParseValue(text)
    if isinstance(default, bool):
        wanted, fits = "True or False", not (isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"))
    elif isinstance(default, (int, float)):
        several = any(typing.get_origin(kind) is tuple for kind in typing.get_args(annotation))
        wanted = "a number or several, such as 30,10" if several else "a number"
        numbers = value if several and isinstance(value, tuple) else (value,)
        fits = all(isinstance(number, (int, float)) and not isinstance(number, bool) for number in numbers)
    else:
        return
    if not fits:
        raise UserError(f"--{name} must be {wanted}, got " + ("nothing" if text is None else repr(text)))
