"""The `babytui` command: the app with no arguments, or a command headless (see `parser`)."""

from __future__ import annotations

import sys
from typing import Sequence

from ..core.errors import BabytuiError, SettingsError
from ..core.settings import FIELDS
from .parser import EXIT_FAILED, EXIT_USAGE, UsageError, build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `babytui` console script."""
    from . import data, export, lessons, range_test, runs, train

    args = build_parser().parse_args(argv)
    commands = {
        "lessons": lessons.run, "export": export.run, "data": data.run, "runs": runs.run, "train": train.run,
        "range-test": range_test.run,
    }
    try:
        if args.command is None:
            from ..tui.app import run_app

            return run_app(args.colors)
        return commands[args.command](args)
    except SettingsError as exc:
        name = FIELDS[exc.field].flag if exc.field in FIELDS else f"--{exc.field}"
        print(f"babytui: error: {name}: {exc.reason}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"babytui: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BabytuiError as exc:
        print(f"babytui: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, ValueError, TypeError, KeyError) as exc:  # the last net: a damaged file, never a traceback
        print(f"babytui: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nbabytui: interrupted", file=sys.stderr)
        return 130
