"""The `babytui` command: the app with no arguments, or a command headless (see `parser`)."""

from __future__ import annotations

import os
import sys
from typing import Sequence

from ..core.errors import BabytuiError, SettingsError
from ..core.formatting import printable
from ..core.settings import FIELDS
from .parser import EXIT_FAILED, EXIT_USAGE, UsageError, build_parser

EXIT_PIPE = 141
"""Exit status when the reader of stdout went away (`babytui runs | head -1`): as if killed by SIGPIPE."""


def error(message: object) -> None:
    """One line on stderr; names read from disk in it are escaped, so they can neither drive the terminal nor add lines."""
    print(f"babytui: error: {printable(message)}", file=sys.stderr)


def _stdout_gone() -> int:
    """The reader of stdout went away: say nothing (there is no one to tell) and leave quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's own flush at exit fails no more
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return EXIT_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `babytui` console script."""
    from . import data, export, lessons, predict, range_test, runs, train

    args = build_parser().parse_args(argv)
    commands = {
        "lessons": lessons.run, "export": export.run, "data": data.run, "runs": runs.run, "train": train.run,
        "predict": predict.run, "range-test": range_test.run,
    }
    try:
        if args.command is None:
            from ..tui.launch import run_app

            return run_app(args.colors)
        code = commands[args.command](args)
        sys.stdout.flush()  # here, where a closed pipe can still be told apart from a failure
        return code
    except BrokenPipeError:
        return _stdout_gone()
    except SettingsError as exc:
        name = FIELDS[exc.field].flag if exc.field in FIELDS else f"--{exc.field}"
        error(f"{name}: {exc.reason}")
        return EXIT_USAGE
    except UsageError as exc:
        error(exc)
        return EXIT_USAGE
    except BabytuiError as exc:
        error(exc)
        return EXIT_FAILED
    except (OSError, ValueError, TypeError, KeyError) as exc:  # the last net: a damaged file, never a traceback
        error(f"{type(exc).__name__}: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nbabytui: interrupted", file=sys.stderr)
        return 130
