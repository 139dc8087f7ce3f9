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
    """A checkpoint file read with weights_only (no code runs) and checked whole; RunError when missing or damaged."""
    import io

    import torch

    from .runs.files import MAX_CHECKPOINT_BYTES, UnsafeFile, _reason, read_run_file

    try:
        raw = read_run_file(path, MAX_CHECKPOINT_BYTES)
    except UnsafeFile as exc:
        raise RunError(f"run {run_id}: {exc}; it cannot be a checkpoint") from None
    except OSError as exc:
        raise RunError(f"run {run_id}: cannot read {path.name}: {_reason(exc)}") from None
    if raw is None:
        raise RunError(f"run {run_id} has no checkpoint: it stopped before its first one was saved")
    try:
        state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated zip, a pickle refused by weights_only, not a checkpoint at all
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise RunError(f"run {run_id}: {path.name} is damaged and cannot be loaded ({reason})") from None
    if not isinstance(state, dict) or "model" not in state or "step" not in state:
        raise RunError(f"run {run_id}: {path.name} is not a babytui checkpoint")
    if type(state.get("format")) is int and state["format"] > FORMAT:
        raise RunError(f"run {run_id}: its checkpoint was saved by a newer babytui: upgrade babytui to resume it")
    problem = damage(state)
    if problem:
        raise RunError(f"run {run_id}: {path.name} is damaged: {problem}")
    return state


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value < 2**53


def _maybe_number(value: Any) -> bool:
    return value is None or type(value) in (int, float)


def damage(state: dict[str, Any]) -> str | None:
    """What is wrong with a loaded checkpoint's contents, in words, or None when every part has its type."""
    import torch

    def tensor(value: Any, dtype: Any, dim: int) -> bool:
        return isinstance(value, torch.Tensor) and value.dtype == dtype and value.dim() == dim

    checks = [
        ("format", type(state.get("format")) is int and 1 <= state["format"]),
        ("lesson", type(state.get("lesson")) is int),
        ("step", _count(state.get("step"))),
        ("next_epoch", _count(state.get("next_epoch")) and state["next_epoch"] >= 1),
        ("skip", _count(state.get("skip"))),
        ("epochs_done", _count(state.get("epochs_done", 0))),
        ("seconds", type(state.get("seconds", 0.0)) in (int, float) and math.isfinite(state.get("seconds", 0.0)) and state.get("seconds", 0.0) >= 0),
        ("epoch_losses", isinstance(state.get("epoch_losses"), torch.Tensor) and state["epoch_losses"].dim() == 1
         and state["epoch_losses"].is_floating_point() and len(state["epoch_losses"]) == (state["skip"] if _count(state.get("skip")) else -1)),
        ("shuffle", tensor(state.get("shuffle"), torch.uint8, 1)),
        ("cpu_rng", tensor(state.get("cpu_rng"), torch.uint8, 1)),
        ("cuda_rng", state.get("cuda_rng") is None or tensor(state.get("cuda_rng"), torch.uint8, 1)),
        ("model", isinstance(state.get("model"), dict) and bool(state["model"])
         and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state["model"].items())),
        ("optimizer", isinstance(state.get("optimizer"), dict) and isinstance(state["optimizer"].get("state"), dict)
         and isinstance(state["optimizer"].get("param_groups"), list)
         and all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in state["optimizer"]["param_groups"])),
        *((name, _maybe_number(state.get(name))) for name in ("train_loss", "test_loss", "test_accuracy")),
    ]
    for name, ok in checks:
        if not ok:
            value = state.get(name)
            shown = f"a tensor of {tuple(value.shape)} {value.dtype}" if isinstance(value, torch.Tensor) else repr(value)[:40]
            return f"its {name} is {shown}"
    return None


def _shape(tensor: Any) -> str:
    return "x".join(str(n) for n in tensor.shape) or "a number"


def check_fit(saved: dict[str, Any], model: nn.Module, steps_per_epoch: int) -> None:
    """ValueError saying how a checkpoint differs from this network and this data; nothing when it fits."""
    import torch

    own = model.state_dict()
    theirs = saved["model"]
    missing, extra = sorted(set(own) - set(theirs)), sorted(set(theirs) - set(own))
    if missing or extra:
        parts = ([f"it lacks {', '.join(missing[:3])}"] if missing else []) + ([f"it has {', '.join(extra[:3])} too"] if extra else [])
        raise ValueError(f"its weights are of another network ({'; '.join(parts)})")
    for name, value in own.items():
        if theirs[name].shape != value.shape:
            raise ValueError(f"its {name} is {_shape(theirs[name])}, this network's is {_shape(value)}")
    params = [p for p in model.parameters()]
    groups = saved["optimizer"]["param_groups"]
    if sum(len(g["params"]) for g in groups) != len(params):
        raise ValueError("its optimizer is for another network")
    for index, values in saved["optimizer"]["state"].items():
        if not (type(index) is int and 0 <= index < len(params)) or not isinstance(values, dict):
            raise ValueError("its optimizer's state is damaged")
        for key, value in values.items():
            if isinstance(value, torch.Tensor) and value.dim() and value.shape != params[index].shape:
                raise ValueError(f"its optimizer's {key} is {_shape(value)}, for a weight of {_shape(params[index])}")
    skip, step, epoch = saved["skip"], saved["step"], saved["next_epoch"]
    if not 0 <= skip < steps_per_epoch or step != (epoch - 1) * steps_per_epoch + skip:
        raise ValueError(
            f"it was saved at step {step:,}, batch {skip:,} of epoch {epoch}, which an epoch of {steps_per_epoch:,} "
            "updates never gives: was the data changed?"
        )


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

    RunError when it is damaged or does not fit this lesson, these settings and this data.
    """
    import torch

    if type(saved.get("format")) is int and saved["format"] > FORMAT:
        raise RunError("the checkpoint was saved by a newer babytui: upgrade babytui to resume it")
    if saved.get("lesson") != lesson.number:
        raise RunError(f"the checkpoint is from lesson {saved.get('lesson')}, not lesson {lesson.number}")
    problem = damage(saved)
    if problem:
        raise RunError(f"the checkpoint is damaged: {problem}")
    try:
        check_fit(saved, model, steps_per_epoch)
        skip = saved["skip"]
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        shuffle.set_state(saved["shuffle"])
        torch.set_rng_state(saved["cpu_rng"])
        if device.type == "cuda" and saved.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(saved["cuda_rng"], device)

        def number(name: str) -> float | None:
            value = saved.get(name)
            return None if value is None or not math.isfinite(float(value)) else float(value)

        state = RunState(
            step=saved["step"],
            epoch=saved["next_epoch"],
            epochs_done=saved.get("epochs_done", 0),
            train_loss=number("train_loss"),
            test_loss=number("test_loss"),
            test_accuracy=number("test_accuracy"),
            epoch_losses=list(saved["epoch_losses"].float().to(device).unbind()) if skip else [],
        )
        seconds = float(saved.get("seconds", 0.0))
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as exc:
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        # load_state_dict's first line is only "Error(s) in loading state_dict for PoolNet:": the reason follows
        reason = next((line for line in lines if not line.endswith(":")), lines[0] if lines else type(exc).__name__)
        raise RunError(f"the checkpoint does not fit lesson {lesson.number} with these settings: {reason}") from None
    return state, seconds
