"""The app in a terminal of its own (a pty): a hang-up or SIGTERM mid-run saves the run as stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from babytui.core.runs import RunStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs a pty and POSIX signals")


def logged_step(home: Path) -> int:
    """The last step the run's metrics file has logged (what the app's screen had shown by then)."""
    step = 0
    for path in (home / "runs").glob("*/metrics.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("type") == "steps":
                step = max(step, record["step"])
    return step


class AppInTerminal:
    """`python -m babytui` on a pty it has as its controlling terminal, its output drained."""

    def __init__(self, env: dict[str, str]) -> None:
        import fcntl
        import struct
        import termios

        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "babytui"], stdin=slave, stdout=slave, stderr=slave, env=env,
            start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.output = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output.extend(data)

    def press(self, keys: bytes) -> None:
        """Type on the terminal."""
        os.write(self.master, keys)

    def hang_up(self) -> None:
        """Close the terminal, as sshd does when the connection drops: the kernel sends SIGHUP."""
        os.close(self.master)


@pytest.fixture
def app_env(tiny_cifar: Path, babytui_home: Path) -> dict[str, str]:
    """The app's environment: lesson 14 remembered with a tiny CIFAR-10 to trust and many epochs."""
    prefs = {
        "format": 1, "lesson": 14, "values": {"14": {"epochs": "100000"}},
        "shared": {"data_root": str(tiny_cifar), "trust_data": "yes"},
    }
    (babytui_home / "app.json").write_text(json.dumps(prefs), encoding="utf-8")
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""), "TERM": "xterm-256color"}


@pytest.mark.parametrize("how", ["SIGHUP", "SIGTERM"])
def test_a_hang_up_or_sigterm_mid_run_stops_and_saves_it(app_env, babytui_home: Path, how: str) -> None:
    app = AppInTerminal(app_env)
    try:
        deadline = time.monotonic() + 120
        while logged_step(babytui_home) == 0:  # r until the run has begun (PyTorch loads first)
            assert time.monotonic() < deadline and app.process.poll() is None, "the run never started"
            app.press(b"r")
            time.sleep(0.5)
        time.sleep(1.0)
        shown = logged_step(babytui_home)
        if how == "SIGHUP":
            app.process.send_signal(signal.SIGHUP)
            app.hang_up()
        else:
            app.process.send_signal(signal.SIGTERM)
        assert app.process.wait(timeout=60) == 0
    finally:
        if app.process.poll() is None:
            app.process.kill()
    [run] = RunStore().summaries()
    assert run.status == "stopped" and run.resumable
    assert run.steps >= shown > 0  # resuming goes on from at least the step the screen showed
    if how == "SIGTERM":  # the terminal is still there: it is given back as it was
        time.sleep(0.5)  # the last of the output drained
        assert b"\x1b[?1049l" in bytes(app.output)[-400:]  # left the alternate screen: the shell's text is back
