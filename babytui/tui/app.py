"""The babytui app: lessons on the left, the lesson, its settings and what training yields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from babytui.core.events import short_result
from babytui.core.lessons import LESSONS, Lesson
from babytui.core.settings import DATASETS

from .core_bridge import load_core, render_code, use_training_threads
from .screens.help import HelpScreen
from .screens.runs import RunsScreen
from .widgets.control_bar import ControlBar
from .widgets.lesson_pane import LessonPane
from .widgets.output_area import VIEW_TABS, OutputArea
from .widgets.settings_form import SettingsForm, check
from .widgets.sidebar import LessonSidebar
from .widgets.status_line import StatusLine

COMMANDS = (
    ("Run", "Run the lesson with these settings", "run"),
    ("Pause / resume", "Hold the run before its next batch, or let it go on", "pause"),
    ("Step", "Run exactly one batch, then wait", "step"),
    ("Stop", "End the run after the current batch", "stop"),
    ("Reset weights", "Forget this lesson's results; the next run starts from fresh weights", "reset"),
    ("Next lesson", "Go to the next lesson", "next_lesson"),
    ("Previous lesson", "Go to the previous lesson", "previous_lesson"),
    ("Choose device", "Cycle through auto and the devices present", "cycle_device"),
    ("Choose dataset", "Cycle through the datasets of the image lessons", "cycle_dataset"),
    ("Runs", "The saved runs: compare two loss curves, resume a stopped one", "runs"),
    ("Help", "Show the keys", "help"),
)
"""(title, help, action) of every command the palette adds."""

QUIT_WAIT = 2.0
"""Seconds quitting waits for a stopped run to write its last checkpoint."""

VIEW_TITLES = ("Log", "Loss plot", "Weights", "Predictions", "Confusion matrix")
"""What keys 1-5 show."""


def result_text(event: Any) -> str:
    """A Finished event as the sidebar's short result."""
    result = short_result(event.test_accuracy, event.final_loss)
    if result:
        return result
    if event.outputs:
        return f"out {event.outputs[0]:.4f}"
    return "done"


class BabytuiApp(App[int]):
    """Fourteen PyTorch lessons to read, change and run; training runs in a thread worker."""

    CSS_PATH = "app.tcss"
    TITLE = "babytui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    ALLOW_IN_MAXIMIZED_VIEW = "Footer, StatusLine"
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
        Binding("R", "runs", "Runs", show=False),
        Binding("question_mark", "help", "Help"),
        *(Binding(str(n), f"show_view({n - 1})", title, show=False) for n, title in enumerate(VIEW_TITLES, 1)),
        Binding("z", "zoom_output", "Zoom views", show=False),
        Binding("q", "quit", "Quit"),
    ]

    @dataclass
    class TrainingEvent(Message):
        """The training worker yielded a core event."""

        event: Any
        """The event, as the core made it."""

    @dataclass
    class TrainingFailed(Message):
        """Training raised: a BabytuiError's message, or the name of another exception."""

        lesson: int
        """The lesson that was running."""
        message: str
        """What went wrong, for the user."""

    @dataclass
    class TrainingEnded(Message):
        """The training worker returned (finished, stopped or failed)."""

        lesson: int
        """The lesson that was running."""

    @dataclass
    class CoreLoaded(Message):
        """torch and the training loop finished importing in the background."""

        devices: tuple[str, ...]
        """The devices present, cpu first."""

    def __init__(self, lesson: int = 1) -> None:
        super().__init__()
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
        self.control: Any = None
        """The Control of the run in progress, None when idle."""
        self.running_lesson: int | None = None
        """The lesson being trained, None when idle."""
        self._queued_steps: int | None = None
        self._training_done: Any = None  # a threading.Event the worker sets once its run is saved

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

    async def on_mount(self) -> None:
        """Show the first lesson, then import torch once the first frame is out."""
        self.query_one(LessonSidebar).select(self.lesson.number)
        self.query_one(LessonSidebar).focus()
        self.query_one(LessonPane).show_lesson(self.lesson)
        self.show_where()
        self.call_after_refresh(self.load_core)

    @work(thread=True, exit_on_error=False, group="core")
    def load_core(self) -> None:
        """Import torch and the training loop off the interface thread."""
        self.post_message(self.CoreLoaded(load_core()))

    def on_babytui_app_core_loaded(self, message: CoreLoaded) -> None:
        """Note the devices; start a run asked for while torch was loading."""
        self.core_loaded = True
        self.devices = message.devices
        if self._queued_steps is not None:
            steps, self._queued_steps = self._queued_steps, None
            self.start_run(steps)

    # Lessons and settings

    async def show_lesson(self, lesson: Lesson) -> None:
        """Show a lesson: its text, code and settings form."""
        self.lesson = lesson
        self.query_one(LessonPane).show_lesson(lesson)
        await self.query_one(SettingsForm).load(lesson, self.form_values(lesson))
        if self.running_lesson is None:
            status = self.query_one(StatusLine)
            status.reset()
            self.show_where()

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
            if self.running_lesson is None:
                self.show_where()
        self.update_controls()

    def update_controls(self) -> None:
        """Enable the buttons that make sense now."""
        self.query_one(ControlBar).set_state(
            running=self.running_lesson is not None,
            paused=bool(self.control and self.control.paused),
            can_run=self.settings.get(self.lesson.number) is not None,
        )

    # Training

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
            reason = "; ".join(f"{name}: {why}" for name, why in errors.items())
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
        import threading

        from babytui.core.train import Control

        control = Control()
        if steps:
            control.step(steps)
        self.control = control
        self.running_lesson = lesson.number
        self._training_done = threading.Event()
        status = self.query_one(StatusLine)
        status.set_state("paused" if steps else "starting")
        self.train_lesson(lesson, settings, control, resume, self._training_done)
        self.update_controls()

    @work(thread=True, exclusive=True, exit_on_error=False, group="training")
    def train_lesson(self, lesson: Lesson, settings: Any, control: Any, resume: Any = None, done: Any = None) -> None:
        """Run the core's training loop, save the run, post each event; never touch a widget here."""
        from babytui.core.errors import BabytuiError
        from babytui.core.events import Note
        from babytui.core.runs import start_recording
        from babytui.core.train import train

        recorder = None
        try:
            use_training_threads()
            recorder, warning = start_recording(lesson, settings, resume)
            state = resume[1] if resume else None
            for event in train(lesson, settings, control=control, checkpoints=recorder is not None, resume=state):
                if recorder is not None:
                    warning = recorder(event) or warning  # file IO here, in the worker: the interface never waits
                if type(event).__name__ != "Checkpoint":  # state dicts are for the disk, not the views
                    self.post_message(self.TrainingEvent(event))
                if warning:  # after the event: a RunStarted clears the log
                    self.post_message(self.TrainingEvent(Note("this run is not saved", warning)))
                    warning = None
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

    def on_babytui_app_training_event(self, message: TrainingEvent) -> None:
        """Route one event from the worker."""
        self.handle_event(message.event)

    def handle_event(self, event: Any) -> None:
        """The one place core events enter the interface: status, output views and sidebar."""
        self.query_one(StatusLine).handle(event)
        self.query_one(OutputArea).handle(event)
        if type(event).__name__ == "Finished":
            self.query_one(LessonSidebar).set_result(event.lesson, "•" if event.stopped else "✓", result_text(event))
        elif type(event).__name__ == "RunStarted":
            self.update_controls()

    def on_babytui_app_training_failed(self, message: TrainingFailed) -> None:
        """Show why training failed; the app goes on."""
        self.notify(message.message, title=f"Lesson {message.lesson} failed", severity="error", timeout=10)
        self.query_one(OutputArea).log_view.failed(message.message)
        self.query_one(LessonSidebar).set_result(message.lesson, "✗", "failed")
        self.query_one(StatusLine).set_state("failed")

    def on_babytui_app_training_ended(self, message: TrainingEnded) -> None:
        """Back to idle."""
        self.control = None
        self.running_lesson = None
        self.query_one(StatusLine).idle()
        self.update_controls()

    def stop_training(self) -> None:
        """Ask a run to end after its current batch."""
        if self.control is not None:
            self.control.stop()

    # Actions

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
        if self.running_lesson is None:
            self.show_where()
        note = "" if applies else " (for the image lessons, 10-14; this one runs on the CPU)"
        self.notify(f"{name}: {value}{note}", timeout=3)

    def action_zoom_output(self) -> None:
        """Let the output views fill the screen (z or escape goes back)."""
        if self.screen.maximized is not None:
            self.screen.minimize()
        else:
            self.screen.maximize(self.query_one(OutputArea), container=False)

    def action_show_view(self, index: int) -> None:
        """Show an output tab (keys 1-5: log, loss, weights, predictions, confusion)."""
        self.query_one(OutputArea).show_tab(VIEW_TABS[index])

    def action_help(self) -> None:
        """Show the keys."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_runs(self) -> None:
        """Show the saved runs; one chosen there is resumed."""
        if not isinstance(self.screen, RunsScreen):
            self.push_screen(RunsScreen(), self.resume_run)

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
        """Stop any run and leave once it has saved its checkpoint (waiting QUIT_WAIT seconds at most)."""
        import asyncio

        self.stop_training()
        done = self._training_done
        if done is not None and self.running_lesson is not None:
            await asyncio.get_running_loop().run_in_executor(None, done.wait, QUIT_WAIT)
        self.exit(0)

    def on_unmount(self) -> None:
        """Never leave a training thread behind."""
        self.stop_training()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, every babytui action, and a jump to each lesson."""
        yield from super().get_system_commands(screen)
        for title, help_text, action in COMMANDS:
            yield SystemCommand(title, help_text, getattr(self, f"action_{action}"))
        for lesson in LESSONS:
            yield SystemCommand(
                f"Lesson {lesson.number}: {lesson.title}",
                "Go to this lesson",
                lambda number=lesson.number: self.query_one(LessonSidebar).select(number),
            )


def run_app() -> int:
    """Run the app in this terminal; the exit code."""
    app = BabytuiApp()
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
