"""Lesson 14 at batch 4: images/s with the app running, against the bare core loop.

The app must add almost nothing to the cost of a step: its worker only forwards events (and
saves the run) and the interface redraws at most 20 times a second. Both use the same number of
torch threads: the app's choice, every core but one. Both runs use the same settings and the same
data (CIFAR-10 from $BABYTUI_DATA or /work/data/cifar-root when present, else random images).

Rounds run in pairs, the order swapped each round (core then app, app then core, ...), and the
verdict is the median of the paired ratios: on a shared machine a single pair can be off by 20%
either way. `--view loss` measures with the loss plot on screen instead of the log; `--view inside`
with the inside view following training (a look at a test image for every new copy of the weights).

    python benchmarks/app_speed.py [--steps 5000] [--rounds 4] [--view log|loss|weights|predictions|confusion|inside|health|layers]
"""

from __future__ import annotations

import argparse
import dataclasses
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time

import torch

from babytui.core import datasets as core_datasets
from babytui.core import train as core_train
from babytui.core.datasets import ImageData
from babytui.core.datasets.cifar10 import CIFAR10_CLASSES, find_cifar10, load_cifar10
from babytui.core.errors import DataError
from babytui.core.lessons import LESSONS

LESSON = LESSONS[13]
"""Lesson 14: the two-convolution network."""


def image_data() -> tuple[ImageData, str]:
    """CIFAR-10 if it is on disk, else random images of the same shape; and where it came from."""
    root = os.environ.get("BABYTUI_DATA") or "/work/data/cifar-root"
    try:
        find_cifar10(root)
        try:
            data = load_cifar10(root, trust_data=True)  # a converted copy need not match the MD5s
        except TypeError:
            data = load_cifar10(root)
        source = f"CIFAR-10 from {root}"
    except DataError:
        g = torch.Generator().manual_seed(0)
        data = ImageData(
            "cifar10",
            torch.randint(0, 256, (50_000, 3, 32, 32), dtype=torch.uint8, generator=g),
            torch.randint(0, 10, (50_000,), generator=g),
            torch.randint(0, 256, (10_000, 3, 32, 32), dtype=torch.uint8, generator=g),
            torch.randint(0, 10, (10_000,), generator=g),
            CIFAR10_CLASSES,
        )
        source = "random images (no CIFAR-10 on disk)"
    # Score a 1,000-image slice after the run: the end-of-run test pass is the same in both
    # runs and is not what this measures.
    data = dataclasses.replace(data, test_images=data.test_images[:1000], test_labels=data.test_labels[:1000])
    return data, source


@dataclasses.dataclass
class Window:
    """What one run cost between its RunStarted and its Finished event."""

    images_per_second: float
    """The core's own figure (training time, epoch-end work left out)."""
    wall: float
    """Seconds per 1,000 images, by the clock."""
    training_cpu: float
    """CPU seconds per 1,000 images of the thread that trained."""
    interface_cpu: float
    """CPU seconds per 1,000 images of the main thread meanwhile (the interface; 0 for the core loop)."""

    @property
    def stalled(self) -> float:
        """Share of the wall time the training thread did not run: it waited (for the GIL, or the OS)."""
        return max(0.0, 1 - self.training_cpu / self.wall)


_windows: list[Window] = []
_real_train = core_train.train


def _timed_train(*args, **kwargs):
    """`train()`, noting the clocks at its RunStarted and Finished events."""
    main_clock = time.pthread_getcpuclockid(threading.main_thread().ident)
    in_main = threading.current_thread() is threading.main_thread()
    start = None
    for event in _real_train(*args, **kwargs):
        kind = type(event).__name__
        if kind == "RunStarted":
            start = (time.perf_counter(), time.thread_time(), time.clock_gettime(main_clock))
        elif kind == "Finished" and start is not None:
            per_1k = 1000 / (event.steps * args[1].batch_size)
            main_cpu = 0.0 if in_main else time.clock_gettime(main_clock) - start[2]
            _windows.append(
                Window(
                    event.samples_per_second,
                    (time.perf_counter() - start[0]) * per_1k,
                    (time.thread_time() - start[1]) * per_1k,
                    main_cpu * per_1k,
                )
            )
        yield event


core_train.train = _timed_train  # the session imports it from the module when a run starts


def core_rate(settings, data: ImageData) -> Window:
    """`train()` consumed directly in this thread, as `babytui train` does."""
    for _ in core_train.train(LESSON, settings, data=data):
        pass
    return _windows[-1]


class FinishedProbe:
    """An output view that keeps the Finished event (it uses the app's view hook)."""

    def __init__(self) -> None:
        self.finished = None
        """The run's Finished event, once it arrives."""

    def handle_event(self, event) -> None:
        """Keep the Finished event."""
        if type(event).__name__ == "Finished":
            self.finished = event


LOOKS: list[int] = []
"""Looks the inside view computed in each app run (with --view inside)."""


def count_looks() -> None:
    """Count the inside view's looks: each one is a forward and backward pass in a thread worker."""
    import babytui.tui.widgets.inside_view as inside_view

    real = inside_view.compute

    def counted(job):
        LOOKS[-1] += 1
        return real(job)

    inside_view.compute = counted


VIEWS = ("log", "loss", "weights", "predictions", "confusion", "inside", "health", "layers")
"""The output tabs, in the order of their keys 1-8."""


async def app_rate(values: dict[str, str], data: ImageData, view: str = "log") -> Window:
    """The same run started with `r` in the app (headless, 120x40), `view` on screen."""
    from babytui.tui.app import BabytuiApp
    from babytui.tui.widgets.output_area import OutputArea
    from babytui.tui.widgets.settings_form import SettingsForm

    core_datasets.load_images = lambda dataset, root, device, **options: data.to(device)
    LOOKS.append(0)
    app = BabytuiApp(lesson=14)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.main.core_loaded:
            await pilot.pause(0.05)
        form = app.query_one(SettingsForm)
        for name, text in values.items():
            form.set_value(name, text)
        await pilot.pause(0.2)
        assert app.main.settings[14] is not None, form.errors
        probe = FinishedProbe()
        app.query_one(OutputArea).views.append(probe)
        app.query_one("#sidebar").focus()
        await pilot.press(str(VIEWS.index(view) + 1))
        app.query_one("#sidebar").focus()
        await pilot.pause(0.2)
        await pilot.press("r")
        while probe.finished is None:
            # A plain sleep: pilot.pause() messages every widget each time, work a real terminal never does.
            await asyncio.sleep(0.25)
        await pilot.pause(0.2)
    return _windows[-1]


def main() -> int:
    """Measure both in paired rounds, print images/s and the ratios; exit 1 when the median is below 0.9."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000, help="updates in each measured run")
    parser.add_argument("--rounds", type=int, default=8, help="pairs of runs, core and app, in alternating order")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for both (default: the app's, every core but one)")
    parser.add_argument("--view", choices=VIEWS, default="log", help="the output tab on screen in the app")
    args = parser.parse_args()
    from babytui.tui.core_bridge import training_threads

    threads = args.threads or training_threads()
    torch.set_num_threads(threads)  # the core loop, in this thread
    if args.threads:
        import babytui.tui.core_bridge as bridge

        bridge.training_threads = lambda: threads  # the app's worker thread
    os.environ["BABYTUI_HOME"] = tempfile.mkdtemp(prefix="babytui-bench-")  # the app saves its runs here
    data, source = image_data()
    if args.view == "inside":
        count_looks()
    values = {"batch_size": "4", "max_steps": str(args.steps), "device": "auto", "epochs": "1"}
    settings = LESSON.settings(values)
    print(f"lesson 14, batch 4, {args.steps} steps, {source}, torch threads {threads} in both, app showing {args.view}")
    print("per 1,000 images: wall s, CPU s of the training thread, CPU s of the interface thread, share stalled")
    core_rate(LESSON.settings({**values, "max_steps": "200"}), data)  # warm up
    ratios, cores, apps = [], [], []
    for round_ in range(args.rounds):
        order = ("core", "app") if round_ % 2 == 0 else ("app", "core")
        for which in order:
            if which == "core":
                cores.append(core_rate(settings, data))
            else:
                apps.append(asyncio.run(app_rate(values, data, args.view)))
            w = cores[-1] if which == "core" else apps[-1]
            looks = f"  looks {LOOKS[-1]}" if which == "app" and args.view == "inside" else ""
            print(
                f"  {which + ':':5} {w.images_per_second:7.1f} images/s   wall {w.wall:.3f}  training {w.training_cpu:.3f}"
                f"  interface {w.interface_cpu:.3f}  stalled {100 * w.stalled:4.1f}%{looks}"
            )
        ratios.append(apps[-1].images_per_second / cores[-1].images_per_second)
        print(f"round {round_ + 1}: app/core {ratios[-1]:.3f}")
    median = statistics.median(ratios)
    best_core, best_app = max(w.images_per_second for w in cores), max(w.images_per_second for w in apps)
    print(f"best: core {best_core:.1f}, app {best_app:.1f} images/s; best/best {best_app / best_core:.3f}")
    print(f"paired ratios app/core: {', '.join(f'{r:.3f}' for r in ratios)}")
    # Noise-free view of the same thing: how long the training thread waited while the interface ran.
    stalled = statistics.median(w.stalled for w in apps) - statistics.median(w.stalled for w in cores)
    interface = statistics.median(w.interface_cpu / w.training_cpu for w in apps)
    print(
        f"the app's training thread stood still {100 * stalled:.1f}% more of the time than the core loop's; "
        f"the interface used {100 * interface:.1f}% of the training thread's CPU time"
    )
    print(f"median of paired ratios: {median:.3f} ({'ok' if median >= 0.9 else 'BELOW 0.9'})")
    return 0 if median >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
