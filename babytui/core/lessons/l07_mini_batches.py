"""Lesson 7: mini-batches of four samples, still one linear layer."""

from __future__ import annotations

from ..settings import Settings
from .small import SmallLesson

TEXT = (
    "Now there are four samples of four features, each with its own target, and each "
    "update looks at a batch of them (2 by default): an epoch is two updates. The model is "
    "still one linear layer.\n\n"
    "Keep the shapes matched: the layer outputs shape (batch, 1), so the targets are shaped "
    "(batch, 1) too. The tutorial compares (2, 1) with (2,), and MSELoss quietly broadcasts "
    "that to a (2, 2) grid of every prediction against every target: a wrong loss with no "
    "error.\n\n"
    "At lr 1e-4 nothing seems to happen. Look at the data: the target is always 1 minus "
    "the fourth feature, so a straight line fits it exactly. Try lr 0.1 and 2000 epochs."
)

LESSON = SmallLesson(
    7,
    "Mini-batches",
    TEXT,
    ("targets", "lr", "epochs", "batch_size", "seed", "max_steps"),
    Settings().replace(lr=1e-4, epochs=3, batch_size=2),
    single=False,
)
