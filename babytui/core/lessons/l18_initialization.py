"""Lesson 18: Initialization, vanishing gradients (being written: lesson 14's network until its own lands)."""

from __future__ import annotations

from .images import IMAGE_FIELDS, ImageLesson
from .l13_relu_deeper_gpu import DEEP_DEFAULTS, DEEP_FIELDS, DeepConvNet

TEXT = "Lesson 18 is being written: for now it trains lesson 14's network with lesson 14's settings."

LESSON = ImageLesson(
    18,
    "Initialization, vanishing gradients",
    TEXT,
    DEEP_FIELDS + IMAGE_FIELDS,
    DEEP_DEFAULTS,
    model=DeepConvNet,
    model_settings=DEEP_FIELDS,
)
