"""The main screen: the lessons on the left, the lesson and its settings, the output views, the run keys."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from babytui.core.datasets import DATASETS
from babytui.core.events import Finished, LrChanged, RangeTestDone, RunStarted
from babytui.core.formatting import short_result
from babytui.core.lessons import LESSONS, Lesson, lesson_range
from babytui.core.settings import FIELDS

from ..controller import RunController
from ..core_bridge import load_core, render_code
from ..lr_tools import LrTools
from ..widgets.control_bar import ControlBar
from ..widgets.lesson_pane import LessonPane
from ..widgets.output_area import VIEW_TABS, OutputArea
from ..widgets.settings_form import SettingsForm, check
from ..widgets.sidebar import LessonSidebar
from ..widgets.status_line import StatusLine

VIEW_TITLES = ("Log", "Loss plot", "Weights", "Predictions", "Confusion matrix")
"""What keys 1-5 show."""


def result_text(event: Finished) -> str:
    """A Finished event as the sidebar's short result."""
    result = short_result(event.test_accuracy, event.final_loss)
    if result:
        return result
    if event.outputs:
        return f"out {event.outputs[0]:.4f}"
    return "done"


class MainScreen(Screen):
    """Read a lesson, change its settings, run it and watch it learn."""

    BINDINGS = [
        Binding("r,f5", "run", "Run"),
        Binding("p,space", "pause", "Pause"),
        Binding("s", "step", "Step"),
        Binding("x,escape", "stop", "Stop"),
        Binding("0,ctrl+r", "reset", "Reset"),
        Binding("d", "cycle_device", "Device"),
        Binding("D", "cycle_dataset", "Dataset", show=False),
        Binding("left_square_bracket,ctrl+up", "previous_lesson", "Previous", show=False),
        Binding("right_square_bracket,ctrl+down", "next_lesson", "Next", show=False),
        Binding("R", "app.runs", "Runs", show=False),
        *(Binding(str(n), f"show_view({n - 1})", title, show=False) for n, title in enumerate(VIEW_TITLES, 1)),
        Binding("z", "zoom_output", "Zoom views", show=False),
        Binding("t", "range_test", "LR range test", show=False),
        Binding("u", "use_suggested_lr", "Use suggested lr", show=False),
        Binding("plus,equals_sign", "lr_times(2.0)", "lr x2", show=False),
        Binding("minus", "lr_times(0.5)", "lr /2", show=False),
    ]

    @dataclass
    class CoreLoaded(Message):
        """torch and the training loop finished importing in the background."""

        devices: tuple[str, ...]
        """The devices present, cpu first."""

    def __init__(self, lesson: int = 1) -> None:
        super().__init__(id="main-screen")
        self.lesson: Lesson = LESSONS[lesson - 1]
        """The lesson shown."""
        self.values: dict[int, dict[str, str]] = {}
        """Each lesson's settings as typed, kept while moving between lessons."""
        self.settings: dict[int, Any] = {}
        """Each lesson's validated settings, None while a value is bad."""
        self.device = "auto"
        """The device chosen for the image lessons."""
        self.dataset = DATASETS[0]
        """The dataset chosen for the image lessons."""
        self.devices: tuple[str, ...] = ("cpu",)
        """The devices present (known once the core has loaded)."""
        self.core_loaded = False
        """True once torch and the training loop are imported."""
        self.run = RunController(self)
        """The run in progress, if any."""
        self.lr_tools = LrTools(self)
        """The range test, the lr changed while running, the planned schedule, the saved ghost."""
        self._queued: tuple[Any, ...] | None = None  # a run asked for while torch was still loading

    @property
    def running_lesson(self) -> int | None:
        """The lesson being trained, None when idle."""
        return self.run.lesson

    @property
    def control(self) -> Any:
        """The Control of the run in progress, None when idle."""
        return self.run.control

    def compose(self) -> ComposeResult:
        """Sidebar, lesson, settings with buttons, output; then the status line and keys."""
        with Horizontal(id="body"):
            yield LessonSidebar()
            with Vertical(id="main"):
                yield LessonPane()
                with Horizontal(id="work"):
                    with Vertical(id="settings-column"):
                        yield SettingsForm(self.lesson, self.form_values(self.lesson))
                        yield ControlBar()
                    yield OutputArea()
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        """Show the first lesson, then import torch once the first frame is out."""
        self.query_one(LessonSidebar).select(self.lesson.number)
        self.query_one(LessonSidebar).focus()
        self.query_one(LessonPane).show_lesson(self.lesson)
        self.show_where()
        self.call_after_refresh(self.load_core)
        self.lr_tools.load_ghost(self.lesson)

    @work(thread=True, exit_on_error=False, group="core")
    def load_core(self) -> None:
        """Import torch and the training loop off the interface thread."""
        self.post_message(self.CoreLoaded(load_core()))

    def on_main_screen_core_loaded(self, message: CoreLoaded) -> None:
        """Note the devices; start a run asked for while torch was loading."""
        # torch's few hundred thousand objects live as long as the app: keep them out of Python's
        # full collections, each of which holds the GIL (so stalls training) for a third of a second.
        gc.freeze()
        self.core_loaded = True
        self.devices = message.devices
        if self._queued is not None:
            queued, self._queued = self._queued, None
            self.start_run(*queued)

    # Lessons and settings

    async def show_lesson(self, lesson: Lesson) -> None:
        """Show a lesson: its text, code and settings form."""
        self.lesson = lesson
        self.query_one(LessonPane).show_lesson(lesson)
        await self.query_one(SettingsForm).load(lesson, self.form_values(lesson))
        if not self.run.running:
            self.query_one(StatusLine).reset()
            self.show_where()
        self.lr_tools.load_ghost(lesson)

    def form_values(self, lesson: Lesson) -> dict[str, str]:
        """The text to put in a lesson's form: as last typed, with the chosen device and dataset."""
        values = dict(self.values.get(lesson.number, {}))
        if "device" in lesson.fields:
            values["device"] = self.device
        if "dataset" in lesson.fields:
            values["dataset"] = self.dataset
        return values

    def show_where(self) -> None:
        """The chosen device and dataset in the idle status line."""
        image = self.lesson.is_image
        self.query_one(StatusLine).set_where(self.device if image else "cpu", self.dataset if image else "")

    async def on_lesson_sidebar_selected(self, message: LessonSidebar.Selected) -> None:
        """Follow the sidebar's highlight (skipping lessons already passed by)."""
        if message.number != self.query_one(LessonSidebar).highlighted_number:
            return
        if message.number != self.lesson.number:
            await self.show_lesson(LESSONS[message.number - 1])

    def on_settings_form_changed(self, message: SettingsForm.Changed) -> None:
        """Keep the checked settings, redraw the code and allow or block a run."""
        if message.lesson != self.lesson.number:
            return
        self.values[message.lesson] = message.values
        self.settings[message.lesson] = message.settings
        if message.settings is not None:
            self.device = message.values.get("device", self.device)
            self.dataset = message.values.get("dataset", self.dataset)
            self.query_one(LessonPane).show_code(render_code(self.lesson, message.settings))
            if not self.run.running:
                self.show_where()
        self.lr_tools.show_plan(self.lesson, message.settings)
        self.update_controls()

    def on_input_submitted(self, message: Any) -> None:
        """Enter in the lr field while a run goes on gives the run that lr from its next batch."""
        if getattr(message.input, "id", None) == "field-lr" and self.run.running:
            self.lr_tools.submitted(message.value)

    def action_range_test(self) -> None:
        """Run an LR range test of this lesson with its settings."""
        self.lr_tools.range_test()

    def action_use_suggested_lr(self) -> None:
        """Put the range test's suggested lr in the form."""
        self.lr_tools.use_suggestion()

    def action_lr_times(self, factor: float) -> None:
        """Double (or halve) the lr of the run in progress from its next batch."""
        self.lr_tools.nudge(factor)

    def update_controls(self) -> None:
        """Enable the buttons that make sense now."""
        self.query_one(ControlBar).set_state(
            running=self.run.running, paused=self.run.paused, can_run=self.settings.get(self.lesson.number) is not None
        )

    def action_next_lesson(self) -> None:
        """Go to the next lesson."""
        self.query_one(LessonSidebar).move(+1)

    def action_previous_lesson(self) -> None:
        """Go to the previous lesson."""
        self.query_one(LessonSidebar).move(-1)

    def action_cycle_device(self) -> None:
        """Choose the next device: auto, then each one present."""
        options = ("auto", *self.devices)
        self.device = options[(options.index(self.device) + 1) % len(options)] if self.device in options else "auto"
        self._set_choice("device", self.device)

    def action_cycle_dataset(self) -> None:
        """Choose the next dataset for the image lessons."""
        index = DATASETS.index(self.dataset) if self.dataset in DATASETS else -1
        self.dataset = DATASETS[(index + 1) % len(DATASETS)]
        self._set_choice("dataset", self.dataset)

    def _set_choice(self, name: str, value: str) -> None:
        """Put a device or dataset choice into the form and say so."""
        applies = self.query_one(SettingsForm).set_value(name, value)
        if not self.run.running:
            self.show_where()
        note = "" if applies else f" (for the image lessons, {lesson_range(image_only=True)}; this one runs on the CPU)"
        self.notify(f"{name}: {value}{note}", timeout=3)

    def action_zoom_output(self) -> None:
        """Let the output views fill the screen (z or escape goes back)."""
        if self.maximized is not None:
            self.minimize()
        else:
            self.maximize(self.query_one(OutputArea), container=False)

    def action_show_view(self, index: int) -> None:
        """Show an output tab (keys 1-5: log, loss, weights, predictions, confusion)."""
        self.query_one(OutputArea).show_tab(VIEW_TABS[index])

    # Runs

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
            self.notify(reason, title="Cannot run", severity="error")
            return
        if not self.core_loaded:
            self._queued = (steps,)
            self.query_one(StatusLine).set_state("loading PyTorch")
            self.notify("Starting as soon as PyTorch has loaded.")
            return
        self.run.start(self.lesson, settings, steps)
        self._started(steps)

    def _started(self, steps: int = 0) -> None:
        """A run was launched: say so in the status line and the buttons."""
        self.query_one(StatusLine).set_state("paused" if steps else "loading data" if self.lesson.is_image else "starting")
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
        self.values[lesson.number] = {
            name: FIELDS[name].format(tuple(value) if isinstance(value, list) else value)
            for name, value in row.settings.items()
            if name in lesson.fields
        }
        self.device = self.values[lesson.number].get("device", self.device)
        self.dataset = self.values[lesson.number].get("dataset", self.dataset)
        self.query_one(LessonSidebar).select(lesson.number)
        await self.show_lesson(lesson)
        self.run.resume(lesson, row.id, {})
        self._started()

    def on_run_controller_yielded(self, message: RunController.Yielded) -> None:
        """The one place core events enter the interface: status, output views and sidebar."""
        self.handle_event(message.event)

    def handle_event(self, event: Any) -> None:
        """Route one core event to the status line, the views and the sidebar."""
        self.query_one(StatusLine).handle(event)
        self.query_one(OutputArea).handle(event)
        if isinstance(event, (LrChanged, RangeTestDone)):
            self.lr_tools.handle_event(event)
        if isinstance(event, Finished):
            self.query_one(LessonSidebar).set_result(event.lesson, "•" if event.stopped else "✓", result_text(event))
        elif isinstance(event, RunStarted):
            if self.run.paused:  # started by the step key
                self.query_one(StatusLine).set_state("paused")
            self.update_controls()

    def on_run_controller_loading(self, message: RunController.Loading) -> None:
        """Show how far loading the data has got."""
        self.query_one(StatusLine).loading(message.progress)

    def on_run_controller_resumed(self, message: RunController.Resumed) -> None:
        """Say where a resumed run goes on from."""
        self.notify(f"Resuming run {message.run_id} from step {message.step:,}.")

    def on_run_controller_failed(self, message: RunController.Failed) -> None:
        """Show why training failed (or that it was stopped while its data loaded); the app goes on."""
        if message.cancelled:
            self.notify(f"Lesson {message.lesson}: {message.message}.", timeout=5)
            self.query_one(StatusLine).set_state("stopped")
            return
        self.notify(message.message, title=f"Lesson {message.lesson} failed", severity="error", timeout=10)
        self.query_one(OutputArea).log_view.failed(message.lesson, message.message)
        self.query_one(LessonSidebar).set_result(message.lesson, "✗", "failed")
        self.query_one(StatusLine).set_state("failed")

    def on_run_controller_ended(self, message: RunController.Ended) -> None:
        """Back to idle."""
        self.run.ended()
        self.query_one(StatusLine).idle()
        self.update_controls()

    def action_run(self) -> None:
        """Run the lesson."""
        self.start_run()

    def action_pause(self) -> None:
        """Pause or resume the run."""
        if not self.run.running or self.run.control is None:
            self.notify("Nothing is running.", severity="warning")
            return
        self.query_one(StatusLine).set_state("paused" if self.run.toggle_pause() else "running")
        self.update_controls()

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
        """Forget the current lesson's results; the next run starts from fresh weights."""
        if self.run.running:
            self.notify("Stop the run first (x).", severity="warning")
            return
        self.query_one(LessonSidebar).clear_result(self.lesson.number)
        self.query_one(OutputArea).reset()
        self.query_one(StatusLine).reset()
        self.show_where()
        self.notify(f"Lesson {self.lesson.number} reset: the next run starts from freshly initialised weights.")
