"""Lesson 6: epochs, the same update repeated with a smaller step."""

from __future__ import annotations

from ..settings import Settings
from .small import SmallLesson

TEXT = (
    "Training is the same update repeated. Each pass here is an epoch: clear the old "
    "gradients (they add up otherwise), predict, measure the loss, backward(), step().\n\n"
    "With a learning rate 1000 times smaller than lesson 5 the output no longer overshoots; "
    "it creeps toward the target, a little per epoch. Three epochs barely move it: raise "
    "epochs to 100 or 1000, or raise lr, and find where it starts to overshoot again."
)

LESSON = SmallLesson(
    6,
    "Epochs",
    TEXT,
    ("x", "target", "lr", "epochs", "seed", "max_steps"),
    Settings().replace(x=(1.0, 2.0, 3.0, 4.0), target=0.0, lr=1e-4, epochs=3),
)
