"""The app's lazy way into the heavy parts of the core (torch), so the first frame never waits."""

from __future__ import annotations

import os
from typing import Any


def load_core() -> tuple[str, ...]:
    """Import the training loop (and torch); return the devices present. Slow: call in a thread."""
    import babytui.core.train  # noqa: F401  (imports torch)
    from babytui.core.device import available_devices

    return tuple(available_devices())


def render_code(lesson: Any, settings: Any) -> str | None:
    """The lesson's script for these settings, or None where the exporter is missing."""
    try:
        from babytui.core.export import render_script
    except ImportError:
        return None
    try:
        return render_script(lesson, settings)
    except Exception as exc:  # a bug in the exporter must not take the app down
        return f"# the code for these settings could not be rendered: {type(exc).__name__}: {exc}"


def training_threads() -> int:
    """Threads torch may use for training in the app: every core but one, kept for the interface."""
    return max(1, (os.cpu_count() or 1) - 1)


def use_training_threads() -> None:
    """Set torch's intra-op threads for the calling (worker) thread; OpenMP keeps them per thread."""
    import torch

    torch.set_num_threads(training_threads())


def previous_run_losses(lesson: int) -> tuple[str, list[float], list[float]] | None:
    """(id, steps, losses) of the newest saved run of `lesson` that has losses and is not running; slow."""
    from babytui.core.errors import BabytuiError
    from babytui.core.runs import RunStore

    def created(run) -> tuple[float, str]:
        try:
            return float(run.info().get("created", 0.0)), run.id
        except (BabytuiError, TypeError, ValueError):
            return 0.0, run.id

    try:
        runs = sorted((run for run in RunStore().runs() if f"-l{lesson:02d}-" in run.id), key=created)
    except BabytuiError:
        return None
    for run in reversed(runs):  # newest first (two runs may share the second an id names)
        if run.is_running():
            continue
        losses = run.metrics().losses
        if losses:
            return run.id, [float(s) for s, _ in losses], [v for _, v in losses]
    return None
