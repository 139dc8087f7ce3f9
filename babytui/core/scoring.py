"""Scoring a model on a split: its loss, accuracy and confusion matrix, and the guesses on a few images."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .datasets import ImageData, normalize
from .events import Predictions

EVAL_CHUNK = 100
"""Test images scored at once: large enough to be fast, small enough to keep the peak memory low."""
PREDICTION_SAMPLES = 256
"""Test images whose predictions are sent after each epoch."""


def scores(model: nn.Module, inputs: torch.Tensor, tta: bool = False, channels_last: bool = False) -> torch.Tensor:
    """The model's raw scores (B, classes) for a batch of normalized images.

    With `tta` (test-time flip) each image is scored twice, as it is and mirrored left to right,
    and the two sets of scores are averaged: the network was trained on both views, and the
    average makes fewer mistakes than either. `channels_last` feeds it in that memory order.
    """
    if channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    outputs = model(inputs)
    if tta:
        outputs = (outputs + model(inputs.flip(-1))) / 2
    return outputs


def view_of(settings) -> dict[str, bool]:
    """How these settings score a picture: with the test-time flip or not, in which memory order."""
    return {"tta": settings.tta, "channels_last": settings.channels_last}


@torch.inference_mode()
def evaluate(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, num_classes: int,
    *, tta: bool = False, channels_last: bool = False,
) -> tuple[float, float, torch.Tensor]:
    """Mean loss, accuracy in percent and the confusion matrix on a split, in large chunks
    (`tta`: each image's scores averaged with its mirror image's, see `scores`)."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=images.device)
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=images.device)
    for i in range(0, len(images), EVAL_CHUNK):
        inputs = normalize(images[i : i + EVAL_CHUNK])
        target = labels[i : i + EVAL_CHUNK]
        outputs = scores(model, inputs, tta, channels_last)
        loss_sum += F.cross_entropy(outputs, target, reduction="sum")
        predicted = outputs.argmax(1)
        confusion += torch.bincount(target * num_classes + predicted, minlength=num_classes * num_classes)
    model.train(was_training)
    confusion = confusion.view(num_classes, num_classes).cpu()
    count = max(len(images), 1)
    return loss_sum.item() / count, 100.0 * confusion.diag().sum().item() / count, confusion


@torch.inference_mode()
def predictions(
    model: nn.Module, data: ImageData, step: int, count: int = PREDICTION_SAMPLES, *, tta: bool = False, channels_last: bool = False,
) -> Predictions:
    """The model's class probabilities for the first `count` test images, scored as `evaluate` scores them."""
    was_training = model.training
    model.eval()
    images = data.test_images[:count]
    probabilities = F.softmax(scores(model, normalize(images), tta, channels_last).float(), dim=1)
    model.train(was_training)
    return Predictions(step, images.cpu(), data.test_labels[:count].cpu(), probabilities.cpu(), data.classes)
