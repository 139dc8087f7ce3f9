"""A terminal that goes away (a dropped SSH session) or a SIGTERM: the app is told, never killed mid-write.

Python's default for SIGHUP and SIGTERM ends the process at once, and a hung-up terminal makes
Textual's reads and writes fail (a panic, or a writer thread that dies and blocks the screen). Here
both signals, and a read or write failing on the terminal, become one `Hangup` message, so the app
can stop its run after the batch, save it and leave as `q` does.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import IO, Any, Callable

from textual.message import Message

try:
    from textual.drivers.linux_driver import LinuxDriver
except ImportError:  # Windows: no SIGHUP, and Textual drives the console another way
    LinuxDriver = None  # type: ignore[assignment,misc]

SIGNALS = tuple(getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name))
"""The signals that mean: save and leave."""
QUIT_WAIT = 2.0
"""Seconds `q` waits for a stopped run to write its last checkpoint."""
SIGNAL_WAIT = 30.0
"""Seconds a hang-up or SIGTERM waits for it: nobody is watching, and losing the run is worse."""


@dataclass
class Hangup(Message):
    """The terminal went away or a signal asked the app to end."""

    reason: str
    """'SIGHUP', 'SIGTERM' or 'terminal lost'."""
    terminal_gone: bool
    """True when nothing can be drawn any more (a SIGHUP or a failed read or write)."""


def silence_terminal() -> None:
    """Point stdout and stderr at /dev/null: a hung-up terminal fails every write (reads end the input thread)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    os.close(devnull)


class TerminalFile:
    """The driver's output file, telling `on_lost` (once) instead of raising when the terminal is gone."""

    def __init__(self, file: IO[str], on_lost: Callable[[], None]) -> None:
        self._file = file
        self._on_lost = on_lost
        self.lost = False
        """True once a write or flush failed."""

    def _failed(self) -> None:
        if not self.lost:
            self.lost = True
            self._on_lost()

    def write(self, text: str) -> int:
        """Write, or drop the text once the terminal is gone."""
        if self.lost:
            return len(text)
        try:
            return self._file.write(text)
        except (OSError, ValueError):
            self._failed()
            return len(text)

    def flush(self) -> None:
        """Flush, unless the terminal is gone."""
        if self.lost:
            return
        try:
            self._file.flush()
        except (OSError, ValueError):
            self._failed()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class HangupDriver(LinuxDriver or object):  # type: ignore[misc]
    """Textual's Linux driver, posting Hangup when the terminal fails instead of panicking or blocking."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._file = TerminalFile(self._file, self._lost)  # type: ignore[assignment]

    def _lost(self) -> None:
        self._app.post_message(Hangup("terminal lost", terminal_gone=True))

    def run_input_thread(self) -> None:
        """Read keys until the app ends; a read failing on a hung-up terminal is a hang-up."""
        try:
            super().run_input_thread()
        except OSError:
            self._lost()


def listen(post: Callable[[Message], Any]) -> Callable[[], None]:
    """Turn SIGHUP and SIGTERM into Hangup messages (in the running asyncio loop); returns the undo."""
    import asyncio

    loop = asyncio.get_running_loop()
    installed = []
    for number in SIGNALS:
        if signal.getsignal(number) is signal.SIG_IGN:
            continue  # started under nohup: it stays deaf to hang-ups
        name = signal.Signals(number).name
        loop.add_signal_handler(number, lambda name=name: post(Hangup(name, terminal_gone=name == "SIGHUP")))
        installed.append(number)

    def undo() -> None:
        for number in installed:
            loop.remove_signal_handler(number)

    return undo


def driver_for(driver: type) -> type:
    """Textual's driver, or on Linux and macOS one that also reports a lost terminal."""
    return HangupDriver if LinuxDriver is not None and driver is LinuxDriver else driver
