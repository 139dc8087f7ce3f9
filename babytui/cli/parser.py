"""The command line: `babytui` alone opens the app; `lessons`, `train`, `range-test`, `predict`, `export`, `data` and `runs` run headless."""

from __future__ import annotations

import argparse

from ..core.settings import FIELDS

EXIT_USAGE = 2
"""Exit status for a bad flag or setting."""
EXIT_FAILED = 1
"""Exit status for a run that could not go on (data, device, diverged loss)."""


class UsageError(Exception):
    """A command line that makes no sense; one line and exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, without the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _is_yes_no(name: str) -> bool:
    """True for a setting that is a yes/no switch (its default is a bool)."""
    from ..core.settings import Settings

    return isinstance(getattr(Settings(), name), bool)


def add_settings(parser: argparse.ArgumentParser, lesson_required: bool = True) -> None:
    """One flag per setting, named after it; values stay text for the core to validate."""
    from ..core.lessons import lesson_range

    parser.add_argument(
        "--lesson", required=lesson_required, metavar="N", help=f"lesson number, {lesson_range()} (see `babytui lessons`)"
    )
    group = parser.add_argument_group("settings (each lesson has some of these; defaults are the tutorial's)")
    for field in FIELDS.values():
        if _is_yes_no(field.name):
            group.add_argument(field.flag, dest=field.name, nargs="?", const="yes", metavar="yes|no", help=field.help)
            continue
        metavar = "|".join(field.choices) if field.choices else field.name.upper()
        group.add_argument(field.flag, dest=field.name, metavar=metavar, help=field.help)
    group.add_argument(
        "--no-output-activation", dest="output_activation", action="store_const", const="no",
        help="leave the output as raw scores (logits)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full command line."""
    from ..core.lessons import LESSONS

    from .. import __version__
    from ..tui.colors import COLOR_CHOICES, COLORS_ENV

    parser = _Parser(
        prog="babytui",
        usage="babytui [--colors DEPTH]\n       babytui {lessons,train,range-test,predict,runs,export,data} ...",
        description=(
            "Learn PyTorch by doing, in the terminal. `babytui` alone opens the app (the lessons, "
            "their settings and live views); the commands below run headless."
        ),
        epilog="`babytui COMMAND --help` shows a command's flags. Runs are saved under $BABYTUI_HOME "
        "(default: the user's data folder); see `babytui runs`.",
    )
    parser.add_argument("--version", action="version", version=f"babytui {__version__}")
    parser.add_argument(
        "--colors", choices=COLOR_CHOICES, metavar="DEPTH",
        help=f"the app's colours: {', '.join(COLOR_CHOICES)} (default: ${COLORS_ENV}, else auto: "
        "truecolor where the terminal says so, at least 256 inside tmux or GNU screen)",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="{lessons,train,range-test,predict,runs,export,data}")
    lessons = sub.add_parser("lessons", help=f"list the {len(LESSONS)} lessons and their settings; `lessons N`: lesson N's layers")
    lessons.add_argument("number", nargs="?", metavar="N", help="show lesson N's architecture card (for the settings given)")
    lessons.add_argument("--json", action="store_true", help="print the card as one JSON object")
    add_settings(lessons, lesson_required=False)
    train = sub.add_parser("train", help="run a lesson headless: progress on stderr, results on stdout")
    add_settings(train, lesson_required=False)
    train.add_argument("--json", action="store_true", help="print one JSON object with the results on stdout")
    train.add_argument("--no-save", action="store_true", help="do not save this run (see `babytui runs`)")
    train.add_argument(
        "--resume", metavar="RUN",
        help="go on with a stopped or crashed run (its id or a unique start of it) from its last checkpoint",
    )
    predict = sub.add_parser("predict", help="classify your own pictures with a trained run: the top 3 of each")
    predict.add_argument("--run", required=True, metavar="RUN", help="the run whose last checkpoint classifies (its id or a unique start of it)")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="picture files of any size or mode (made 32x32 RGB)")
    predict.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    predict.add_argument("--what-if", action="store_true", help="also the top 3 with each picture flipped, shifted, noisier and darker")
    range_test = sub.add_parser(
        "range-test", help="an LR range test of an image lesson: the loss as the lr grows each batch, and a suggested lr"
    )
    add_settings(range_test)
    range_test.add_argument("--json", action="store_true", help="print the curve and the suggestion as one JSON object")
    runs = sub.add_parser("runs", help="list the saved runs; `--compare A B ...` sets runs side by side; `rm RUN` deletes one")
    runs.add_argument("--csv", nargs="?", const="-", metavar="FILE", help="write the runs as CSV to FILE (or stdout)")
    runs.add_argument(
        "--compare", nargs="+", metavar="RUN",
        help="two or more runs (ids or unique starts) side by side: the settings that differ, and their results",
    )
    runs.add_argument("--json", action="store_true", help="with --compare: print the comparison as one JSON object")
    runs_sub = runs.add_subparsers(dest="runs_command", parser_class=_Parser, metavar="{rm}")
    rm = runs_sub.add_parser("rm", help="delete a saved run (asks first)")
    rm.add_argument("run", metavar="RUN", help="the run's id or a unique start of it")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask")
    export = sub.add_parser("export", help="write a lesson with its settings as one standalone PyTorch script")
    add_settings(export)
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout (never overwrites)")
    data = sub.add_parser("data", help="show the datasets present; `babytui data download` fetches CIFAR-10")
    data_sub = data.add_subparsers(dest="data_command", parser_class=_Parser, metavar="{show,download}")
    for name, text in (("show", "show the data root and the datasets in it (the default)"), ("download", "download CIFAR-10 now, with a progress bar")):
        action = data_sub.add_parser(name, help=text)
        # SUPPRESS: an absent flag here must not undo one given before the action (`data --data-root X show`).
        action.add_argument(
            "--data-root", dest="data_root", metavar="DIR", default=argparse.SUPPRESS,
            help="the data folder (default: $BABYTUI_DATA or the user cache)",
        )
    data.add_argument("--data-root", dest="data_root", metavar="DIR", help="the data folder (default: $BABYTUI_DATA or the user cache)")
    return parser


def lesson_and_settings(args: argparse.Namespace):
    """The lesson and its validated settings from the parsed flags."""
    from ..core.errors import SettingsError
    from ..core.lessons import get_lesson, lesson_range

    try:
        number = int(str(args.lesson).strip())
    except ValueError:
        raise SettingsError("lesson", f"{args.lesson!r} is not a lesson number: choose {lesson_range(joiner=' to ')}") from None
    lesson = get_lesson(number)
    return lesson, lesson.settings(given_settings(args))


def given_settings(args: argparse.Namespace) -> dict[str, str]:
    """The settings given as flags, as typed."""
    return {name: getattr(args, name) for name in FIELDS if getattr(args, name, None) is not None}
