"""Small frozen dataclasses the training loop yields; the app, the CLI and the tests read them.

Tensors inside events are detached CPU copies: a consumer in another thread may keep them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .formatting import short_result  # noqa: F401  (a result in a few characters)

if TYPE_CHECKING:  # annotations only: the interface can import the events without torch
    import torch


@dataclass(frozen=True)
class RunStarted:
    """Training is about to begin: what runs, where, and for how long."""

    lesson: int
    """The lesson number."""
    device: str
    """The device the model and data are on, e.g. 'cpu' or 'cuda:0'."""
    epochs: int
    """Epochs planned."""
    steps_per_epoch: int
    """Updates in one epoch (0 for lessons that do not train)."""
    total_steps: int
    """Updates planned in all, after --max-steps."""
    parameters: int
    """Number of trainable numbers in the model."""
    dataset: str = ""
    """Dataset name for the image lessons, empty otherwise."""
    classes: tuple[str, ...] = ()
    """Class names of an image dataset."""
    train_size: int = 0
    """Samples in the training split."""
    test_size: int = 0
    """Samples in the test split."""
    settings: Any = None
    """The run's validated Settings: what its model is rebuilt from to look inside it."""
    validation_size: int = 0
    """Training samples held out as a validation split (not in `train_size`)."""


@dataclass(frozen=True)
class Note:
    """A notebook-style output: a heading and the text a print() would show."""

    heading: str
    """What is shown, e.g. 'Output (update 3)'."""
    text: str
    """The printed value, possibly several lines."""
    step: int = 0
    """The step after which it was printed."""


@dataclass(frozen=True)
class StepLogged:
    """One or more updates have run since the last StepLogged."""

    epoch: int
    """Epoch of the last update, from 1."""
    step: int
    """Updates done so far in the run, from 1."""
    loss: float
    """Training loss of the last update."""
    losses: tuple[float, ...]
    """Loss of every update since the previous StepLogged, oldest first, ending at `step`."""
    total_steps: int
    """Updates planned in all."""
    samples_per_second: float
    """Training throughput since the run began (pauses excluded)."""
    elapsed: float
    """Seconds spent training so far (pauses excluded)."""
    eta: float
    """Seconds of training left at the current speed."""
    lr: float | None = None
    """The lr the next batch uses (image lessons): a schedule moves it, the user may change it."""

    @property
    def progress(self) -> float:
        """Fraction of the planned updates done, 0-1."""
        return self.step / self.total_steps if self.total_steps else 1.0


@dataclass(frozen=True)
class EpochEnded:
    """An epoch finished and, for the image lessons, the test split was scored."""

    epoch: int
    """The epoch that ended, from 1."""
    step: int
    """Updates done so far."""
    train_loss: float
    """Mean training loss over this epoch's updates."""
    test_loss: float | None = None
    """Mean loss on the test split (image lessons)."""
    test_accuracy: float | None = None
    """Percent of test images classified right (image lessons)."""
    confusion: tuple[tuple[int, ...], ...] = ()
    """confusion[true][predicted] counts on the test split (image lessons)."""
    seconds: float = 0.0
    """Training time of this epoch."""
    val_loss: float | None = None
    """Mean loss on the validation split, when the run holds one out."""
    val_accuracy: float | None = None
    """Percent of validation images classified right."""


@dataclass(frozen=True)
class WeightsSnapshot:
    """Detached CPU copies of every parameter and its gradient at one moment."""

    step: int
    """Updates done when the copy was taken."""
    tag: str
    """Why it was taken: 'start', 'before', 'after', 'live', 'epoch' or 'end'."""
    params: dict[str, torch.Tensor] = field(default_factory=dict)
    """Parameter name to its values."""
    grads: dict[str, torch.Tensor | None] = field(default_factory=dict)
    """Parameter name to its gradient, None where there is none yet."""
    buffers: dict[str, torch.Tensor] = field(default_factory=dict)
    """The rest of the model's state (batch norm's running statistics): with `params`, enough
    to rebuild the model as it was."""


@dataclass(frozen=True)
class Predictions:
    """Some test images with the model's guesses, for the prediction grid."""

    step: int
    """Updates done when predicted."""
    images: torch.Tensor
    """uint8 (N, 3, H, W) as stored in the dataset."""
    labels: torch.Tensor
    """int64 (N,) true classes."""
    probabilities: torch.Tensor
    """float (N, classes) softmax of the model's output."""
    classes: tuple[str, ...] = ()
    """Class names."""


@dataclass(frozen=True)
class TrainingImagesFed:
    """Some training images as the network was fed them, augmented, for the prediction grid."""

    step: int
    """Updates done before the batch they come from."""
    epoch: int
    """The epoch of that batch, from 1."""
    images: torch.Tensor
    """uint8 (N, 3, H, W): the first images of the batch after crop and flip."""
    labels: torch.Tensor
    """int64 (N,) their classes (augmentation keeps them)."""
    classes: tuple[str, ...] = ()
    """Class names."""
    augmentation: str = ""
    """What was done to them, in words: 'crop (padding 4), flip'."""


@dataclass(frozen=True)
class Finished:
    """The run ended, by completing, by --max-steps or by a stop."""

    lesson: int
    """The lesson number."""
    device: str
    """Where it ran."""
    steps: int
    """Updates done."""
    epochs_done: int
    """Whole epochs completed."""
    seconds: float
    """Training time (pauses excluded)."""
    samples_per_second: float
    """Training throughput."""
    final_loss: float | None
    """Lessons 2-9: the loss on all their data at the end; image lessons: mean training loss
    of the last epoch run (or part of it). None where nothing is measured."""
    test_loss: float | None = None
    """Image lessons: the last test loss."""
    test_accuracy: float | None = None
    """Image lessons: the last test accuracy in percent."""
    outputs: tuple[float, ...] = ()
    """Lessons 2-9: the model's output for each sample at the end."""
    targets: tuple[float, ...] = ()
    """Lessons 2-9: what the outputs should be."""
    stopped: bool = False
    """True when the run was stopped before its planned end."""
    best_epoch: int | None = None
    """The epoch best on validation whose weights were put back at the end, None if none was."""
    early_stopped: bool = False
    """True when validation stopped improving for `patience` epochs and the run ended there."""

    def summary(self) -> dict[str, Any]:
        """The result as plain JSON-ready values."""
        return {
            "lesson": self.lesson,
            "device": self.device,
            "steps": self.steps,
            "epochs": self.epochs_done,
            "seconds": round(self.seconds, 3),
            "images_per_second": round(self.samples_per_second, 1),
            "final_loss": self.final_loss,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "outputs": list(self.outputs),
            "targets": list(self.targets),
            "stopped": self.stopped,
            "best_epoch": self.best_epoch,
            "early_stopped": self.early_stopped,
        }


@dataclass(frozen=True)
class Checkpoint:
    """Everything a run needs to go on later: yielded at each epoch's end, when stopping and
    every CHECKPOINT_INTERVAL seconds, only when `train(..., checkpoints=True)` asks for it."""

    epoch: int
    """The epoch the run was in, from 1."""
    step: int
    """Updates done so far."""
    reason: str
    """Why it was taken: 'epoch', 'stop', 'interval' or 'end'."""
    state: dict[str, Any] = field(default_factory=dict)
    """Detached CPU copies only (tensors, numbers, strings, lists, dicts), so that
    `torch.load(weights_only=True)` reads it back; `train(..., resume=state)` goes on from it."""


@dataclass(frozen=True)
class Warned:
    """Something the user should hear that does not stop the run (skipped files, a run not saved)."""

    message: str
    """What happened, in one line."""
    topic: str = "warning"
    """What it is about, as a heading: 'data', 'this run is not saved'."""


@dataclass(frozen=True)
class LayerHealth:
    """One layer's gradient and update at a health check."""

    name: str
    """The layer as the model names it: 'conv1'."""
    kind: str
    """Its module's class: 'Conv2d'."""
    gradient: float
    """The norm of the loss's gradient with respect to its parameters (all of them together)."""
    weights: float
    """The norm of its parameters."""
    update: float | None = None
    """How much the update changed them, relative to their size: |after - before| / |before|."""
    output_gradient: float | None = None
    """The norm of the loss's gradient with respect to its output, for the batch."""

    @property
    def relative_gradient(self) -> float:
        """The gradient for the layer's size: |gradient| / |weights|."""
        return self.gradient / self.weights if self.weights > 0 else 0.0


@dataclass(frozen=True)
class ActivationHealth:
    """One activation's outputs at a health check: dead ReLUs, saturated sigmoids."""

    name: str
    """The stage: 'relu(conv1)', 'act1'."""
    function: str
    """What it computes: 'relu', 'sigmoid', 'tanh'."""
    zero: float | None = None
    """Share of its outputs that are 0 (ReLU), on this batch."""
    dead: float | None = None
    """Share of its units that were 0 for every one of the last `samples` images (ReLU)."""
    samples: int = 0
    """Images the dead share is measured on (0: not yet measured)."""
    saturated: float | None = None
    """Share of its outputs within SATURATED of its limits, where its slope is nearly 0 (sigmoid, tanh)."""


@dataclass(frozen=True)
class HealthChecked:
    """How healthy training looks after one update, with what crossed a threshold said in words."""

    step: int
    """The update that was checked."""
    layers: tuple[LayerHealth, ...]
    """Every layer with parameters, in the order the forward pass runs them."""
    activations: tuple[ActivationHealth, ...] = ()
    """Every activation, in order."""
    flow: tuple[tuple[int, tuple[float, ...]], ...] = ()
    """(step, each layer's gradient norm) noted since the last check, this one included."""
    findings: tuple[str, ...] = ()
    """Every problem that holds now, in plain words, the most serious first."""
    news: tuple[str, ...] = ()
    """The findings not said at the last checks: what the log prints."""
    summary: str = ""
    """The health line: the most serious finding, or what healthy training looks like here."""

    @property
    def healthy(self) -> bool:
        """True when nothing crossed a threshold."""
        return not self.findings


@dataclass(frozen=True)
class LrChanged:
    """The lr setting was changed while the run went on (by the user, or replayed on a resume)."""

    step: int
    """Updates done when it changed: update step + 1 is the first with the new lr."""
    lr: float
    """The new lr setting (a schedule's base or peak)."""
    previous: float
    """The lr setting before."""
    current: float
    """The lr the next batch uses (the setting times the schedule's factor now)."""


@dataclass(frozen=True)
class BestRestored:
    """At the end, the weights of the epoch best on validation were put back and scored on the test split."""

    epoch: int
    """The epoch whose weights were restored."""
    step: int
    """Updates done at the end of that epoch."""
    val_accuracy: float
    """Its validation accuracy, the best of the run."""
    test_loss: float
    """The restored weights' test loss."""
    test_accuracy: float
    """The restored weights' test accuracy: the run's result."""
    last_test_accuracy: float | None
    """The test accuracy of the last epoch's weights, for comparison."""


@dataclass(frozen=True)
class RangeTestLogged:
    """Points of an LR range test since the last report."""

    step: int
    """Batches done so far."""
    total_steps: int
    """Batches planned."""
    lrs: tuple[float, ...]
    """The lr of each batch since the last report."""
    losses: tuple[float, ...]
    """Its loss, before smoothing."""


@dataclass(frozen=True)
class RangeTestDone:
    """An LR range test ended: the whole curve and the lr it suggests."""

    lrs: tuple[float, ...]
    """The lr of every batch, growing by the same factor each."""
    losses: tuple[float, ...]
    """Each batch's loss."""
    smoothed: tuple[float, ...]
    """The losses smoothed (a centred average, without lag): what the suggestion reads."""
    suggestion: float | None
    """The lr where the smoothed loss falls fastest, None when it never fell."""
    lowest: float | None
    """The lr where the smoothed loss was lowest."""
    reason: str
    """Why it ended: 'exploded', 'end' (the lr reached its maximum) or 'stopped'."""
    seconds: float = 0.0
    """How long it took."""

    def summary(self) -> dict[str, Any]:
        """The curve and the suggestion as plain JSON-ready values."""
        return {
            "suggestion": self.suggestion, "lowest": self.lowest, "reason": self.reason,
            "steps": len(self.lrs), "seconds": round(self.seconds, 3),
            "lrs": list(self.lrs), "losses": list(self.losses), "smoothed": list(self.smoothed),
        }


Event = (
    RunStarted | Note | StepLogged | EpochEnded | WeightsSnapshot | Predictions | TrainingImagesFed | Checkpoint | Warned
    | HealthChecked | Finished | LrChanged | BestRestored | RangeTestLogged | RangeTestDone
)
