"""`babytui train`: a lesson headless, progress on stderr, the notebook's output and the result on stdout."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..core.settings import FIELDS
from .output import LoadBar, Progress, indent, result_line
from .parser import UsageError, given_settings, lesson_and_settings

HOLD_AT_STEP_ENV = "BABYTUI_HOLD_AT_STEP"
"""Test hook: train this many updates, then wait (as if paused) until stopped or killed."""


class GracefulStop:
    """While training: Ctrl-C, SIGTERM and SIGHUP stop the run after its batch, so its checkpoint is saved."""

    def __init__(self, control) -> None:
        self.control = control
        """The Control of the run."""
        self._old: dict = {}

    def __enter__(self) -> "GracefulStop":
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


def _session(args: argparse.Namespace, control, bar):
    """The Session the flags ask for: a new run, or `--resume` going on with a saved one."""
    from ..core.session import RESUME_OVERRIDES, Session
    from ..core.settings import check_data_root

    if args.no_save and args.resume:
        raise UsageError("--resume saves into the run it goes on with; leave out --no-save")
    if not args.resume:
        if args.lesson is None:
            raise UsageError("the following arguments are required: --lesson (or --resume RUN)")
        lesson, settings = lesson_and_settings(args)
        check_data_root(lesson.fields, settings)  # a data root that cannot serve is a bad setting: exit 2
        return Session(lesson, settings, control=control, save=not args.no_save, progress=bar)
    given = given_settings(args)
    extra = [FIELDS[name].flag for name in given if name not in RESUME_OVERRIDES]
    if args.lesson is not None:
        extra.insert(0, "--lesson")
    if extra:
        raise UsageError(
            f"--resume goes on with the run's own settings; leave out {', '.join(extra)} "
            f"(only {', '.join(FIELDS[n].flag for n in RESUME_OVERRIDES)} may change)"
        )
    session = Session.resuming(args.resume, given, control=control, progress=bar)
    if "data_root" in given:
        check_data_root(session.lesson.fields, session.settings)
    return session


def run(args: argparse.Namespace) -> int:
    """Train, printing as the session goes; the result as a line or as JSON."""
    from ..core import events as ev
    from ..core.control import Control

    control = Control()
    hold = os.environ.get(HOLD_AT_STEP_ENV, "")
    if hold.isdigit():
        control.step(int(hold))
    bar = LoadBar(sys.stderr)
    session = _session(args, control, bar)
    notes_out = sys.stderr if args.json else sys.stdout
    progress = Progress(sys.stderr)
    announced = False
    with GracefulStop(control):
        for event in session.events():
            if not announced:
                bar.close()
                announced = True
                if session.resumed_from is not None:
                    print(f"babytui: resuming run {session.run_id} from step {session.resumed_from:,}", file=sys.stderr)
            if isinstance(event, ev.Warned):
                progress.clear()
                print(f"babytui: warning: {event.message}" + ("; training goes on" if event.topic != "data" else ""), file=sys.stderr, flush=True)
            elif isinstance(event, ev.Note):
                progress.clear()
                print(f"{event.heading}:\n{indent(event.text)}", file=notes_out, flush=True)
            elif isinstance(event, ev.RunStarted):
                progress.start(event)
            elif isinstance(event, ev.StepLogged):
                progress.update(event)
    bar.close()
    progress.clear()
    result = session.result
    assert result is not None
    if session.run_id is not None:
        if result.stopped and session.lesson.is_image:
            print(f"babytui: saved run {session.run_id}; go on with: babytui train --resume {session.run_id}", file=sys.stderr)
        else:
            print(f"babytui: saved run {session.run_id}", file=sys.stderr)
    summary = {"run": session.run_id, **result.summary()}  # the run's id (None with --no-save), for --resume and `babytui runs`
    if args.json:
        print(json.dumps(summary))
    else:
        print(result_line(summary))
    return 0
