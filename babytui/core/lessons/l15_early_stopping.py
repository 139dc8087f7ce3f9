"""Lesson 15: overfitting, and when to stop: a validation split chooses the best epoch."""

from __future__ import annotations

from .images import IMAGE_FIELDS, ImageLesson
from .l13_relu_deeper_gpu import DEEP_DEFAULTS, DEEP_FIELDS, DeepConvNet

TEXT = (
    "Lesson 14's network keeps getting better on the images it trains on, but not on new ones: "
    "on CIFAR-10 its test accuracy peaks after about six epochs and then slides back while the "
    "training loss goes on falling. That is overfitting: the weights start to remember these "
    "particular pictures instead of what makes a cat look like a cat.\n\n"
    "To watch it happen, this lesson holds 5,000 training images out as a validation split. The "
    "network never trains on them; they are scored after every epoch, beside the test split. The "
    "Loss tab draws the training, validation and test loss, and the log names the gap between "
    "training and validation loss, which widens as the network overfits.\n\n"
    "The epoch with the best validation accuracy is kept, and at the end its weights are put back "
    "and scored on the test split: that is the run's result. Patience ends the run once validation "
    "has not improved for that many epochs (0 runs them all; try 3, it saves most of the time).\n\n"
    "Why not choose by the test split? Whatever does the choosing stops being a fair measure: the "
    "best of 25 test scores is the luckiest of 25 draws, not what the model will do on pictures it "
    "has never seen. The validation split chooses; the test split, shown each epoch only so you "
    "can watch it, decides nothing and stays honest."
)

STOPPING_FIELDS = ("validation_size", "patience", "restore_best")
"""The settings of a validation split and early stopping, in form order."""

LESSON = ImageLesson(
    15,
    "Overfitting, and when to stop",
    TEXT,
    DEEP_FIELDS + STOPPING_FIELDS + IMAGE_FIELDS,
    DEEP_DEFAULTS.replace(validation_size=5000, patience=0, restore_best=True),
    model=DeepConvNet,
    model_settings=DEEP_FIELDS,
)
