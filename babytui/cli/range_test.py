"""`babytui range-test`: an LR range test of an image lesson, drawn in the terminal, the lr it suggests."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

from .output import LoadBar, LiveLine
from .parser import UsageError, lesson_and_settings
from .train import GracefulStop


def run(args: argparse.Namespace) -> int:
    """Run the test; the curve drawn with a log lr axis and the suggestion, or all of it as JSON."""
    from ..core import events as ev
    from ..core.control import Control
    from ..core.lessons import lesson_range
    from ..core.lr_range import describe
    from ..core.session import Session

    lesson, settings = lesson_and_settings(args)
    if not lesson.is_image:
        raise UsageError(f"lesson {lesson.number} does not train on images: the range test is for lessons {lesson_range(image_only=True)}")
    control = Control()
    bar = LoadBar(sys.stderr)
    session = Session(lesson, settings, control=control, save=False, progress=bar, range_test=True)
    line = LiveLine(sys.stderr)
    done = None
    with GracefulStop(control):
        for event in session.events():
            bar.close()
            if isinstance(event, ev.RangeTestLogged) and line.due(event.step >= event.total_steps):
                line.show(f"range test {line.bar(event.step / event.total_steps)} batch {event.step}/{event.total_steps}  "
                          f"lr {event.lrs[-1]:.3g}  loss {event.losses[-1]:.4f}")
            elif isinstance(event, ev.RangeTestDone):
                done = event
    line.close()
    assert done is not None
    if args.json:
        summary = done.summary()
        for key in ("losses", "smoothed"):  # an exploded loss is inf or NaN: not JSON
            summary[key] = [v if math.isfinite(v) else None for v in summary[key]]
        print(json.dumps({"lesson": lesson.number, **summary}))
        return 0
    print(draw_curve(done))
    print(describe(done))
    return 0


def draw_curve(done, width: int = 78, height: int = 20) -> str:
    """The smoothed loss against log10 of the lr, as text (plotext), the suggestion marked."""
    import plotext as plt

    points = [(math.log10(lr), v) for lr, v in zip(done.lrs, done.smoothed) if math.isfinite(v)]
    if not points:
        return "(no finite loss to draw)"
    plt.clear_figure()
    plt.plot_size(width, height)
    plt.theme("clear")
    xs, ys = zip(*points)
    plt.plot(list(xs), list(ys), marker="braille")
    if done.suggestion is not None:
        plt.vline(math.log10(done.suggestion))
    ticks = list(range(math.floor(min(xs)), math.ceil(max(xs)) + 1))
    plt.xticks(ticks, [f"1e{t}" for t in ticks])
    plt.xlabel("lr (log scale)")
    plt.ylabel("smoothed loss")
    return re.sub(r"\x1b\[[0-9;]*m", "", plt.build())  # plain text: it may go to a file
