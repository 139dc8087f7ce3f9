"""Lesson 16: momentum and Adam, the optimizer as a setting."""

from __future__ import annotations

from .images import IMAGE_FIELDS, ImageLesson
from .l13_relu_deeper_gpu import DEEP_DEFAULTS, DEEP_FIELDS, DeepConvNet
from .l15_early_stopping import STOPPING_FIELDS

TEXT = (
    "Plain SGD steps straight down the slope the current batch shows it. Batches disagree, so "
    "the steps zig-zag, and along a long, gentle valley they crawl.\n\n"
    "Momentum gives the weights a velocity: each step is this batch's gradient plus 0.9 of the "
    "step before (torch.optim.SGD(momentum=0.9)). The batch-to-batch noise cancels out, while a "
    "direction that keeps agreeing builds up speed, up to ten times the plain step. Nesterov's "
    "variant takes the gradient where the momentum is about to carry the weights, so it brakes "
    "before it overshoots.\n\n"
    "Adam gives every weight a step size of its own. It keeps a running mean of each gradient "
    "(betas[0]) and of its square (betas[1]) and divides the one by the square root of the "
    "other, so a weight with small but steady gradients moves as far as one with large ones; "
    "its usual lr is 0.001. AdamW is Adam with the weight decay taken out of the gradient and "
    "applied to the weights directly, where Adam's scaling cannot weaken it (it differs from "
    "Adam only with a weight decay above 0).\n\n"
    "With momentum 0.9 and batches of 32, this network passes lesson 14's 25-epoch accuracy "
    "within 5 epochs, in a fraction of the time (from here on the output is left as raw scores, "
    "lesson 14's switch: larger steps would otherwise push some scores below zero for good). "
    "Run it three ways (momentum 0.9, momentum 0, "
    "adam with lr 0.001), then press R, mark the runs with space and compare them."
)

OPTIMIZER_FIELDS = ("optimizer", "momentum", "nesterov", "betas", "weight_decay")
"""The settings of the optimizer, in form order."""
OPTIMIZER_DEFAULTS = DEEP_DEFAULTS.replace(
    optimizer="sgd", momentum=0.9, batch_size=32, lr=0.01, epochs=5, validation_size=5000, output_activation=False
)
"""SGD with momentum on batches of 32, five epochs, a validation split, raw scores out (lesson 14's switch)."""

LESSON = ImageLesson(
    16,
    "Momentum and Adam",
    TEXT,
    DEEP_FIELDS + OPTIMIZER_FIELDS + STOPPING_FIELDS + IMAGE_FIELDS,
    OPTIMIZER_DEFAULTS,
    model=DeepConvNet,
    model_settings=DEEP_FIELDS,
)
