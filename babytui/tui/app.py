"""The babytui app: a shell that pushes the main screen; the work is in screens/ and widgets/."""

from __future__ import annotations

import asyncio
from typing import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from babytui.core.lessons import LESSONS

from .screens.help import HelpScreen
from .screens.main import MainScreen
from .screens.runs import RunsScreen
from .widgets.sidebar import LessonSidebar

QUIT_WAIT = 2.0
"""Seconds quitting waits for a stopped run to write its last checkpoint."""
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
    ("Runs", "The saved runs: compare any number of them, resume a stopped one", "app.runs"),
    ("LR range test", "Grow the lr each batch and watch the loss: the lr it suggests", "range_test"),
    ("Use the suggested lr", "Put the last range test's suggested lr in the form", "use_suggested_lr"),
    ("Double the lr", "The running image lesson's lr times 2, from its next batch", "lr_times(2.0)"),
    ("Halve the lr", "The running image lesson's lr divided by 2, from its next batch", "lr_times(0.5)"),
    ("Help", "Show the keys", "app.help"),
)
"""(title, help, action) of every command the palette adds."""


class BabytuiApp(App[int]):
    """PyTorch lessons to read, change and run; training runs in a thread worker."""

    CSS_PATH = "app.tcss"
    TITLE = "babytui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    ALLOW_IN_MAXIMIZED_VIEW = "Footer, StatusLine"
    BINDINGS = [Binding("question_mark", "help", "Help"), Binding("q", "quit", "Quit")]

    def __init__(self, lesson: int = 1) -> None:
        super().__init__()
        self.main = MainScreen(lesson)
        """The lessons screen, under every other one."""

    def get_default_screen(self) -> MainScreen:
        """The lessons, the first screen and the one under every other."""
        return self.main

    def action_help(self) -> None:
        """Show the keys."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_runs(self) -> None:
        """Show the saved runs; one chosen there is resumed."""
        if not isinstance(self.screen, RunsScreen):
            self.push_screen(RunsScreen(), self.main.resume_run)

    async def action_quit(self) -> None:
        """Stop any run at once (no final scoring) and leave once its checkpoint is saved (QUIT_WAIT at most)."""
        run = self.main.run
        done = run.done
        run.stop(quick=True)
        if done is not None and run.running:
            await asyncio.get_running_loop().run_in_executor(None, done.wait, QUIT_WAIT)
        self.exit(0)

    def on_unmount(self) -> None:
        """Never leave a training thread behind."""
        self.main.run.stop(quick=True)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, every babytui action, and a jump to each lesson."""
        yield from super().get_system_commands(screen)
        for title, help_text, action in COMMANDS:
            yield SystemCommand(title, help_text, lambda action=action: self.run_action(action, self.main))
        for lesson in LESSONS:
            yield SystemCommand(
                f"Lesson {lesson.number}: {lesson.title}",
                "Go to this lesson",
                lambda number=lesson.number: self.main.query_one(LessonSidebar).select(number),
            )


def run_app() -> int:
    """Run the app in this terminal; the exit code."""
    app = BabytuiApp()
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
