"""The main screen's runs: the keys that start, steer and reset them, and what the RunController reports."""

from __future__ import annotations

from typing import Any

from babytui.core.events import Finished, LrChanged, RangeTestDone, RunStarted
from babytui.core.formatting import printable, short_result
from babytui.core.lessons import LESSONS
from babytui.core.settings import FIELDS

from ..controller import RunController
from ..run_log import RunFailed
from ..widgets.loss_plot import LossPlot
from ..widgets.output_area import OutputArea
from ..widgets.settings_form import SettingsForm, check
from ..widgets.sidebar import LessonSidebar
from ..widgets.status_line import StatusLine
from ..widgets.workspace import Workspace
from .confirm import ConfirmScreen


def result_text(event: Finished) -> str:
    """A Finished event as the sidebar's short result."""
    result = short_result(event.test_accuracy, event.final_loss)
    if result:
        return result
    if event.outputs:
        return f"out {event.outputs[0]:.4f}"
    return "done"


class RunKeys:
    """Part of MainScreen: running the lesson shown, pausing, stepping, stopping, resetting, resuming.

    Training itself is the RunController's (a thread that only posts messages); these are the
    screen's side of it: the keys, and routing what the run yields to the status line, the
    lesson's views and the sidebar.
    """


    def start_run(self, steps: int = 0) -> None:
        """Train the current lesson; with `steps`, run that many batches and wait."""
        if self.run.running:
            self.notify(f"Lesson {self.run.lesson} is running; stop it first (x).", severity="warning")
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
            self.notify(printable(reason), title="Cannot run", severity="error", markup=False)
            return
        if not self.core_loaded:
            self._queued = (steps,)
            self.query_one(StatusLine).set_state("loading PyTorch")
            self.notify("Starting as soon as PyTorch has loaded.")
            return
        self.run.start(self.lesson, settings, steps)
        self._started(steps)

    def _started(self, steps: int = 0) -> None:
        """A run was launched: the status line starts afresh, the sidebar marks it, the views come to the front."""
        status = self.query_one(StatusLine)
        status.reset()
        status.set_where(self.device if self.lesson.is_image else "cpu", self.dataset if self.lesson.is_image else "")
        status.set_state("paused" if steps else "loading data" if self.lesson.is_image else "starting")
        self.query_one(LessonSidebar).set_running(self.lesson.number, "loading data" if self.lesson.is_image else "running")
        workspace = self.query_one(Workspace)
        if not workspace.wide and workspace.lesson_page_shown:
            # the views come to the front with the keys (a hidden field would take them); the lesson is 0 away
            workspace.show_view(focus=self.query_one(SettingsForm).editing or self.focused is None)
        self.update_controls()

    async def resume_run(self, row: Any) -> None:
        """Show a saved run's lesson with its settings, and go on training it from its last checkpoint."""
        if row is None:
            return
        if self.run.running:
            self.notify(f"Lesson {self.run.lesson} is running; stop it first (x).", severity="warning")
            return
        if not self.core_loaded:
            self.notify("PyTorch is still loading; try again in a moment.", severity="warning")
            return
        lesson = LESSONS[row.lesson - 1]
        typed = {
            name: FIELDS[name].format(tuple(value) if isinstance(value, list) else value)
            for name, value in row.settings.items()
            if name in lesson.fields
        }
        self.keep_typed(lesson.number, typed)
        self.device = typed.get("device", self.device)
        self.dataset = typed.get("dataset", self.dataset)
        self.query_one(LessonSidebar).select(lesson.number)
        await self.show_lesson(lesson)
        self.run.resume(lesson, row.id, {})
        self._started()

    def on_run_controller_yielded(self, message: RunController.Yielded) -> None:
        """The one place core events enter the interface: status, output views and sidebar."""
        self.handle_event(message.event)

    def handle_event(self, event: Any) -> None:
        """Route one core event to the status line, the running lesson's views and the sidebar."""
        lesson = self.run.lesson if self.run.running else self.lesson.number
        self.query_one(StatusLine).handle(event)
        self.query_one(OutputArea).record(lesson, event)
        if isinstance(event, (LrChanged, RangeTestDone)):
            self.lr_tools.handle_event(event)
        if isinstance(event, Finished):
            self.query_one(LessonSidebar).set_result(event.lesson, "•" if event.stopped else "✓", result_text(event))
            self.remember_soon()
        elif isinstance(event, RunStarted):
            if self.run.paused:  # started by the step key
                self.query_one(StatusLine).set_state("paused")
            if self.run.running:
                self.query_one(LessonSidebar).set_running(event.lesson, "running")
            self.update_controls()

    def on_run_controller_loading(self, message: RunController.Loading) -> None:
        """Show how far loading the data has got."""
        self.query_one(StatusLine).loading(message.progress)

    def on_run_controller_resumed(self, message: RunController.Resumed) -> None:
        """Say where a resumed run goes on from."""
        self.notify(printable(f"Resuming run {message.run_id} from step {message.step:,}."), markup=False)

    def on_run_controller_failed(self, message: RunController.Failed) -> None:
        """Show why training failed (or that it was stopped while its data loaded); the app goes on."""
        status = self.query_one(StatusLine)
        status.reset()  # the progress shown was of the run before, or of this one's data
        if message.cancelled:
            self.notify(printable(f"Lesson {message.lesson}: {message.message}."), timeout=5, markup=False)  # names from disk: no markup
            status.set_state("stopped")
            return
        self.notify(printable(message.message), title=f"Lesson {message.lesson} failed", severity="error", timeout=10, markup=False)
        self.query_one(OutputArea).record(message.lesson, RunFailed(message.lesson, message.message))
        self.query_one(LessonSidebar).set_result(message.lesson, "✗", "failed")
        status.set_state("failed")
        self.remember_soon()

    def on_run_controller_ended(self, message: RunController.Ended) -> None:
        """Back to idle."""
        self.run.ended()
        self.lr_tools.run_ended(message.lesson)
        self.query_one(LessonSidebar).run_ended(message.lesson)
        self.query_one(StatusLine).idle()
        self.update_controls()

    def action_run(self) -> None:
        """Run the lesson."""
        self.start_run()

    def action_pause(self) -> None:
        """Pause the run (or, paused, let it go on)."""
        if not self.run.running or self.run.control is None:
            self.notify("Nothing is running.", severity="warning")
            return
        self.query_one(StatusLine).set_state("paused" if self.run.toggle_pause() else "running")
        self.update_controls()

    def action_resume(self) -> None:
        """Let a paused run go on."""
        self.action_pause()

    def action_step(self) -> None:
        """Run one batch (starting a paused run when idle)."""
        if not self.run.running:
            self.start_run(steps=1)
            return
        self.run.step()
        self.query_one(StatusLine).set_state("paused")
        self.update_controls()

    def action_stop(self) -> None:
        """Stop the run after its current batch."""
        if self.run.running:
            self.run.stop()
            self.query_one(StatusLine).set_state("stopping")

    def action_reset(self) -> None:
        """Ask, then forget the lesson's output, its result and its previous curve (saved runs stay)."""
        if self.run.running:
            self.notify("Stop the run first (x).", severity="warning")
            return
        number = self.lesson.number
        question = (
            f"Forget lesson {number}'s output, its result in the sidebar and the grey curve of its "
            "previous run? Its settings stay, and so do its saved runs (R lists them)."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.reset_lesson(number)

        self.app.push_screen(ConfirmScreen(f"Reset lesson {number}", question), answered)

    def reset_lesson(self, number: int) -> None:
        """Forget a lesson's output, result and previous curve."""
        self.query_one(LessonSidebar).clear_result(number)
        self.query_one(OutputArea).forget(number)
        self.query_one(LossPlot).forget_saved_ghost(number)
        self.query_one(StatusLine).reset()
        self.show_where()
        self.remember_soon()
        self.notify(f"Lesson {number} reset: its output, result and previous curve are forgotten.")
