"""Lesson 1: tensors, and the smallest model there is, y = x."""

from __future__ import annotations

from string import Template
from typing import Any, Iterator

from ..settings import Settings
from .base import Lesson
from .small import floats

TEXT = (
    "A tensor is PyTorch's array: numbers laid out along one or more axes, able to live on "
    "the CPU or a GPU. A list of four numbers is a 1-D tensor of shape (4,); stack two such "
    "rows and you have a 2-D tensor of shape (2, 4); stack two of those and it is 3-D, "
    "(2, 2, 4).\n\n"
    "Indexing picks numbers out: x2[0] is the first row, x2[:, 2] the third column of every "
    "row, x3[0, :, 0] the first entry of each row in the first block. A colon keeps an axis "
    "whole, a number removes it.\n\n"
    "The smallest possible 'model' is y = x: it hands back its input untouched. Nothing is "
    "learned yet, but every later lesson has this shape: a tensor goes in, a tensor comes "
    "out. Change x and run again."
)

SCRIPT = Template(
    """
import torch

# A 1-D tensor: a row of numbers.
x1 = torch.tensor($X)
print("x1 =", x1)
print("x1[0] =", x1[0])

# Two rows make a 2-D tensor of shape (2, n); two of those a 3-D tensor (2, 2, n).
n = len(x1)
x2 = torch.stack([x1, x1 + n])
x3 = torch.stack([x2, x2 + 2 * n])
print("x2 =", x2, "shape", tuple(x2.shape))
print("x2[0][0] =", x2[0][0])  # first entry of the first row
print("x2[0] =", x2[0])  # the whole first row
print("x2[:, 2] =", x2[:, min(2, n - 1)])  # third entry of every row
print("x3 =", x3, "shape", tuple(x3.shape))
print("x3[0][0][0] =", x3[0][0][0])
print("x3[:, 0, 0] =", x3[:, 0, 0])  # first entry of the first row of each block
print("x3[0, :, 0] =", x3[0, :, 0])  # first entry of each row of the first block
print("x3[0][0] =", x3[0][0])

# The smallest model there is: y = x.
y = x1
print("y =", y)
"""
)


class TensorsLesson(Lesson):
    """Build tensors of one, two and three dimensions and index them; no model, no training."""

    def run(self, settings: Settings, control: Any, **_: Any) -> Iterator[Any]:
        """The tensors and their slices, each as a Note."""
        import torch

        from ..events import Finished, Note, RunStarted
        from ..notebook import fmt

        x1 = torch.tensor(settings.x)
        n = len(settings.x)
        x2 = torch.stack([x1, x1 + n])  # (2, n)
        x3 = torch.stack([x2, x2 + 2 * n])  # (2, 2, n)
        yield RunStarted(self.number, "cpu", 0, 0, 0, 0)
        col = min(2, n - 1)
        for heading, value in (
            ("x1 = torch.tensor(x)", x1),
            ("x1[0]", x1[0]),
            ("x2 = torch.stack([x1, x1 + n])", x2),
            ("x2[0][0]", x2[0][0]),
            ("x2[0]", x2[0]),
            (f"x2[:, {col}]", x2[:, col]),
            ("x3 = torch.stack([x2, x2 + 2 * n])", x3),
            ("x3[0][0][0]", x3[0][0][0]),
            ("x3[:, 0, 0]", x3[:, 0, 0]),
            ("x3[0, :, 0]", x3[0, :, 0]),
            ("x3[0][0]", x3[0][0]),
            ("y = x1  (the model y = x)", x1),
        ):
            yield Note(heading, fmt(value))
        values = tuple(x1.tolist())
        yield Finished(self.number, "cpu", 0, 0, 0.0, 0.0, None, outputs=values, targets=values)

    def script(self, settings: Settings) -> str:
        """Print the same tensors and slices."""
        return SCRIPT.substitute(X=floats(settings.x))


LESSON = TensorsLesson(1, "Tensors, and y = x", TEXT, ("x",), Settings().replace(x=(1.0, 2.0, 3.0, 4.0)))
