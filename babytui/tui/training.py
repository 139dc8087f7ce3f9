"""The app's side of training: the thread worker, the messages it posts, and the run keys."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import App
from textual.message import Message

from babytui.core.events import short_result
from babytui.core.lessons import Lesson
from babytui.core.settings import FIELDS

from .core_bridge import use_training_threads
from .widgets.output_area import OutputArea
from .widgets.settings_form import SettingsForm, check
from .widgets.sidebar import LessonSidebar
from .widgets.status_line import StatusLine

QUIT_WAIT = 2.0
"""Seconds quitting waits for a stopped run to write its last checkpoint."""


def result_text(event: Any) -> str:
    """A Finished event as the sidebar's short result."""
    result = short_result(event.test_accuracy, event.final_loss)
    if result:
        return result
    if event.outputs:
        return f"out {event.outputs[0]:.4f}"
    return "done"


class Training(App[int]):
    """Runs a lesson in a thread worker and routes what it yields to the views.

    The worker never touches a widget: it posts a message for each event and the handlers
    here, on the interface thread, pass them on. The app subclassing this provides the lesson
    shown, its settings and `show_lesson`, `show_where` and `update_controls`.
    """

    lesson: Lesson
    """The lesson shown."""
    core_loaded: bool
    """True once torch and the training loop are imported."""
    values: dict[int, dict[str, str]]
    """Each lesson's settings as typed."""
    device: str
    """The device chosen for the image lessons."""
    dataset: str
    """The dataset chosen for the image lessons."""

    @dataclass
    class TrainingEvent(Message):
        """The training worker yielded a core event."""

        event: Any
        """The event, as the core made it."""

    @dataclass
    class DataProgress(Message):
        """The worker is loading the data (a download, reading images) before the run can start."""

        progress: Any
        """The core's LoadProgress."""

    @dataclass
    class TrainingFailed(Message):
        """Training raised: a BabytuiError's message, or the name of another exception."""

        lesson: int
        """The lesson that was running."""
        message: str
        """What went wrong, for the user."""
        cancelled: bool = False
        """The user stopped it before it began (while the data loaded): not a failure."""

    @dataclass
    class TrainingEnded(Message):
        """The training worker returned (finished, stopped or failed)."""

        lesson: int
        """The lesson that was running."""

    def __init__(self) -> None:
        super().__init__()
        self.control: Any = None
        """The Control of the run in progress, None when idle."""
        self.running_lesson: int | None = None
        """The lesson being trained, None when idle."""
        self._queued_steps: int | None = None  # a run asked for while torch was still loading
        self._training_done: threading.Event | None = None  # set by the worker once its run is saved

    def start_run(self, steps: int = 0) -> None:
        """Train the current lesson; with `steps`, run that many batches and wait."""
        if self.running_lesson is not None:
            self.notify(f"Lesson {self.running_lesson} is running; stop it first (x).", severity="warning")
            return
        form = self.query_one(SettingsForm)
        wanted = self.query_one(LessonSidebar).highlighted_number or self.lesson.number
        if wanted != self.lesson.number or not form.shows(self.lesson):
            # r pressed right after moving: run the highlighted lesson once its form is built
            self.call_after_refresh(self.start_run, steps)
            return
        settings, errors = check(self.lesson, form.values())  # what is in the form now, not a cached verdict
        if settings is None:
            reason = "; ".join(f"{FIELDS[name].label if name in FIELDS else name}: {why}" for name, why in errors.items())
            self.notify(reason, title="Cannot run", severity="error")
            return
        if not self.core_loaded:
            self._queued_steps = steps
            self.query_one(StatusLine).set_state("loading PyTorch")
            self.notify("Starting as soon as PyTorch has loaded.")
            return
        self.launch(self.lesson, settings, steps)

    def launch(self, lesson: Lesson, settings: Any, steps: int = 0, resume: Any = None) -> None:
        """Start the training worker; `resume` is (run, checkpoint) to go on with a saved run."""
        from babytui.core.train import Control

        control = Control()
        if steps:
            control.step(steps)
        self.control = control
        self.running_lesson = lesson.number
        self._training_done = threading.Event()
        status = self.query_one(StatusLine)
        status.set_state("paused" if steps else "loading data" if lesson.is_image else "starting")
        self.train_lesson(lesson, settings, control, resume, self._training_done)
        self.update_controls()

    @work(thread=True, exclusive=True, exit_on_error=False, group="training")
    def train_lesson(self, lesson: Lesson, settings: Any, control: Any, resume: Any = None, done: Any = None) -> None:
        """Load the data, run the core's training loop, save the run; never touch a widget here."""
        from babytui.core.errors import BabytuiError, LoadCancelled
        from babytui.core.events import Note
        from babytui.core.runs import start_recording
        from babytui.core.train import lesson_data, train

        def loading(progress: Any) -> None:
            """Pass on how loading the data goes; end it once the run is stopped."""
            if control.stop_event.is_set():
                raise LoadCancelled(f"stopped {progress.title}; nothing of it was kept")
            self.post_message(self.DataProgress(progress))

        recorder = None
        try:
            use_training_threads()
            # The data first: a dataset that is missing or won't load leaves no saved run behind.
            data = lesson_data(settings, progress=loading) if lesson.is_image else None
            if control.stop_event.is_set():  # stopped while the data loaded: nothing to save
                raise LoadCancelled("stopped before training began")
            recorder, warning = start_recording(lesson, settings, resume)
            state = resume[1] if resume else None
            for event in train(lesson, settings, data=data, control=control, checkpoints=recorder is not None, resume=state):
                if recorder is not None:
                    warning = recorder(event) or warning  # file IO here, in the worker: the interface never waits
                if type(event).__name__ != "Checkpoint":  # state dicts are for the disk, not the views
                    self.post_message(self.TrainingEvent(event))
                if type(event).__name__ == "RunStarted" and data is not None:
                    for skipped in data.warnings:  # after the event: a RunStarted clears the log
                        self.post_message(self.TrainingEvent(Note("data", skipped)))
                if warning:
                    self.post_message(self.TrainingEvent(Note("this run is not saved", warning)))
                    warning = None
        except LoadCancelled as exc:
            self.post_message(self.TrainingFailed(lesson.number, str(exc), cancelled=True))
        except BabytuiError as exc:
            if recorder is not None:
                recorder.error(str(exc))
            self.post_message(self.TrainingFailed(lesson.number, str(exc)))
        except Exception as exc:  # any bug in training becomes a notification, not a crash
            if recorder is not None:
                recorder.error(f"{type(exc).__name__}: {exc}")
            self.post_message(self.TrainingFailed(lesson.number, f"{type(exc).__name__}: {exc}"))
        finally:
            if recorder is not None:
                recorder.close()
            if done is not None:
                done.set()
            self.post_message(self.TrainingEnded(lesson.number))

    def on_training_training_event(self, message: TrainingEvent) -> None:
        """Route one event from the worker."""
        self.handle_event(message.event)

    def handle_event(self, event: Any) -> None:
        """The one place core events enter the interface: status, output views and sidebar."""
        self.query_one(StatusLine).handle(event)
        self.query_one(OutputArea).handle(event)
        if type(event).__name__ == "Finished":
            self.query_one(LessonSidebar).set_result(event.lesson, "•" if event.stopped else "✓", result_text(event))
        elif type(event).__name__ == "RunStarted":
            if self.control is not None and self.control.paused:  # started by the step key
                self.query_one(StatusLine).set_state("paused")
            self.update_controls()

    def on_training_data_progress(self, message: DataProgress) -> None:
        """Show how far loading the data has got."""
        self.query_one(StatusLine).loading(message.progress)

    def on_training_training_failed(self, message: TrainingFailed) -> None:
        """Show why training failed (or that it was stopped while its data loaded); the app goes on."""
        if message.cancelled:
            self.notify(f"Lesson {message.lesson}: {message.message}.", timeout=5)
            self.query_one(StatusLine).set_state("stopped")
            return
        self.notify(message.message, title=f"Lesson {message.lesson} failed", severity="error", timeout=10)
        self.query_one(OutputArea).log_view.failed(message.lesson, message.message)
        self.query_one(LessonSidebar).set_result(message.lesson, "✗", "failed")
        self.query_one(StatusLine).set_state("failed")

    def on_training_training_ended(self, message: TrainingEnded) -> None:
        """Back to idle."""
        self.control = None
        self.running_lesson = None
        self.query_one(StatusLine).idle()
        self.update_controls()

    def stop_training(self, *, quick: bool = False) -> None:
        """Ask a run to end after its current batch (`quick`: without scoring the test split)."""
        if self.control is not None:
            self.control.stop(quick=quick)

    def action_run(self) -> None:
        """Run the lesson."""
        self.start_run()

    def action_pause(self) -> None:
        """Pause or resume the run."""
        if self.control is None:
            self.notify("Nothing is running.", severity="warning")
            return
        if self.control.paused:
            self.control.resume()
            self.query_one(StatusLine).set_state("running")
        else:
            self.control.pause()
            self.query_one(StatusLine).set_state("paused")
        self.update_controls()

    def action_step(self) -> None:
        """Run one batch (starting a paused run when idle)."""
        if self.control is None:
            self.start_run(steps=1)
            return
        self.control.step(1)
        self.query_one(StatusLine).set_state("paused")
        self.update_controls()

    def action_stop(self) -> None:
        """Stop the run after its current batch."""
        if self.control is not None:
            self.stop_training()
            self.query_one(StatusLine).set_state("stopping")

    def action_reset(self) -> None:
        """Forget the current lesson's results; the next run starts from fresh weights."""
        if self.running_lesson is not None:
            self.notify("Stop the run first (x).", severity="warning")
            return
        self.query_one(LessonSidebar).clear_result(self.lesson.number)
        self.query_one(OutputArea).reset()
        self.query_one(StatusLine).reset()
        self.show_where()
        self.notify(f"Lesson {self.lesson.number} reset: the next run starts from freshly initialised weights.")

    async def resume_run(self, run_id: str | None) -> None:
        """Load a saved run's lesson and settings and go on training it from its last checkpoint."""
        if run_id is None:
            return
        if self.running_lesson is not None:
            self.notify(f"Lesson {self.running_lesson} is running; stop it first (x).", severity="warning")
            return
        if not self.core_loaded:
            self.notify("PyTorch is still loading; try again in a moment.", severity="warning")
            return
        from babytui.core.errors import BabytuiError
        from babytui.core.runs import RunStore
        from babytui.core.settings import FIELDS

        try:
            run, lesson, settings, state = RunStore().resume_info(run_id)
        except BabytuiError as exc:
            self.notify(str(exc), title="Cannot resume", severity="error", timeout=10)
            return
        self.values[lesson.number] = {name: FIELDS[name].format(getattr(settings, name)) for name in lesson.fields}
        self.device, self.dataset = settings.device, settings.dataset
        self.query_one(LessonSidebar).select(lesson.number)
        await self.show_lesson(lesson)
        self.notify(f"Resuming run {run.id} from step {int(state['step']):,}.")
        self.launch(lesson, settings, resume=(run, state))

    async def action_quit(self) -> None:
        """Stop any run at once (no final scoring) and leave once its checkpoint is saved.

        Waits QUIT_WAIT seconds at most.
        """
        self.stop_training(quick=True)
        done = self._training_done
        if done is not None and self.running_lesson is not None:
            await asyncio.get_running_loop().run_in_executor(None, done.wait, QUIT_WAIT)
        self.exit(0)

    def on_unmount(self) -> None:
        """Never leave a training thread behind."""
        self.stop_training(quick=True)
