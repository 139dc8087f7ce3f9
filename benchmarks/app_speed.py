"""Lesson 14 at batch 4: images/s with the app running, against the bare core loop.

The app must add almost nothing to the cost of a step: its worker only forwards events (and
saves the run) and the interface redraws at most 20 times a second. Both use the same number of
torch threads: the app's choice, every core but one. Both runs use the same settings and the same
data (CIFAR-10 from $BABYTUI_DATA or /work/data/cifar-root when present, else random images).

    python benchmarks/app_speed.py [--steps 3000]
"""

from __future__ import annotations

import argparse
import dataclasses
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from babytui.core import train as core_train
from babytui.core.data import CIFAR10_CLASSES, ImageData, find_cifar10, load_cifar10
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


def core_rate(settings, data: ImageData) -> tuple[float, float]:
    """Images/s of `train()` consumed directly, as `babytui train` does; and CPU s per 1,000 images."""
    finished = None
    cpu = time.process_time()
    for event in core_train.train(LESSON, settings, data=data):
        if type(event).__name__ == "Finished":
            finished = event
    cpu = time.process_time() - cpu
    return finished.samples_per_second, 1000 * cpu / (finished.steps * settings.batch_size)


class FinishedProbe:
    """An output view that keeps the Finished event (it uses the app's view hook)."""

    def __init__(self) -> None:
        self.finished = None
        """The run's Finished event, once it arrives."""

    def handle_event(self, event) -> None:
        """Keep the Finished event."""
        if type(event).__name__ == "Finished":
            self.finished = event


async def app_rate(values: dict[str, str], data: ImageData) -> tuple[float, float]:
    """Images/s of the same run started with `r` in the app (headless, 120x40)."""
    from babytui.tui.app import BabytuiApp
    from babytui.tui.widgets.output_area import OutputArea
    from babytui.tui.widgets.settings_form import SettingsForm

    core_train.load_images = lambda dataset, root, device, **options: data.to(device)
    app = BabytuiApp(lesson=14)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.core_loaded:
            await pilot.pause(0.05)
        form = app.query_one(SettingsForm)
        for name, text in values.items():
            form.set_value(name, text)
        await pilot.pause(0.2)
        assert app.settings[14] is not None, form.errors
        probe = FinishedProbe()
        app.query_one(OutputArea).views.append(probe)
        app.query_one("#sidebar").focus()
        cpu = time.process_time()
        await pilot.press("r")
        while probe.finished is None:
            # A plain sleep: pilot.pause() messages every widget each time, work a real terminal never does.
            await asyncio.sleep(0.25)
        cpu = time.process_time() - cpu  # the whole process: training and interface threads
        await pilot.pause(0.2)
    return probe.finished.samples_per_second, 1000 * cpu / (probe.finished.steps * int(values["batch_size"]))


def main() -> int:
    """Measure both, print images/s and the ratio; exit 1 below 0.9."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000, help="updates in each measured run")
    parser.add_argument("--rounds", type=int, default=3, help="core and app runs, alternating; the best of each counts")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for both (default: the app's, every core but one)")
    args = parser.parse_args()
    from babytui.tui.core_bridge import training_threads

    threads = args.threads or training_threads()
    torch.set_num_threads(threads)  # the core loop, in this thread
    if args.threads:
        import babytui.tui.core_bridge as bridge

        bridge.training_threads = lambda: threads  # the app's worker thread
    os.environ["BABYTUI_HOME"] = tempfile.mkdtemp(prefix="babytui-bench-")  # the app saves its runs here
    data, source = image_data()
    values = {"batch_size": "4", "max_steps": str(args.steps), "device": "auto", "epochs": "1"}
    settings = LESSON.settings(values)
    print(f"lesson 14, batch 4, {args.steps} steps, {source}, torch threads {threads} in both")
    core_rate(LESSON.settings({**values, "max_steps": "200"}), data)  # warm up
    cores, apps = [], []
    for _ in range(args.rounds):
        # Alternate, and keep the best of each: other work on the machine only ever slows a run.
        cores.append(core_rate(settings, data))
        print(f"core loop: {cores[-1][0]:8.1f} images/s   {cores[-1][1]:.3f} CPU s per 1,000 images")
        apps.append(asyncio.run(app_rate(values, data)))
        print(f"app:       {apps[-1][0]:8.1f} images/s   {apps[-1][1]:.3f} CPU s per 1,000 images")
    core, app = max(r for r, _ in cores), max(r for r, _ in apps)
    core_cpu, app_cpu = min(c for _, c in cores), min(c for _, c in apps)
    print(f"best: core {core:.1f}, app {app:.1f} images/s; CPU per 1,000 images: core {core_cpu:.3f} s, app {app_cpu:.3f} s")
    print(f"CPU ratio core/app: {core_cpu / app_cpu:.3f} (what the app costs, whatever else runs on the machine)")
    ratio = app / core
    median = statistics.median(a for a, _ in apps) / statistics.median(c for c, _ in cores)
    print(f"median ratio app/core: {median:.3f}")
    print(f"ratio app/core: {ratio:.3f} ({'ok' if ratio >= 0.9 else 'BELOW 0.9'})")
    return 0 if ratio >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
