"""Checkpoints: what an image run saves to go on later, how it is checked, and how it is put back.

The state is plain (tensors, numbers, strings, lists, dicts) so that `torch.load(weights_only=True)`
reads it back without running code. Resumed on the CPU with the same seed, a run ends exactly
as if it had never been interrupted: the weights, the optimizer, the shuffle order of the epoch
in progress and every random state come back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RunError
from .events import Checkpoint

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .lessons import Lesson

FORMAT = 1
"""Version of the state a checkpoint holds; a newer one is refused with a message."""


@dataclass
class RunState:
    """How far an image run has got: what a checkpoint keeps besides the weights and the optimizer."""

    step: int = 0
    """Updates done."""
    epoch: int = 0
    """The epoch in progress, from 1."""
    epochs_done: int = 0
    """Whole epochs done."""
    train_loss: float | None = None
    """Mean training loss of the last epoch (or part) scored."""
    test_loss: float | None = None
    """The last test loss."""
    test_accuracy: float | None = None
    """The last test accuracy in percent."""
    epoch_losses: list[Any] = field(default_factory=list)
    """This epoch's losses so far, as (device) tensors."""
    epoch_order: Any = None
    """The shuffle generator's state when this epoch's order was drawn: a mid-epoch resume replays it."""


def _cpu_copy(value: Any) -> Any:
    """A detached CPU copy of a state dict: tensors copied, containers rebuilt, the rest kept."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _cpu_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cpu_copy(v) for v in value]
    return value


def capture(
    reason: str,
    lesson: Lesson,
    state: RunState,
    steps_per_epoch: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    device: torch.device,
    seconds: float,
    extra: dict[str, Any] | None = None,
) -> Checkpoint:
    """The state after the updates done so far (a few state dicts copied: only now and then).

    `extra` adds what the loop's other parts keep (the lr schedule, the best epoch), each under its key.
    """
    import torch

    whole = len(state.epoch_losses) == steps_per_epoch
    # Mid-epoch, the run goes on from this epoch's shuffle, skipping the batches done.
    losses = [] if whole else state.epoch_losses
    saved: dict[str, Any] = {
        "format": FORMAT,
        "lesson": lesson.number,
        "step": state.step,
        "next_epoch": state.epoch + 1 if whole else state.epoch,
        "skip": 0 if whole else len(state.epoch_losses),
        "epoch_losses": torch.stack(losses).float().cpu() if losses else torch.zeros(0),
        "shuffle": shuffle.get_state() if whole else state.epoch_order.clone(),
        "cpu_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "model": _cpu_copy(model.state_dict()),
        "optimizer": _cpu_copy(optimizer.state_dict()),
        "seconds": seconds,
        "epochs_done": state.epochs_done,
        "train_loss": state.train_loss,
        "test_loss": state.test_loss,
        "test_accuracy": state.test_accuracy,
    }
    for key, value in (extra or {}).items():
        saved[key] = _cpu_copy(value)
    return Checkpoint(state.epoch, state.step, reason, saved)


def load(path: Path, run_id: str) -> dict[str, Any]:
    """A checkpoint file read with weights_only (no code runs); RunError when missing or damaged."""
    import torch

    if not path.is_file():
        raise RunError(f"run {run_id} has no checkpoint: it stopped before its first one was saved")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated zip, a pickle refused by weights_only, an unreadable file
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise RunError(f"run {run_id}: {path.name} is damaged and cannot be loaded ({reason})") from None
    if not isinstance(state, dict) or "model" not in state or "step" not in state:
        raise RunError(f"run {run_id}: {path.name} is not a babytui checkpoint")
    return state


def check_lesson(state: dict[str, Any], lesson: Lesson, run_id: str) -> None:
    """RunError when a checkpoint belongs to another lesson than its run."""
    if state.get("lesson") != lesson.number:
        raise RunError(f"run {run_id}: its checkpoint is from lesson {state.get('lesson')}, but the run is lesson {lesson.number}")


def restore(
    saved: dict[str, Any],
    lesson: Lesson,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    device: torch.device,
    steps_per_epoch: int,
) -> tuple[RunState, float]:
    """Put a checkpoint's weights, optimizer and random states back; the run's state and training seconds.

    RunError when it does not fit this lesson and these settings.
    """
    import torch

    if saved.get("format", 0) > FORMAT:
        raise RunError("the checkpoint was saved by a newer babytui: upgrade babytui to resume it")
    if saved.get("lesson") != lesson.number:
        raise RunError(f"the checkpoint is from lesson {saved.get('lesson')}, not lesson {lesson.number}")
    try:
        skip = int(saved["skip"])
        if not 0 <= skip < steps_per_epoch:
            raise ValueError(f"it stopped at batch {saved['skip']} of an epoch of {steps_per_epoch}")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        shuffle.set_state(saved["shuffle"])
        torch.set_rng_state(saved["cpu_rng"])
        if device.type == "cuda" and saved.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(saved["cuda_rng"], device)
        train_loss = saved.get("train_loss")
        state = RunState(
            step=int(saved["step"]),
            epoch=int(saved["next_epoch"]),
            epochs_done=int(saved.get("epochs_done", 0)),
            train_loss=None if train_loss is None or math.isnan(float(train_loss)) else float(train_loss),
            test_loss=saved.get("test_loss"),
            test_accuracy=saved.get("test_accuracy"),
            epoch_losses=list(saved["epoch_losses"].to(device).unbind()) if skip else [],
        )
        seconds = float(saved.get("seconds", 0.0))
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunError(f"the checkpoint does not fit lesson {lesson.number} with these settings: {reason}") from None
    return state, seconds
