"""What a mid-epoch checkpoint costs, for each image lesson, and so how often one may be taken.

    python benchmarks/checkpoint_cost.py [--steps 400] [--repeats 15]

For each image lesson at its default settings (on random 32x32 images, so no dataset is
needed) it measures, in one process:

- the time of one training step (the mean of `--steps` updates of babytui's own loop, no checkpoints);
- the time of one checkpoint as the loop pays for it: the state captured and copied, then written
  by the run's Recorder (torch.save, a temporary file, fsync, rename; the median of `--repeats`);
- what share of the training time a checkpoint every 1, 2, 5, 10, 30 and 60 s would cost
  (checkpoint time over the time between two), and the updates a SIGKILL loses at most.

The figures chose CHECKPOINT_INTERVAL in core/train.py: the shortest interval at which the
costliest lesson spends under 1% of its time saving. The loop also stretches the interval
where saving is slow (a checkpoint never takes more than CHECKPOINT_SHARE of the time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

INTERVALS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds between two checkpoints, as candidates."""


def measure(number: int, steps: int, repeats: int) -> dict:
    """Step time and checkpoint time of one lesson, at its defaults, on the CPU."""
    from babytui.core import checkpoint
    from babytui.core.control import Control
    from babytui.core.events import StepLogged
    from babytui.core.lessons import get_lesson
    from babytui.core.runs import Recorder, RunStore
    from babytui.core.train import train

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from image_data import random_image_data

    lesson = get_lesson(number)
    settings = lesson.settings({"device": "cpu", "max_steps": str(steps)})
    data = random_image_data(train=max(4000, steps * settings.batch_size), test=500)
    done, step_s = 0, 0.0
    for event in train(lesson, settings, data=data, control=Control()):
        if isinstance(event, StepLogged):
            done = event.step
            step_s = event.elapsed / max(done, 1)
    # A checkpoint as the loop takes one: capture (state dicts copied) and the Recorder's write.
    torch.manual_seed(settings.seed)
    model = lesson.build_model(settings, len(data.classes))
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr)
    shuffle = torch.Generator().manual_seed(0)
    state = checkpoint.RunState(epoch=1, epoch_losses=[torch.tensor(1.0)] * 5, epoch_order=shuffle.get_state())
    recorder = Recorder.new(lesson, settings, RunStore())
    times, size = [], 0
    try:
        for _ in range(repeats):
            began = time.perf_counter()
            event = checkpoint.capture("interval", lesson, state, 1000, model, optimizer, shuffle, torch.device("cpu"), 1.0)
            assert recorder(event) is None
            times.append(time.perf_counter() - began)
        size = (recorder.run.path / "checkpoint.pt").stat().st_size
    finally:
        recorder.close()
    return {"lesson": number, "step_s": step_s, "checkpoint_s": statistics.median(times), "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.environ["BABYTUI_HOME"] = tempfile.mkdtemp(prefix="babytui-bench-")  # a real disk, never the user's runs
    wall, cpu = time.perf_counter(), time.process_time()
    from babytui.core.lessons import image_lessons

    rows = [measure(lesson.number, args.steps, args.repeats) for lesson in image_lessons()]
    print(f"{'lesson':>6} {'step':>9} {'checkpoint':>11} {'size':>8}   " + "  ".join(f"{f'every {i:g}s':>9}" for i in INTERVALS))
    for r in rows:
        shares = "  ".join(f"{100 * r['checkpoint_s'] / i:8.3f}%" for i in INTERVALS)
        print(
            f"{r['lesson']:>6} {1000 * r['step_s']:7.3f}ms {1000 * r['checkpoint_s']:9.2f}ms "
            f"{r['bytes'] / 1e6:6.2f}MB   {shares}"
        )
    worst = max(rows, key=lambda r: r["checkpoint_s"])
    chosen = next((i for i in INTERVALS if worst["checkpoint_s"] / i < 0.01), INTERVALS[-1])
    print(
        f"\ncostliest checkpoint: lesson {worst['lesson']}, {1000 * worst['checkpoint_s']:.1f} ms; "
        f"shortest interval under 1% of training time: {chosen:g} s "
        f"(a SIGKILL then loses at most {chosen / worst['step_s']:,.0f} updates of lesson {worst['lesson']}, "
        f"against {60 / worst['step_s']:,.0f} at 60 s)"
    )
    from babytui.core import train as train_module

    print(f"CHECKPOINT_INTERVAL in core/train.py: {train_module.CHECKPOINT_INTERVAL:g} s")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"machine load: {cpu:.1f} s of CPU in {wall:.1f} s of wall time ({100 * cpu / wall:.0f}% of one core)")


if __name__ == "__main__":
    main()
