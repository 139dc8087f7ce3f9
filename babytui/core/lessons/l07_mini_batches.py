"""Lesson 7: mini-batches of four samples, still one linear layer, and the tutorial's broadcast slip."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..settings import Settings
from .small import SmallLesson

if TYPE_CHECKING:
    import torch

    from ..events import Note

TEXT = (
    "Now there are four samples of four features, each with its own target, and each "
    "update looks at a batch of them (2 by default): an epoch is two updates. The model is "
    "still one linear layer.\n\n"
    "Keep the shapes matched: the layer outputs shape (batch, 1), so the targets are shaped "
    "(batch, 1) too. The tutorial compares (2, 1) with (2,), and MSELoss quietly broadcasts "
    "that to a (2, 2) grid of every prediction against every target: a wrong loss with no "
    "error. Switch 'targets as (B,)' on to make the tutorial's slip: the log shows the grid "
    "it averages.\n\n"
    "At lr 1e-4 nothing seems to happen. Look at the data: the target is always 1 minus "
    "the fourth feature, so a straight line fits it exactly. Try lr 0.1 and 2000 epochs: "
    "the loss falls to almost 0. With the slip switched on, every output is pulled toward "
    "every target of its batch, and they all settle at 0.5 with a loss of 0.25."
)


class MiniBatchLesson(SmallLesson):
    """Batches of the four samples; the targets may be shaped (B,) as in the tutorial."""

    def loss(self, loss_fn: Any, outputs: torch.Tensor, targets: torch.Tensor, s: Settings) -> torch.Tensor:
        """Outputs (B, 1) against targets (B, 1), or with the slip against (B,): broadcast to (B, B)."""
        if not s.flat_targets:
            return loss_fn(outputs, targets)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch warns of the broadcast; the tutorial's code never saw it
            return loss_fn(outputs, targets.squeeze(1))  # (B, 1) - (B,) broadcasts to (B, B)

    def loss_note(self, outputs: torch.Tensor, targets: torch.Tensor, loss: torch.Tensor, s: Settings) -> Note | None:
        """With the slip: the (B, B) grid MSELoss averaged in the first update, beside the loss it should be."""
        if not s.flat_targets:
            return None
        import torch

        from ..events import Note
        from ..notebook import fmt

        with torch.no_grad():
            grid = (outputs - targets.squeeze(1)) ** 2  # (B, 1) - (B,) -> (B, B): every output against every target
            meant = ((outputs - targets) ** 2).mean()
        b = len(outputs)
        return Note(
            f"the loss of update 1: outputs ({b}, 1) against targets ({b},)",
            f"{fmt(grid)}\n"
            f"MSELoss averaged all {b * b} squared differences of every output with every target: {loss.item():.6f}\n"
            f"with targets shaped ({b}, 1) it averages the {b} on the diagonal: {meant.item():.6f}",
        )

    def script_loss(self, s: Settings) -> str:
        """The script's loss of one batch, with the tutorial's slip when it is switched on."""
        if not s.flat_targets:
            return super().script_loss(s)
        return (
            "loss = loss_fn(model(inputs[start:start + BATCH_SIZE]), targets[start:start + BATCH_SIZE].squeeze(1))"
            "  # the tutorial's slip: (B, 1) against (B,) broadcasts to (B, B)"
        )


LESSON = MiniBatchLesson(
    7,
    "Mini-batches",
    TEXT,
    ("targets", "lr", "epochs", "batch_size", "flat_targets", "seed", "max_steps"),
    Settings().replace(lr=1e-4, epochs=3, batch_size=2),
    single=False,
)
