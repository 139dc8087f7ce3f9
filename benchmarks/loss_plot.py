"""One loss-plot redraw (down-sample, plot, build the figure, parse it to Rich Text) at 1k, 10k and 300k points of history.

Lesson 14's 25 epochs at batch 4 are 312,500 steps; one redraw must stay under 50 ms.

    python benchmarks/loss_plot.py [--width 120 --height 30 --repeat 20]
"""

from __future__ import annotations

import argparse
import math
import random
import time

from rich.text import Text
from textual_plotext.plot import Plot

from babytui.tui.widgets.loss_plot import LossHistory, draw_loss


def history(points: int, steps_per_epoch: int = 12_500) -> LossHistory:
    """A run of `points` noisy, falling losses, logged in windows of 250 like the core does."""
    rng = random.Random(0)
    h = LossHistory(14, points)
    window: list[float] = []
    for step in range(1, points + 1):
        window.append(2.3 * math.exp(-step / (points / 3 + 1)) + 0.7 + rng.random())
        if len(window) == 250 or step == points:
            h.add_losses(step, tuple(window))
            window = []
        if step % steps_per_epoch == 0:
            h.add_epoch(step, 1.5, 1.4, 50.0)
    return h


def main() -> None:
    """Time the redraws and print ms per redraw."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=120)
    parser.add_argument("--height", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    for points in (1_000, 10_000, 300_000):
        h = history(points)
        ghost = h.ghost()
        plt = Plot()
        plt.plotsize(args.width, args.height)
        for log in (False, True):
            draw_loss(plt, h, ghost, args.width, log)
            plt.build()  # warm up
            wall, cpu = [], []
            for _ in range(args.repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                draw_loss(plt, h, ghost, args.width, log)
                Text.from_ansi(plt.build())  # as the widget's render() does
                wall.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            wall.sort()
            cpu.sort()
            # CPU time as well: on a shared machine the wall time also counts other programs' turns
            print(
                f"{points:>8,} points  {'log10 ' if log else 'linear'}  {args.width}x{args.height}: "
                f"median {wall[len(wall) // 2]:5.1f} ms, best {wall[0]:5.1f} ms per redraw "
                f"(CPU median {cpu[len(cpu) // 2]:5.1f} ms)"
            )


if __name__ == "__main__":
    main()
