"""Time from starting `python` to the app's first frame, which must not wait for torch.

Each run starts a fresh interpreter that runs the app headless and exits once the first
screen has been painted; it reports the seconds since the parent started it and whether
torch was imported by then. The target is under 1 s.

    python benchmarks/first_frame.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, os, sys, time
from babytui.tui.app import BabytuiApp

class FirstFrame(BabytuiApp):
    CSS_PATH = os.path.join(os.path.dirname(sys.modules[BabytuiApp.__module__].__file__), "app.tcss")
    reported = False

    def _display(self, screen, renderable):
        # Where the app hands a frame to the terminal: the first one with lesson 1 on it counts.
        super()._display(screen, renderable)
        if renderable is None or self._batch_count or self.reported:
            return
        from babytui.tui.widgets.lesson_pane import LessonPane
        if not self.query(LessonPane) or not self.query_one(LessonPane).region.area:
            return
        self.reported = True
        seconds = time.time() - float(os.environ["BABYTUI_T0"])
        print(json.dumps({"seconds": seconds, "torch": "torch" in sys.modules}), file=sys.__stdout__, flush=True)
        self.exit()

FirstFrame().run(headless=True, size=(100, 32))
"""
"""The program each run starts: the app, stopping after its first paint."""


def one_run() -> dict:
    """Start a fresh interpreter and read its first-frame report."""
    env = dict(os.environ, BABYTUI_T0=repr(time.time()))
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"no report from the app:\n{result.stdout}\n{result.stderr}")
    return json.loads(lines[-1])


def bare_python() -> float:
    """Seconds to start and stop an interpreter that does nothing, for comparison."""
    started = time.time()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.time() - started


def main() -> int:
    """Print each run, the median, and exit 1 when the median is 1 s or more."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters to time")
    args = parser.parse_args()
    one_run()  # warm the file cache
    reports = [one_run() for _ in range(args.runs)]
    for report in reports:
        print(f"first frame after {report['seconds']:.3f} s; torch imported by then: {report['torch']}")
    median = statistics.median(r["seconds"] for r in reports)
    print(f"median {median:.3f} s (a bare `python -c pass` takes {bare_python():.3f} s)")
    ok = median < 1.0 and not any(r["torch"] for r in reports)
    print("ok" if ok else "TOO SLOW, or torch was imported before the first frame")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
