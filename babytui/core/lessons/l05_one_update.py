"""Lesson 5: one update of plain SGD, too big a step, shown before and after."""

from __future__ import annotations

from string import Template

from ..settings import Settings
from .small import SmallLesson, floats

TEXT = (
    "An optimizer turns gradients into changes. Plain SGD does weight -= lr * gradient for "
    "every parameter it was given. One call to optimizer.step() is one update.\n\n"
    "With lr 0.1 the step is far too big for this problem: the output jumps past the target "
    "and lands further away on the other side. Compare the weights and the output before "
    "and after, then try lr 0.01 or 0.001."
)

SCRIPT = Template(
    """
import torch
from torch import nn

torch.manual_seed($SEED)
x = torch.tensor([$X])  # (1, F)
target = torch.tensor([[$TARGET]])  # (1, 1)
model = nn.Linear(x.shape[1], 1)
loss_fn = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=$LR)

print("before: weight", model.weight.data, "bias", model.bias.data)
print("before: output", model(x).item())

optimizer.zero_grad()
loss = loss_fn(model(x), target)
loss.backward()
optimizer.step()  # weight -= lr * weight.grad, the same for the bias
print(f"step 1 loss {loss.item():.6f}")

print("after: weight", model.weight.data, "bias", model.bias.data)
print("after: output", model(x).item())
with torch.no_grad():
    final = loss_fn(model(x), target).item()
print(f"final loss: {final:.8g}")
"""
)


class OneUpdateLesson(SmallLesson):
    """The small loop cut to a single update, with the weights before and after it."""

    def epochs(self, s: Settings) -> int:
        """One pass over the one sample: one update."""
        return 1

    def script(self, settings: Settings) -> str:
        """One zero_grad, backward, step, printed before and after."""
        s = settings
        return SCRIPT.substitute(X=floats(s.x), SEED=s.seed, TARGET=repr(float(s.target)), LR=repr(s.lr))


LESSON = OneUpdateLesson(
    5,
    "One update",
    TEXT,
    ("x", "target", "lr", "seed"),
    Settings().replace(x=(1.0, 2.0, 3.0, 4.0), target=0.0, lr=0.1),
    show_weights=True,
)
