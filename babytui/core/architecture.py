"""The architecture card of a lesson's network: per stage, its output shape for one input, its
parameters with the arithmetic spelled out, its multiply-adds; the totals at the bottom.

Everything is measured on the real model with forward hooks (see `tracing`), built on torch's
"meta" device: no weights are allocated or drawn at random (the random stream of a run going on
in another thread is left alone), and the forward pass computes only shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .tracing import Stage, Tracer

if TYPE_CHECKING:
    from .lessons import Lesson
    from .settings import Settings


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as people write it: 10x28x28."""
    return "x".join(str(d) for d in shape) or "1"


@dataclass(frozen=True)
class CardRow:
    """One stage of the network on the card."""

    name: str
    """The stage, as the model names it: 'conv1', 'relu(conv1)', 'pool #2'."""
    kind: str
    """What kind of stage: 'conv', 'linear', 'pool', 'activation', 'reshape', ..."""
    does: str
    """What it computes, as the PyTorch code builds it: 'Conv2d(3, 10, 5)', 'relu'."""
    output: tuple[int, ...]
    """Its output's shape for one input (no batch)."""
    parameters: int
    """Trainable numbers it holds (0 for a module used a second time: counted once)."""
    arithmetic: str
    """How they add up: '10x3x5x5 + 10 = 760'; '' without parameters."""
    multiply_adds: int
    """Multiply-adds for one input (convolutions and linear layers; 0 for the rest)."""

    def as_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready values."""
        return {
            "name": self.name, "kind": self.kind, "does": self.does, "output": list(self.output),
            "parameters": self.parameters, "arithmetic": self.arithmetic, "multiply_adds": self.multiply_adds,
        }


@dataclass(frozen=True)
class Card:
    """A network's architecture card."""

    lesson: int
    """The lesson whose network it is."""
    title: str
    """The lesson's title."""
    input: tuple[int, ...]
    """The shape of one input (no batch)."""
    rows: tuple[CardRow, ...]
    """The stages in the order they run."""
    parameters: int
    """Trainable numbers in the whole model."""
    multiply_adds: int
    """Multiply-adds for one input, all stages together."""

    def as_dict(self) -> dict[str, Any]:
        """The card as plain JSON-ready values."""
        return {
            "lesson": self.lesson, "title": self.title, "input": list(self.input),
            "layers": [row.as_dict() for row in self.rows],
            "parameters": self.parameters, "multiply_adds": self.multiply_adds,
        }


def _size(value: Any) -> str:
    """A kernel, stride or padding as written in PyTorch: 5 when square, (3, 5) when not."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return str(values[0]) if len(set(values)) == 1 else "(" + ", ".join(str(v) for v in values) + ")"


def describe(stage: Stage) -> str:
    """What a stage computes, written the way the PyTorch code builds it: 'Conv2d(3, 10, 5)'."""
    from torch.nn.modules import batchnorm, conv, dropout, pooling

    m = stage.module
    again = " again" if stage.call > 1 else ""
    if m is None:
        return stage.op + again
    name = type(m).__name__
    if isinstance(m, conv._ConvNd):
        extra = [f"stride={_size(m.stride)}"] if any(s != 1 for s in m.stride) else []
        if isinstance(m.padding, str) or any(p != 0 for p in m.padding):
            extra.append(f"padding={m.padding!r}" if isinstance(m.padding, str) else f"padding={_size(m.padding)}")
        if m.groups != 1:
            extra.append(f"groups={m.groups}")
        return f"{name}({', '.join([str(m.in_channels), str(m.out_channels), _size(m.kernel_size), *extra])})" + again
    if isinstance(m, nn.Linear):
        return f"{name}({m.in_features}, {m.out_features})" + again
    if isinstance(m, (pooling._MaxPoolNd, pooling._AvgPoolNd)):
        stride = m.stride if m.stride is not None else m.kernel_size
        return f"{name}({_size(m.kernel_size)}, {_size(stride)})" + again
    if isinstance(m, batchnorm._NormBase):
        return f"{name}({m.num_features})" + again
    if isinstance(m, dropout._DropoutNd):
        return f"{name}(p={m.p:g})" + again
    return f"{name}({m.extra_repr()})" + again


def arithmetic(parameters: list[torch.Tensor]) -> str:
    """'10x3x5x5 + 10 = 760': each tensor's shape, and the sum."""
    if not parameters:
        return ""
    total = sum(p.numel() for p in parameters)
    terms = [shape_text(tuple(p.shape)) for p in parameters]
    if len(terms) == 1 and terms[0] == str(total):
        return f"{total:,}"
    return " + ".join(terms) + f" = {total:,}"


def multiply_adds(stage: Stage) -> int:
    """Multiply-adds of one stage for one input: every output number of a convolution or a linear
    layer is a sum of products over its inputs (the bias add is not counted)."""
    from torch.nn.modules import conv

    m = stage.module
    per_input = math.prod(stage.output_shape[1:]) if len(stage.output_shape) > 1 else 1
    if isinstance(m, conv._ConvNd) and not getattr(m, "transposed", False):
        return per_input * (m.in_channels // m.groups) * math.prod(m.kernel_size)
    if isinstance(m, nn.Linear):
        return per_input * m.in_features
    return 0


def card_of(model: nn.Module, input_shape: tuple[int, ...], lesson: int = 0, title: str = "") -> Card:
    """The card of any model for one input of `input_shape` (traced on whatever device it is on)."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    with Tracer(model) as tracer:
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), device=device))
    counted: set[int] = set()
    rows = []
    for stage in tracer.stages:
        if stage.kind == "identity":
            continue
        own = []
        if stage.module is not None:
            for p in stage.module.parameters():
                if id(p) not in counted:  # a module called twice, or weights shared: counted once
                    counted.add(id(p))
                    own.append(p)
        rows.append(
            CardRow(
                stage.name, stage.kind, describe(stage), tuple(stage.output_shape[1:]),
                sum(p.numel() for p in own), arithmetic(own), multiply_adds(stage),
            )
        )
    rest = [p for p in model.parameters() if id(p) not in counted]
    if rest:  # parameters the forward used without a leaf module of their own (or never used)
        rows.append(CardRow("(other)", "other", "parameters outside the layers above", (), sum(p.numel() for p in rest), arithmetic(rest), 0))
    return Card(
        lesson, title, tuple(input_shape), tuple(rows),
        sum(p.numel() for p in model.parameters()), sum(row.multiply_adds for row in rows),
    )


def lesson_card(lesson: Lesson, settings: Settings, num_classes: int = 10) -> Card | None:
    """The card of a lesson's network for these settings, None for a lesson without a model."""
    shape = lesson.input_shape(settings)
    if shape is None:
        return None
    with torch.device("meta"):  # shapes only: nothing allocated, no random numbers drawn
        model = lesson.build_model(settings, num_classes)
    if model is None:
        return None
    return card_of(model, shape, lesson.number, lesson.title)
