"""Lesson 14: all together, lesson 13's network in the loop every PyTorch project grows from."""

from __future__ import annotations

from .images import IMAGE_FIELDS, ImageLesson
from .l13_relu_deeper_gpu import DEEP_DEFAULTS, DEEP_FIELDS, DeepConvNet

TEXT = (
    "Everything in one place: the data held as tensors on the device, the network as a "
    "small class, and the training loop in a dozen lines: shuffle, take a batch, zero the "
    "gradients, forward, loss, backward, step; then score the test split after each "
    "epoch.\n\n"
    "This is the loop every PyTorch project grows from. Export it (babytui export --lesson "
    "14) and it runs on its own. Things to try: batch size 32 with lr 0.05, more channels, "
    "no activation on the output."
)

LESSON = ImageLesson(
    14,
    "All together",
    TEXT,
    DEEP_FIELDS + IMAGE_FIELDS,
    DEEP_DEFAULTS,
    model=DeepConvNet,
    model_settings=DEEP_FIELDS,
)
