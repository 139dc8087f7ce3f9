"""The `babytui` command: the app with no arguments, or `lessons`, `train`, `export` headless."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Sequence

from .core.errors import BabytuiError, SettingsError
from .core.runs import format_duration
from .core.settings import FIELDS

EXIT_USAGE = 2
"""Exit status for a bad flag or setting."""
EXIT_FAILED = 1
"""Exit status for a run that could not go on (data, device, diverged loss)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, without the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_settings(parser: argparse.ArgumentParser, lesson_required: bool = True) -> None:
    """One flag per setting, named after it; values stay text for the core to validate."""
    parser.add_argument(
        "--lesson", required=lesson_required, metavar="N", help="lesson number, 1-14 (see `babytui lessons`)"
    )
    group = parser.add_argument_group("settings (each lesson has some of these; defaults are the tutorial's)")
    for field in FIELDS.values():
        if field.name in ("output_activation", "first_layer_only", "trust_data"):
            group.add_argument(
                field.flag, dest=field.name, nargs="?", const="yes", metavar="yes|no", help=field.help
            )
            continue
        metavar = "|".join(field.choices) if field.choices else field.name.upper()
        group.add_argument(field.flag, dest=field.name, metavar=metavar, help=field.help)
    group.add_argument(
        "--no-output-activation", dest="output_activation", action="store_const", const="no",
        help="leave the output as raw scores (logits)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full command line: the app, lessons, train, export."""
    parser = _Parser(prog="babytui", description="Learn PyTorch by doing, in the terminal.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="{lessons,train,runs,export,data}")
    sub.add_parser("lessons", help="list the fourteen lessons and their settings")
    train = sub.add_parser("train", help="run a lesson headless: progress on stderr, results on stdout")
    _add_settings(train, lesson_required=False)
    train.add_argument("--json", action="store_true", help="print one JSON object with the results on stdout")
    train.add_argument("--no-save", action="store_true", help="do not save this run (see `babytui runs`)")
    train.add_argument(
        "--resume", metavar="RUN",
        help="go on with a stopped or crashed run (its id or a unique start of it) from its last checkpoint",
    )
    runs = sub.add_parser("runs", help="list the saved runs; `babytui runs rm RUN` deletes one")
    runs.add_argument("--csv", nargs="?", const="-", metavar="FILE", help="write the runs as CSV to FILE (or stdout)")
    runs_sub = runs.add_subparsers(dest="runs_command", parser_class=_Parser, metavar="{rm}")
    rm = runs_sub.add_parser("rm", help="delete a saved run (asks first)")
    rm.add_argument("run", metavar="RUN", help="the run's id or a unique start of it")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask")
    export = sub.add_parser("export", help="write a lesson with its settings as one standalone PyTorch script")
    _add_settings(export)
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


def _lesson_and_settings(args: argparse.Namespace):
    """The lesson and its validated settings from the parsed flags."""
    from .core.lessons import get_lesson

    try:
        number = int(str(args.lesson).strip())
    except ValueError:
        raise SettingsError("lesson", f"{args.lesson!r} is not a lesson number: choose 1 to 14") from None
    lesson = get_lesson(number)
    values = {name: getattr(args, name) for name in FIELDS if getattr(args, name, None) is not None}
    return lesson, lesson.settings(values)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `babytui` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            from .tui.app import run_app

            return run_app()
        if args.command == "lessons":
            return _lessons()
        if args.command == "export":
            return _export(args)
        if args.command == "data":
            return _data(args)
        if args.command == "runs":
            return _runs(args)
        return _train(args)
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


def _lessons() -> int:
    from .core.lessons import LESSONS

    for lesson in LESSONS:
        settings = ", ".join(
            f"{name}={FIELDS[name].format(getattr(lesson.defaults, name))}"
            for name in lesson.fields
            if name not in ("data_root", "max_steps", "device", "dataset", "trust_data")
        )
        print(f"{lesson.number:>2}  {lesson.title:<28} {settings}")
    return 0


def _export(args: argparse.Namespace) -> int:
    import os

    from .core.export import render_script

    lesson, settings = _lesson_and_settings(args)
    script = render_script(lesson, settings)
    if args.output is None:
        sys.stdout.write(script)
        return 0
    write_new_file(args.output, lambda f: f.write(script))
    print(f"wrote lesson {lesson.number} to {os.path.abspath(args.output)}", file=sys.stderr)
    return 0


def write_new_file(path: str, write) -> None:
    """Create `path` and fill it with `write(file)`; never overwrites what the user already has."""
    try:
        with open(path, "x", encoding="utf-8", newline="") as f:
            write(f)
    except FileExistsError:
        raise BabytuiError(f"{path} already exists; choose another name or delete it first") from None
    except OSError as exc:
        raise BabytuiError(f"cannot write {path}: {exc.strerror}") from None


RESUME_OVERRIDES = ("device", "data_root", "trust_data")
"""Settings that `--resume` may change: where the run goes on, not what it computes."""
HOLD_AT_STEP_ENV = "BABYTUI_HOLD_AT_STEP"
"""Test hook: train this many updates, then wait (as if paused) until stopped or killed."""


class UsageError(Exception):
    """A command line that makes no sense; one line and exit status 2."""


def _resume_target(args: argparse.Namespace, store):
    """The run, lesson, settings and checkpoint that `--resume` goes on from."""
    given = [name for name in FIELDS if getattr(args, name, None) is not None]
    extra = [FIELDS[name].flag for name in given if name not in RESUME_OVERRIDES]
    if args.lesson is not None:
        extra.insert(0, "--lesson")
    if extra:
        raise UsageError(
            f"--resume goes on with the run's own settings; leave out {', '.join(extra)} "
            f"(only {', '.join(FIELDS[n].flag for n in RESUME_OVERRIDES)} may change)"
        )
    run, lesson, settings, state = store.resume_info(args.resume)
    settings = lesson.settings({name: getattr(args, name) for name in given}, base=settings)
    return run, lesson, settings, state


def _open_recorder(lesson, settings, store, run=None, state=None):
    """A Recorder for a new run (or the resumed `run`); None with a warning when it cannot save."""
    from .core.runs import Recorder

    if run is not None:
        return Recorder(run, resumed_from=int(state["step"]))  # a RunError here ends the command
    try:
        return Recorder.new(lesson, settings, store)
    except BabytuiError as exc:
        print(f"babytui: warning: {exc}; training goes on without saving", file=sys.stderr)
        return None


class _GracefulStop:
    """While training: Ctrl-C, SIGTERM and SIGHUP stop the run after its batch, so its checkpoint is saved."""

    def __init__(self, control) -> None:
        self.control = control
        """The Control of the run."""
        self._old: dict = {}

    def __enter__(self) -> "_GracefulStop":
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return self
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) is not signal.SIG_IGN:  # nohup stays nohup
                self._old[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number, frame) -> None:
        import os
        import signal

        if number == signal.SIGINT and self.control.stop_event.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C: leave at once
        if number == getattr(signal, "SIGHUP", None):
            # the terminal is gone: writing to it would fail and lose the final checkpoint
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.close(devnull)
        elif number == signal.SIGINT:
            print("\nbabytui: stopping after this batch and saving (Ctrl-C again to quit at once)", file=sys.stderr)
        self.control.stop()

    def __exit__(self, *exc) -> None:
        import signal

        for number, handler in self._old.items():
            signal.signal(number, handler)


def _train(args: argparse.Namespace) -> int:
    import os

    from .core.runs import RunStore
    from .core.train import Control, train
    from .core import events as ev

    store = RunStore()
    run = state = None
    if args.no_save and args.resume:
        raise UsageError("--resume saves into the run it goes on with; leave out --no-save")
    if args.resume:
        run, lesson, settings, state = _resume_target(args, store)
    elif args.lesson is None:
        raise UsageError("the following arguments are required: --lesson (or --resume RUN)")
    else:
        lesson, settings = _lesson_and_settings(args)
    data = _load_data(settings) if lesson.is_image else None
    recorder = None if args.no_save else _open_recorder(lesson, settings, store, run, state)
    if run is not None:
        print(f"babytui: resuming run {run.id} from step {int(state['step']):,}", file=sys.stderr)
    notes_out = sys.stderr if args.json else sys.stdout
    progress = Progress(sys.stderr)
    result: ev.Finished | None = None
    control = Control()
    hold = os.environ.get(HOLD_AT_STEP_ENV, "")
    if hold.isdigit():
        control.step(int(hold))
    try:
        with _GracefulStop(control):
            for event in train(
                lesson, settings, data=data, control=control, checkpoints=recorder is not None, resume=state
            ):
                warning = recorder(event) if recorder is not None else None
                if warning:
                    progress.clear()
                    print(f"babytui: warning: {warning}; training goes on", file=sys.stderr, flush=True)
                if isinstance(event, ev.Note):
                    progress.clear()
                    print(f"{event.heading}:\n{_indent(event.text)}", file=notes_out, flush=True)
                elif isinstance(event, ev.RunStarted):
                    progress.start(event)
                elif isinstance(event, ev.StepLogged):
                    progress.update(event)
                elif isinstance(event, ev.Finished):
                    result = event
    except BabytuiError as exc:
        if recorder is not None:
            recorder.error(str(exc))
        raise
    except Exception as exc:  # torch's own errors (out of memory, ...) end the run with one line too
        if "out of memory" in str(exc).lower():
            message = f"the device ran out of memory at batch size {settings.batch_size}: try a smaller one"
        else:
            message = f"training failed: {type(exc).__name__}: {exc}"
        if recorder is not None:
            recorder.error(message)
        raise BabytuiError(message) from None
    finally:
        if recorder is not None:
            recorder.close()
    progress.clear()
    assert result is not None
    if recorder is not None:
        if result.stopped and lesson.is_image:
            run_id = recorder.run.id
            print(f"babytui: saved run {run_id}; go on with: babytui train --resume {run_id}", file=sys.stderr)
        else:
            print(f"babytui: saved run {recorder.run.id}", file=sys.stderr)
    summary = result.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        print(_result_line(summary))
    return 0


def _runs(args: argparse.Namespace) -> int:
    """`babytui runs`: the saved runs as a table or CSV; `babytui runs rm RUN`: delete one."""
    from .core.runs import RunStore, write_csv

    store = RunStore()
    if args.runs_command == "rm":
        return _runs_rm(store, args.run, args.yes)
    rows = store.summaries()
    for row in rows:
        if row.problem:
            problem = row.problem if row.status == "unreadable" else f"run {row.id}: {row.problem}"
            print(f"babytui: warning: {problem}", file=sys.stderr)
    if args.csv is not None:
        if args.csv == "-":
            write_csv(rows, sys.stdout)
            return 0
        write_new_file(args.csv, lambda f: write_csv(rows, f))
        print(f"wrote {len(rows)} run{'s' if len(rows) != 1 else ''} to {args.csv}", file=sys.stderr)
        return 0
    if not rows:
        print(f"no runs saved yet in {store.root}", file=sys.stderr)
        return 0
    print(runs_table(rows))
    return 0


def runs_table(rows) -> str:
    """The runs as an aligned text table."""
    from .core.runs import TABLE_HEADER

    cells = [TABLE_HEADER, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(TABLE_HEADER))]
    widths[2] = min(widths[2], 40)
    lines = []
    for line in cells:
        parts = [cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…" for i, cell in enumerate(line)]
        lines.append("  ".join(p.ljust(widths[i]) for i, p in enumerate(parts)).rstrip())
    return "\n".join(lines)


def _runs_rm(store, ref: str, yes: bool) -> int:
    """Delete one run after asking on stdin (y/N)."""
    run = store.find(ref)
    row = run.summary()
    if not yes:
        what = f"lesson {row.lesson}, {row.status}, {row.result}" if row.lesson else row.status
        print(f"delete run {run.id} ({what})? [y/N] ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            print("nothing deleted", file=sys.stderr)
            return 0
    store.delete(run)
    print(f"deleted run {run.id}", file=sys.stderr)
    return 0


def _load_data(settings):
    """An image lesson's dataset on its device, with a progress bar and warnings on stderr."""
    from .core.train import lesson_data

    bar = LoadBar(sys.stderr)
    try:
        data = lesson_data(settings, progress=bar)
    finally:
        bar.close()
    for warning in data.warnings:
        print(f"babytui: warning: {warning}", file=sys.stderr)
    return data


def _data(args: argparse.Namespace) -> int:
    """`babytui data`: what is where; `babytui data download`: fetch CIFAR-10 now."""
    from .core.data import describe_data, ensure_cifar10, path_errors

    if args.data_command == "download":
        bar = LoadBar(sys.stderr)
        try:
            with path_errors(args.data_root):
                folder = ensure_cifar10(args.data_root or None, progress=bar)
        finally:
            bar.close()
        print(f"CIFAR-10 is ready in {folder}")
        return 0
    for line in describe_data(args.data_root or None):
        print(line)
    return 0


class LiveLine:
    """One line of progress on stderr: redrawn in place on a terminal, a line every 10 s in a log."""

    WIDTH = 24
    """Characters in the bar."""

    def __init__(self, stream) -> None:
        self.stream = stream
        """Where the line goes (stderr)."""
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        """True when the line can be redrawn in place."""
        self._last = float("-inf")
        self._shown = False

    def due(self, final: bool) -> bool:
        """True at most 10 times a second on a terminal, every 10 s in a log, and always at the end."""
        now = time.monotonic()
        if now - self._last < (0.1 if self.tty else 10.0) and not final:
            return False
        self._last = now
        return True

    @classmethod
    def bar(cls, fraction: float) -> str:
        """A bar like [#####-----] for a fraction from 0 to 1."""
        filled = int(cls.WIDTH * fraction)
        return "[" + "#" * filled + "-" * (cls.WIDTH - filled) + "]"

    def show(self, line: str) -> None:
        """Draw the line: in place on a terminal, as a new line in a log."""
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            self._shown = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Remove the in-place line before other output."""
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False

    def close(self) -> None:
        """End the in-place line, keeping what it said."""
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


class LoadBar(LiveLine):
    """Loading a dataset (a download, reading images): how much, how fast, how long is left."""

    def __call__(self, event) -> None:
        """Show a LoadProgress: a download always, reading images once it has taken a second
        (a small or cached folder stays quiet)."""
        if event.unit == "images" and event.elapsed < 1.0:
            return
        if not self.due(event.total is not None and event.done >= event.total):
            return
        if event.fraction is not None:
            self.show(f"{event.title} {self.bar(event.fraction)} {100 * event.fraction:5.1f}%  {event.amounts()}")
        else:
            self.show(f"{event.title}: {event.amounts()}")


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _result_line(summary: dict[str, Any]) -> str:
    parts = [f"lesson {summary['lesson']}", f"{summary['steps']} steps", f"{summary['seconds']:.1f} s"]
    if summary["final_loss"] is not None:
        parts.append(f"final loss {summary['final_loss']:.6g}")
    if summary["test_accuracy"] is not None:
        parts.append(f"test accuracy {summary['test_accuracy']:.2f}%")
    if summary["steps"]:
        parts.append(f"{summary['images_per_second']:,.0f} samples/s on {summary['device']}")
    return "done: " + ", ".join(parts)


class Progress(LiveLine):
    """A training run's progress: bar, epoch, step, loss, images/s and time left."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.epochs = 0
        """Epochs planned, from RunStarted."""

    def start(self, event) -> None:
        """Remember the run's size."""
        self.epochs = event.epochs

    def update(self, event) -> None:
        """Show a StepLogged, if one is due."""
        if not self.tty and event.total_steps < 1000:
            return  # a short run in a log: the result line is enough
        if not self.due(event.step >= event.total_steps):
            return
        self.show(
            f"{self.bar(event.progress)} {100 * event.progress:5.1f}%  epoch {event.epoch}/{self.epochs}  "
            f"step {event.step:,}/{event.total_steps:,}  loss {event.loss:.4f}  "
            f"{event.samples_per_second:,.0f} img/s  {format_duration(event.eta)} left"
        )
