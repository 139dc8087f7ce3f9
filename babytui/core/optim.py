"""How an image run steps: its optimizer and lr schedule from the settings, and the lr changed mid-run.

Both are plain `torch.optim`, described once as (class name, arguments): the loop builds them
from that, and the exported script writes the same call, so the two train alike. Torch-free
at import: the app draws a schedule (`planned_lrs`) before torch has loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import SettingsError
from .events import LrChanged, Note

if TYPE_CHECKING:
    import torch

    from .settings import Settings

ONECYCLE_DIV = 25.0
"""torch's OneCycleLR starts at max_lr / 25 (its div_factor)..."""
ONECYCLE_FINAL_DIV = 1e4
"""...and ends 10,000 times lower than that (its final_div_factor)."""


@dataclass(frozen=True)
class Code:
    """An expression the exported script has in a variable (`total`), standing in for a number."""

    text: str
    """The expression, as written in the script."""

    def __repr__(self) -> str:
        return self.text


def optimizer_spec(s: Settings) -> tuple[str, dict[str, Any]]:
    """The torch.optim class and its arguments (besides the parameters) for these settings."""
    if s.optimizer in ("adam", "adamw"):
        kwargs: dict[str, Any] = {"lr": s.lr, "betas": tuple(s.betas)}
        if s.weight_decay or s.optimizer == "adamw":  # AdamW's own default is 0.01: always say ours
            kwargs["weight_decay"] = s.weight_decay
        return ("AdamW" if s.optimizer == "adamw" else "Adam"), kwargs
    kwargs = {"lr": s.lr}
    if s.momentum:
        kwargs["momentum"] = s.momentum
    if s.nesterov:
        kwargs["nesterov"] = True
    if s.weight_decay:
        kwargs["weight_decay"] = s.weight_decay
    return "SGD", kwargs


def scheduler_spec(s: Settings, total: Any, steps_per_epoch: Any) -> tuple[str, dict[str, Any]] | None:
    """The torch.optim.lr_scheduler class and its arguments, stepped once per batch; None for constant.

    `total` and `steps_per_epoch` are numbers, or `Code` for the script's variables.
    """
    if s.schedule == "step":
        size = s.step_epochs * steps_per_epoch if isinstance(steps_per_epoch, int) else Code(f"{s.step_epochs} * {steps_per_epoch!r}")
        return "StepLR", {"step_size": size, "gamma": s.gamma}
    if s.schedule == "cosine":
        return "CosineAnnealingLR", {"T_max": total}
    if s.schedule == "onecycle":
        # cycle_momentum=False: torch would also swing the momentum, and here we watch the lr alone
        return "OneCycleLR", {"max_lr": s.lr, "total_steps": total, "pct_start": s.warmup, "cycle_momentum": False}
    return None


def build_optimizer(params: Any, s: Settings) -> torch.optim.Optimizer:
    """The optimizer the settings name, over `params`."""
    import torch

    name, kwargs = optimizer_spec(s)
    return getattr(torch.optim, name)(params, **kwargs)


def build_scheduler(optimizer: torch.optim.Optimizer, s: Settings, total: int, steps_per_epoch: int) -> Any:
    """The lr schedule over `total` batches, or None for a constant lr; SettingsError if it cannot fit."""
    import torch

    spec = scheduler_spec(s, total, steps_per_epoch)
    if spec is None:
        return None
    if s.schedule == "onecycle" and s.warmup * total < 2:
        raise SettingsError("warmup", f"{s.warmup:g} of {total:,} updates is under two: one-cycle needs a longer warm-up or run")
    name, kwargs = spec
    return getattr(torch.optim.lr_scheduler, name)(optimizer, **kwargs)


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    """The lr the next batch will use."""
    return float(optimizer.param_groups[0]["lr"])


class LrSteering:
    """The run's lr setting (a schedule's base or peak) and the changes made to it while it runs."""

    def __init__(self, optimizer: torch.optim.Optimizer, scheduler: Any, base: float) -> None:
        self.optimizer = optimizer
        """The optimizer whose lr is set."""
        self.scheduler = scheduler
        """The schedule, None for a constant lr."""
        self.base = base
        """The lr setting in force: the constant lr, or the schedule's starting or highest lr."""

    def change(self, new: float, step: int):
        """Make `new` the lr setting from the next batch on, yielding LrChanged and a Note.

        A schedule keeps its shape, scaled: every lr it holds is multiplied by new / old.
        """
        previous, before = self.base, current_lr(self.optimizer)
        if self.scheduler is None:
            for group in self.optimizer.param_groups:
                group["lr"] = new
        else:
            ratio = new / previous
            for group in self.optimizer.param_groups:
                for key in ("lr", "initial_lr", "max_lr", "min_lr"):  # the last three: OneCycleLR's anchors
                    if key in group:
                        group[key] *= ratio
            self.scheduler.base_lrs = [lr * ratio for lr in self.scheduler.base_lrs]
        self.base = new
        now = current_lr(self.optimizer)
        yield LrChanged(step, new, previous, now)
        shown = f"lr {previous:g} -> {new:g} from update {step + 1:,}"
        if self.scheduler is not None:
            shown += f" (the schedule scaled with it: this batch's lr {before:.4g} -> {now:.4g})"
        yield Note("lr changed", shown, step)

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps: the lr setting and the schedule's state."""
        return {"lr": self.base, "scheduler": None if self.scheduler is None else self.scheduler.state_dict()}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Put back what `state_dict` kept (after the optimizer's own state)."""
        self.base = float(saved.get("lr", self.base))
        if self.scheduler is not None and saved.get("scheduler") is not None:
            self.scheduler.load_state_dict(saved["scheduler"])


def schedule_factor(s: Settings, fraction: float) -> float:
    """The schedule's lr as a multiple of the lr setting, `fraction` (0-1) of the way through the run.

    The closed forms of the torch schedulers `scheduler_spec` names, for drawing the plan.
    """
    if s.schedule == "step":
        return s.gamma ** math.floor(fraction * s.epochs / s.step_epochs + 1e-9)
    if s.schedule == "cosine":
        return (1 + math.cos(math.pi * fraction)) / 2
    if s.schedule == "onecycle":
        low = 1 / ONECYCLE_DIV
        if fraction <= s.warmup:
            return _anneal(low, 1.0, fraction / s.warmup)
        return _anneal(1.0, low / ONECYCLE_FINAL_DIV, (fraction - s.warmup) / (1 - s.warmup))
    return 1.0


def _anneal(start: float, end: float, pct: float) -> float:
    """A half cosine from `start` to `end` (OneCycleLR's anneal_strategy='cos')."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def planned_lrs(s: Settings, points: int = 200) -> tuple[list[float], list[float]]:
    """(epochs, lrs): the lr the settings' schedule will use across the run, for drawing before it."""
    xs = [s.epochs * i / (points - 1) for i in range(points)]
    return xs, [s.lr * schedule_factor(s, x / s.epochs) for x in xs]
