"""What the training-health checks cost the training loop: lesson 14 at batch 4 with the checks as they
are (a note of every layer's gradient at each report, a traced update every HEALTH_INTERVAL) against
the same loop with a watch that never notes nor checks. Same data, same steps, pairs of runs in
alternating order; images/s and the median of the paired ratios.

    python benchmarks/health_cost.py [--steps 3000] [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys

import torch

from babytui.core import train as core_train
from babytui.core.events import Finished, HealthChecked
from babytui.core.health import HealthWatch
from babytui.core.lessons import LESSONS

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from app_speed import image_data  # noqa: E402  (the same data as the app benchmark)

LESSON = LESSONS[13]
"""Lesson 14."""


class Silent(HealthWatch):
    """A watch that never notes or checks: the loop as it was without health."""

    def note(self, step: int) -> None:
        self.due = False

    def begin(self):  # never called: due stays False
        raise AssertionError("a silent watch checks nothing")


def rate(settings, data, silent: bool) -> tuple[float, int]:
    """Images/s of one run, and how many health checks it made."""
    core_train.HealthWatch = (lambda *a, **k: _silent(*a, **k)) if silent else HealthWatch
    checks = 0
    for event in core_train.train(LESSON, settings, data=data):
        checks += isinstance(event, HealthChecked)
        if isinstance(event, Finished):
            return event.samples_per_second, checks
    raise AssertionError("no Finished event")


def _silent(*args, **kwargs) -> Silent:
    watch = Silent(*args, **kwargs)
    watch.due = False
    return watch


def main() -> int:
    """Paired rounds; print images/s and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data, source = image_data()
    settings = LESSON.settings({"batch_size": "4", "max_steps": str(args.steps), "epochs": "1", "device": "auto"})
    print(f"lesson 14, batch 4, {args.steps} steps, {source}, {args.threads} torch thread(s)")
    rate(LESSON.settings({"batch_size": "4", "max_steps": "200", "epochs": "1", "device": "auto"}), data, False)  # warm up
    ratios = []
    for round_ in range(args.rounds):
        order = (False, True) if round_ % 2 == 0 else (True, False)
        result = {}
        for silent in order:
            result[silent] = rate(settings, data, silent)
            print(f"  {'without checks' if silent else 'with checks':15} {result[silent][0]:8.1f} images/s  ({result[silent][1]} checks)")
        ratios.append(result[False][0] / result[True][0])
        print(f"round {round_ + 1}: with/without {ratios[-1]:.3f}")
    print(f"median of paired ratios with/without: {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
