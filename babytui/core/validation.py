"""A validation split carved from the training images, and the epoch best on it (early stopping).

The split is the same for every seed (its own fixed generator), so runs that differ in their
seed or their settings are chosen between on the same held-out images. The test split is
never used to choose: it stays an honest estimate of the chosen model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import SettingsError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .datasets import ImageData

SPLIT_SEED = 0
"""Seed of the one permutation that carves the validation split off the training images."""


@dataclass(frozen=True)
class Split:
    """Which training images a run learns from, and the ones it holds out."""

    train: torch.Tensor
    """Indices (CPU int64) into the dataset's training images of those trained on."""
    val_images: torch.Tensor | None = None
    """uint8 (V, 3, H, W) held out, on the device; None without a validation split."""
    val_labels: torch.Tensor | None = None
    """int64 (V,)."""


def carve_validation(data: ImageData, size: int) -> Split:
    """Hold out `size` training images (a fixed random choice); SettingsError when too many."""
    import torch

    n = len(data.train_images)
    if size <= 0:
        return Split(torch.arange(n))
    if size >= n:
        raise SettingsError(
            "validation_size", f"{size:,} would leave nothing to train on: the {data.name} training split has {n:,} images"
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED))
    held = order[:size].to(data.train_images.device)
    return Split(order[size:], data.train_images[held], data.train_labels[held])


class BestEpoch:
    """The epoch with the best validation accuracy so far, its weights, and the epochs since."""

    def __init__(self, patience: int = 0) -> None:
        self.patience = patience
        """Epochs without a better one before the run stops (0: it never stops early)."""
        self.epoch = 0
        """The best epoch, 0 before the first."""
        self.step = 0
        """Updates done at its end."""
        self.accuracy: float | None = None
        """Its validation accuracy."""
        self.test_accuracy: float | None = None
        """Its test accuracy (shown, never used to choose)."""
        self.since = 0
        """Whole epochs scored since it."""
        self.weights: dict[str, Any] | None = None
        """A copy of its state dict, on the model's device."""
        self.last_gap: float | None = None
        """Validation minus training loss at the last epoch scored, to say whether the gap widens."""

    def update(self, epoch: int, step: int, accuracy: float, test_accuracy: float | None, model: nn.Module) -> bool:
        """Score a whole epoch; True (and its weights kept) when it beats the best so far."""
        if self.accuracy is not None and accuracy <= self.accuracy:
            self.since += 1
            return False
        self.epoch, self.step, self.accuracy, self.test_accuracy, self.since = epoch, step, accuracy, test_accuracy, 0
        self.weights = {name: value.detach().clone() for name, value in model.state_dict().items()}
        return True

    @property
    def out_of_patience(self) -> bool:
        """True when the run should stop: `patience` epochs in a row without a better one."""
        return self.patience > 0 and self.accuracy is not None and self.since >= self.patience

    def describe(self) -> str:
        """The best epoch so far in a line for the log."""
        if self.accuracy is None:
            return ""
        line = f"best validation accuracy so far: {self.accuracy:.2f}% at epoch {self.epoch}"
        if self.since:
            line += f"; {self.since} epoch{'s' if self.since != 1 else ''} without a better one"
            if self.patience:
                line += f" (patience {self.patience})"
        return line

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps (weights as CPU copies)."""
        weights = None if self.weights is None else {k: v.detach().to("cpu", copy=True) for k, v in self.weights.items()}
        return {
            "epoch": self.epoch, "step": self.step, "accuracy": self.accuracy,
            "test_accuracy": self.test_accuracy, "since": self.since, "weights": weights, "last_gap": self.last_gap,
        }

    def load_state_dict(self, saved: dict[str, Any], device: Any) -> None:
        """Put back what `state_dict` kept, the weights on `device`."""
        self.epoch, self.step, self.since = int(saved["epoch"]), int(saved["step"]), int(saved["since"])
        self.accuracy, self.test_accuracy = saved.get("accuracy"), saved.get("test_accuracy")
        self.last_gap = saved.get("last_gap")
        weights = saved.get("weights")
        self.weights = None if weights is None else {k: v.to(device) for k, v in weights.items()}


def gap_line(train_loss: float, val_loss: float, previous_gap: float | None) -> str:
    """The gap between validation and training loss, named, and whether it widens."""
    gap = val_loss - train_loss
    line = f"gap (validation - train loss) {gap:+.4f}"
    if gap < 0:  # not a wider or narrower gap: the two losses are measured differently
        line += ", below 0: the training loss is averaged over the epoch while the weights still moved (on augmented or dropped-out batches where those are on), the validation loss is scored after it"
    elif previous_gap is not None and gap > previous_gap + 1e-4 and gap > 0.05:
        line += ", wider than the epoch before: the network is learning its training images more than the task"
    elif previous_gap is not None and gap < previous_gap - 1e-4:
        line += ", narrower than the epoch before"
    return line
