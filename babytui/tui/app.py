"""The babytui app: a shell that pushes the main screen; the work is in screens/ and widgets/."""

from __future__ import annotations

import asyncio
import os
from typing import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .colors import legible_filter, use_colors
from .commands import palette_commands
from .hangup import QUIT_WAIT, SIGNAL_WAIT, Hangup, driver_for, listen, silence_terminal
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .screens.runs import RunsScreen

class BabytuiApp(App[int]):
    """PyTorch lessons to read, change and run; training runs in a thread worker."""

    CSS_PATH = "app.tcss"
    TITLE = "babytui"
    ALLOW_IN_MAXIMIZED_VIEW = "Footer, StatusLine"
    BINDINGS = [Binding("question_mark,f1", "help", "Help"), Binding("q", "quit", "Quit")]

    def __init__(self, lesson: int | None = None, colors: str | None = None, warning: str | None = None) -> None:
        super().__init__()
        if colors is not None:
            use_colors(self.console, colors)
        self._legible = legible_filter() if self.console.color_system in ("standard", "windows") else None
        self._warning = warning
        self._unlisten = None
        self.hung_up = False
        """True once a hang-up or SIGTERM is ending the app."""
        self.main = MainScreen(lesson)
        """The lessons screen, under every other one."""

    def get_default_screen(self) -> MainScreen:
        """The lessons, the first screen and the one under every other."""
        return self.main

    def get_driver_class(self):
        """Textual's driver, one that reports a lost terminal on Linux and macOS."""
        return driver_for(super().get_driver_class())

    def get_line_filters(self):
        """Textual's filters and, in 16 colours, one that keeps every label apart from its background."""
        filters = list(super().get_line_filters())
        return [*filters, self._legible] if self._legible is not None else filters

    def on_mount(self) -> None:
        """Hear SIGHUP and SIGTERM (not in tests, which run headless in the test's process)."""
        if not self.is_headless and os.name == "posix":
            self._unlisten = listen(self.post_message)
        if self._warning:
            self.notify(self._warning, severity="warning", timeout=10)

    async def on_hangup(self, message: Hangup) -> None:
        """The terminal went away or a signal came: as `q`, but waiting longer for the checkpoint."""
        if self.hung_up:
            return
        self.hung_up = True
        if message.terminal_gone:
            silence_terminal()
        await self.action_quit(SIGNAL_WAIT)

    def action_help(self) -> None:
        """Show the keys."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_runs(self) -> None:
        """Show the saved runs; one chosen there is resumed."""
        if not isinstance(self.screen, RunsScreen):
            self.push_screen(RunsScreen(), self.main.resume_run)

    async def action_quit(self, wait: float = QUIT_WAIT) -> None:
        """Stop any run at once (no final scoring) and leave once its checkpoint is saved (`wait` s at most)."""
        run = self.main.run
        done = run.done
        run.stop(quick=True)
        if done is not None and run.running:
            await asyncio.get_running_loop().run_in_executor(None, done.wait, wait)
        self.main.remember()
        self.exit(0)

    def on_unmount(self) -> None:
        """Never leave a training thread behind, nor a signal handler."""
        self.main.run.stop(quick=True)
        if self._unlisten is not None:
            self._unlisten()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, every babytui action, and a jump to each lesson."""
        yield from super().get_system_commands(screen)
        yield from palette_commands(self)

