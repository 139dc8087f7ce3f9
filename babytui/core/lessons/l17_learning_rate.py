"""Lesson 17: the learning rate: an LR range test, schedules, and the lr changed while the run goes on."""

from __future__ import annotations

from .images import IMAGE_FIELDS, ImageLesson
from .l13_relu_deeper_gpu import DEEP_FIELDS, DeepConvNet
from .l15_early_stopping import STOPPING_FIELDS
from .l16_momentum_adam import OPTIMIZER_DEFAULTS, OPTIMIZER_FIELDS

TEXT = (
    "The lr matters more than any other setting, and it is the easiest to get wrong by a factor "
    "of ten. Two tools find a good one and make the most of it.\n\n"
    "The LR range test (press t) trains a throwaway copy of the network for a few hundred "
    "batches while the lr grows by the same factor every batch, from range min lr to range max "
    "lr, and draws the loss against the lr on a log axis. At first nothing happens, then the "
    "loss falls, then it shoots up, and the test stops there. It suggests the lr where the loss "
    "fell fastest (Leslie Smith's test, 2015).\n\n"
    "A schedule moves the lr as the run goes. step multiplies it by gamma every few epochs; "
    "cosine glides it down to zero by the end; onecycle starts at a 25th of the lr, climbs to "
    "the lr over the warmup share of the run, then sinks far below it (Smith's one-cycle "
    "policy: large steps in the middle explore, tiny ones at the end settle). The Loss tab "
    "draws the schedule before the run; while it runs, the lr in use is in the status line.\n\n"
    "Try the suggested lr with onecycle against the same lr held constant, for the same epochs. "
    "And in any image lesson you can change the lr while the run goes on: + and - double or "
    "halve it from the next batch, or type a value in the lr field and press enter. Each change "
    "is marked on the loss plot and saved with the run, so a resumed run makes it too."
)

SCHEDULE_FIELDS = ("schedule", "step_epochs", "gamma", "warmup")
"""The settings of the lr schedule, in form order."""
RANGE_FIELDS = ("range_steps", "range_min_lr", "range_max_lr")
"""The settings of the LR range test."""

LESSON = ImageLesson(
    17,
    "The learning rate",
    TEXT,
    DEEP_FIELDS + SCHEDULE_FIELDS + RANGE_FIELDS + OPTIMIZER_FIELDS + STOPPING_FIELDS + IMAGE_FIELDS,
    OPTIMIZER_DEFAULTS.replace(schedule="onecycle", lr=0.05),
    model=DeepConvNet,
    model_settings=DEEP_FIELDS,
)
