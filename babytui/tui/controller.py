"""The run in progress, for the main screen: its training thread, its Control, and what it yields.

The thread only forwards: it runs the core's Session and posts a small message for each event;
the screen's handlers, on the interface thread, pass them to the views. Nothing here touches
a widget, and the thread does all the file and torch work (loading data, reading a checkpoint).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from textual.message import Message

from babytui.core.events import Event, RunStarted

from .core_bridge import use_training_threads
from .run_log import earlier_run

if TYPE_CHECKING:
    from textual.screen import Screen

    from babytui.core.control import Control
    from babytui.core.lessons import Lesson
    from babytui.core.progress import LoadProgress
    from babytui.core.session import Session


class RunController:
    """Starts, steers and stops the one run the app has at a time."""

    @dataclass
    class Yielded(Message):
        """The run yielded a core event."""

        event: Event
        """The event, as the core made it."""

    @dataclass
    class Loading(Message):
        """The run is loading its data (a download, reading images) before it can start."""

        progress: LoadProgress
        """How far it has got."""

    @dataclass
    class Resumed(Message):
        """A saved run's checkpoint was read: training goes on from it."""

        run_id: str
        """The run."""
        step: int
        """The step it goes on from."""

    @dataclass
    class Failed(Message):
        """The run could not go on: a BabytuiError's message, or the name of another exception."""

        lesson: int
        """The lesson that was running."""
        message: str
        """What went wrong, for the user."""
        cancelled: bool = False
        """The user stopped it before it began (while the data loaded): not a failure."""

    @dataclass
    class Ended(Message):
        """The training thread returned (finished, stopped or failed)."""

        lesson: int
        """The lesson that was running."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        """Where the messages go."""
        self.control: Control | None = None
        """The Control of the run in progress, None when idle."""
        self.lesson: int | None = None
        """The lesson being trained, None when idle."""
        self.done: threading.Event | None = None
        """Set by the training thread once its run is saved and over."""
        self.range_test = False
        """True while the run in progress is an LR range test, not training."""

    @property
    def running(self) -> bool:
        """True while a run is in progress (loading, training, paused or stopping)."""
        return self.lesson is not None

    @property
    def paused(self) -> bool:
        """True while the run in progress waits for a key."""
        return self.control is not None and self.control.paused

    def start(self, lesson: Lesson, settings: Any, steps: int = 0) -> None:
        """Train `lesson` with these settings; with `steps`, run that many batches and wait."""
        from babytui.core.session import Session

        self._launch(lesson.number, steps, lambda control, progress: Session(lesson, settings, control=control, progress=progress))

    def start_range_test(self, lesson: Lesson, settings: Any) -> None:
        """Run an LR range test of `lesson` with these settings (nothing is saved)."""
        from babytui.core.session import Session

        self._launch(
            lesson.number, 0,
            lambda control, progress: Session(lesson, settings, control=control, progress=progress, save=False, range_test=True),
        )
        self.range_test = True

    def set_lr(self, lr: float | None = None, *, factor: float | None = None) -> None:
        """Give the run in progress a new lr setting (or its own times `factor`) from its next batch."""
        if self.control is not None:
            self.control.set_lr(lr, factor=factor)

    def resume(self, lesson: Lesson, run_id: str, overrides: dict[str, Any]) -> None:
        """Go on with the saved run `run_id` (of `lesson`) from its last checkpoint."""
        from babytui.core.session import Session

        self._launch(
            lesson.number, 0,
            lambda control, progress: Session.resuming(run_id, overrides, control=control, progress=progress),
        )

    def _launch(self, lesson: int, steps: int, make: Callable[[Control, Any], Session]) -> None:
        from babytui.core.control import Control

        control = Control()
        if steps:
            control.step(steps)
        self.control, self.lesson, self.done, self.range_test = control, lesson, threading.Event(), False
        self.screen.run_worker(
            lambda: self._train(lesson, control, make, self.done),
            thread=True, exclusive=True, exit_on_error=False, group="training", name=f"lesson {lesson}",
        )

    def _train(self, lesson: int, control: Control, make: Callable[[Control, Any], Session], done: threading.Event) -> None:
        """The training thread: run the session, post each event; never touch a widget here."""
        from babytui.core.errors import BabytuiError, LoadCancelled

        post = self.screen.post_message
        try:
            use_training_threads()
            session = make(control, lambda progress: post(self.Loading(progress)))
            earlier = session.resume.metrics() if session.resume is not None else None  # before this run adds to it
            told = False
            for event in session.events():
                if not told and session.resumed_from is not None and session.run_id is not None:
                    post(self.Resumed(session.run_id, session.resumed_from))
                told = True
                post(self.Yielded(event))
                if earlier is not None and isinstance(event, RunStarted) and session.resumed_from is not None:
                    # the curve before the checkpoint, so the plot shows the whole run
                    post(self.Yielded(earlier_run(earlier, session.resumed_from, event.steps_per_epoch)))
                    earlier = None
        except LoadCancelled as exc:
            post(self.Failed(lesson, str(exc), cancelled=True))
        except BabytuiError as exc:
            post(self.Failed(lesson, str(exc)))
        except Exception as exc:  # a bug in training becomes a notification, not a crash
            post(self.Failed(lesson, f"{type(exc).__name__}: {exc}"))
        finally:
            done.set()
            post(self.Ended(lesson))

    def ended(self) -> None:
        """The training thread has returned: back to idle."""
        self.control = None
        self.lesson = None
        self.range_test = False

    def stop(self, *, quick: bool = False) -> None:
        """Ask the run to end after its current batch (`quick`: without scoring the test split)."""
        if self.control is not None:
            self.control.stop(quick=quick)

    def toggle_pause(self) -> bool:
        """Pause a running run or let a paused one go on; True when it is paused now."""
        assert self.control is not None
        if self.control.paused:
            self.control.resume()
        else:
            self.control.pause()
        return self.control.paused

    def step(self) -> None:
        """Let the paused run do exactly one more batch."""
        assert self.control is not None
        self.control.step(1)
