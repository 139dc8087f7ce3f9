"""What a notebook would show: tensors printed as text, and detached copies of a model's weights."""

from __future__ import annotations

import torch
from torch import nn

from .events import WeightsSnapshot


def fmt(t: torch.Tensor | float | None) -> str:
    """A tensor or number the way a notebook would print it, in 4 decimals."""
    if t is None:
        return "None"
    if isinstance(t, (int, float)):
        return f"{t:.4f}"
    with torch.no_grad():
        # indent=0: the rows of a 2-D or 3-D tensor line up under the first, one space in, as print() shows them
        return torch._tensor_str._tensor_str(t.detach().cpu().float(), indent=0) + (
            f"   shape {tuple(t.shape)}" if t.ndim else ""
        )


def snapshot(model: nn.Module, step: int, tag: str) -> WeightsSnapshot:
    """Detached CPU copies of the model's parameters and gradients."""
    params: dict[str, torch.Tensor] = {}
    grads: dict[str, torch.Tensor | None] = {}
    for name, p in model.named_parameters():
        params[name] = p.detach().to("cpu", copy=True)
        grads[name] = None if p.grad is None else p.grad.detach().to("cpu", copy=True)
    return WeightsSnapshot(step, tag, params, grads)


def parameter_count(model: nn.Module | None) -> int:
    """Trainable numbers in a model (0 for none)."""
    return 0 if model is None else sum(p.numel() for p in model.parameters())
