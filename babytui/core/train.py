"""Training, as a generator of events: `train()` runs any lesson; `train_images` is the image loop.

The app, the headless CLI and the tests all consume `train()`. It never prints; it yields.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator

import torch
from torch import nn

from . import checkpoint
from .augment import augmentation_generator, crop_flip
from .control import Clock, Control
from .datasets import ImageData, normalize
from .device import resolve_device
from .errors import DivergedError, RunError
from .events import BestRestored, EpochEnded, Event, Finished, Note, RunStarted, StepLogged, TrainingImagesFed
from .health import HealthWatch
from .notebook import parameter_count, snapshot
from .optim import LrSteering, build_optimizer, build_scheduler, current_lr
from .scoring import evaluate, predictions, view_of
from .settings import Settings
from .validation import BestEpoch, Split, carve_validation, gap_line

if TYPE_CHECKING:
    from .lessons import Lesson
    from .lessons.images import ImageLesson

LOG_INTERVAL = 0.2
"""Seconds between StepLogged events while an image lesson trains."""
SNAPSHOT_INTERVAL = 1.0
"""Seconds between live weight snapshots while an image lesson trains."""
CHECKPOINT_INTERVAL = 5.0
"""Seconds between mid-epoch Checkpoint events, besides those at each epoch's end and at a stop.
benchmarks/checkpoint_cost.py: a checkpoint takes 10-40 ms (its fsync mostly), under 1% of 5 s even on a busy machine."""
CHECKPOINT_SHARE = 0.01
"""The most of the training time checkpoints may take: on a slow disk they come less often."""
EARLY_REPORTS = 32
"""The first updates are each reported: a too large learning rate blows up within a few, and the
gradients noted then tell which layer went first."""
FED_SAMPLES = 32
"""Augmented training images sent at the start of each epoch, for the prediction grid to show."""


def train(
    lesson: Lesson,
    settings: Settings,
    *,
    control: Control | None = None,
    stop: threading.Event | None = None,
    data: ImageData | None = None,
    checkpoints: bool = False,
    resume: dict[str, Any] | None = None,
) -> Iterator[Event]:
    """Run a lesson with these settings, yielding events until it finishes or is stopped.

    `stop` ends the run after the current batch; `control` also pauses and steps it.
    `checkpoints` adds Checkpoint events (image lessons: each epoch's end, a stop, and every
    CHECKPOINT_INTERVAL seconds); `resume` is a Checkpoint's state to go on from, so that the
    run ends exactly as if it had never been interrupted (on the CPU).
    Raises BabytuiError subclasses (bad device, missing data, diverged loss) with a user message.
    """
    control = control or Control(stop)
    torch.manual_seed(settings.seed)
    if resume is not None and not lesson.is_image:
        raise RunError(f"lesson {lesson.number} runs in moments and has nothing to resume: run it again")
    yield from lesson.run(settings, control, data=data, checkpoints=checkpoints, resume=resume)


def log_steps(
    pending: list[torch.Tensor], epoch: int, step: int, total: int, clock: Clock, batch_size: int, lr: float,
    blame: Callable[[int], str] | None = None,
) -> StepLogged:
    """One StepLogged for the losses since the last one (one device sync); DivergedError on NaN or inf,
    naming what `blame(step)` says blew up first."""
    losses = torch.stack(pending).tolist()
    for i, value in enumerate(losses):
        if not math.isfinite(value):
            at = step - len(losses) + 1 + i
            raise DivergedError(at, value, lr, blame(at) if blame is not None else "")
    elapsed = max(clock.seconds, 1e-9)
    rate = step / elapsed
    eta = (total - step) / rate if rate > 0 else 0.0
    return StepLogged(epoch, step, losses[-1], tuple(losses), total, rate * batch_size, elapsed, eta, lr)


def fed_images(
    images: torch.Tensor, labels: torch.Tensor, step: int, epoch: int, s: Settings, classes: tuple[str, ...]
) -> TrainingImagesFed:
    """The first FED_SAMPLES augmented images of a batch, copied to the CPU, with their labels."""
    done = [f"crop (padding {s.crop_pad})"] if s.crop_pad else []
    done += ["flip"] if s.flip else []
    copy = [t[:FED_SAMPLES].to("cpu", copy=True) for t in (images, labels)]  # small, and not a view of the batch
    return TrainingImagesFed(step, epoch, copy[0], copy[1], classes, ", ".join(done))


class Pace:
    """When the image loop reports while it trains: losses, a copy of the weights, a checkpoint."""

    def __init__(self) -> None:
        now = time.perf_counter()
        self.last_log = self.last_snapshot = self.last_checkpoint = now
        self.checkpoint_cost = 0.0
        """Seconds the last mid-epoch checkpoint took, saving included."""
        self.early = EARLY_REPORTS
        """Reports still to make after every update, at the start."""

    def log_due(self, control: Control) -> bool:
        """True when the losses since the last report are due (always while paused, and for the first
        updates: every step shows)."""
        if self.early > 0:
            self.early -= 1
            return True
        return time.perf_counter() - self.last_log >= LOG_INTERVAL or control.paused

    def snapshot_due(self, control: Control) -> bool:
        """True when a live copy of the weights is due."""
        return time.perf_counter() - self.last_snapshot >= SNAPSHOT_INTERVAL or control.paused

    def checkpoint_due(self) -> bool:
        """True when a mid-epoch checkpoint is due: every CHECKPOINT_INTERVAL, or less often when saving is slow."""
        return time.perf_counter() - self.last_checkpoint >= max(CHECKPOINT_INTERVAL, self.checkpoint_cost / CHECKPOINT_SHARE)


def train_images(
    lesson: ImageLesson,
    s: Settings,
    control: Control,
    *,
    data: ImageData | None = None,
    checkpoints: bool = False,
    resume: dict[str, Any] | None = None,
) -> Iterator[Event]:
    """An image lesson: its network on a dataset held whole on the device, batched by index."""
    device = resolve_device(s.device)
    data = lesson.load_data(s) if data is None else data.to(device)
    num_classes = len(data.classes)
    split = carve_validation(data, s.validation_size)  # the images trained on; those held out to choose
    model = lesson.build_model(s, num_classes).to(device)
    if s.channels_last:  # weights in (out, kh, kw, in) order: the convolutions read each pixel's channels in one run
        model = model.to(memory_format=torch.channels_last)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=s.label_smoothing)
    shuffle = torch.Generator().manual_seed(s.seed)  # on the CPU, so every device shuffles alike
    n = len(split.train)
    steps_per_epoch = math.ceil(n / s.batch_size)
    total = s.epochs * steps_per_epoch
    if s.max_steps:
        total = min(total, s.max_steps)
    optimizer = build_optimizer(model.parameters(), s)
    scheduler = build_scheduler(optimizer, s, total, steps_per_epoch)  # None for a constant lr
    steering, best = LrSteering(optimizer, scheduler, s.lr), BestEpoch(s.patience)
    state, clock = checkpoint.RunState(epoch=1), Clock()
    if resume is not None:
        state, seconds = checkpoint.restore(resume, lesson, model, optimizer, shuffle, device, steps_per_epoch)
        restore_extras(resume, steering, best, device)
        clock = Clock(already=seconds)  # the time already trained counts
    yield RunStarted(
        lesson.number, str(device), s.epochs, steps_per_epoch, total, parameter_count(model),
        data.name, data.classes, n, len(data.test_images), settings=s, validation_size=s.validation_size,
    )
    yield snapshot(model, state.step, "start")
    with clock.left_out():
        yield predictions(model, data, state.step, **view_of(s))  # the test images from the start: the inside view picks from them
    watch = HealthWatch(model, loss_fn, lesson, classes=num_classes)

    def save(reason: str):
        extra = {"steering": steering.state_dict(), "best": best.state_dict()}
        return checkpoint.capture(reason, lesson, state, steps_per_epoch, model, optimizer, shuffle, device, clock.seconds, extra)

    pace = Pace()
    stopped = early = False
    first_epoch = state.epoch
    for epoch in range(first_epoch, s.epochs + 1):
        epoch_started = time.perf_counter()
        state.epoch, state.epoch_order = epoch, shuffle.get_state()
        order = torch.randperm(n, generator=shuffle)
        batches = split.train[order].to(device).split(s.batch_size)  # indices of training images
        if epoch > first_epoch:
            state.epoch_losses = []
        batches = batches[len(state.epoch_losses) :]  # resuming mid-epoch: the same order, less what was done
        logged = restored = len(state.epoch_losses)
        show_fed = bool(s.crop_pad or s.flip)  # once an epoch, the first batch as the network sees it
        for idx in batches:
            if state.step >= total:
                break
            if not clock.wait_turn(control):
                stopped = True
                break
            new_lr = control.lr_change(state.step, steering.base)  # asked for while running, or replayed by a resume
            if new_lr is not None:
                yield from steering.change(new_lr, state.step)
            images = data.train_images[idx]  # (B, 3, 32, 32) uint8
            if s.crop_pad or s.flip:  # a new draw each batch, fixed by the seed and the step
                images = crop_flip(images, s.crop_pad, s.flip, augmentation_generator(s.seed, state.step, device))
                if show_fed:
                    show_fed = False
                    with clock.left_out():
                        yield fed_images(images, data.train_labels[idx], state.step, epoch, s, data.classes)
            inputs = normalize(images)  # floats in [-1, 1]
            labels = data.train_labels[idx]  # (B,)
            if s.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            probe = watch.begin() if watch.due else None  # a health check traces this one update
            if probe is not None:
                watch.lr_share = current_lr(optimizer) / steering.base  # (one-cycle's tail is meant to be tiny)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()  # the next batch's lr
            state.step += 1
            state.epoch_losses.append(loss.detach())  # no .item() here: it would wait for the device every step
            if probe is not None:
                yield watch.end(probe, state.step, loss)
            if pace.log_due(control):
                watch.note(state.step)
                yield log_steps(
                    state.epoch_losses[logged:], epoch, state.step, total, clock, s.batch_size, current_lr(optimizer), watch.blame
                )
                logged, pace.last_log = len(state.epoch_losses), time.perf_counter()
                if pace.snapshot_due(control):
                    yield snapshot(model, state.step, "live")
                    pace.last_snapshot = time.perf_counter()
                # (not after an epoch's last batch: its own checkpoint, with the epoch scored, follows)
                if checkpoints and len(state.epoch_losses) < steps_per_epoch and pace.checkpoint_due():
                    saving = time.perf_counter()
                    yield save("interval")  # the consumer writes it to disk before the loop goes on
                    pace.last_checkpoint = time.perf_counter()
                    pace.checkpoint_cost = pace.last_checkpoint - saving
        if logged < len(state.epoch_losses):
            yield log_steps(
                state.epoch_losses[logged:], epoch, state.step, total, clock, s.batch_size, current_lr(optimizer), watch.blame
            )
            pace.last_log = time.perf_counter()
        with clock.left_out():  # scoring, pictures and checkpoints are not training time
            finished_epoch = len(state.epoch_losses) == steps_per_epoch
            if state.epoch_losses:
                state.train_loss = torch.stack(state.epoch_losses).mean().item()
            if state.epoch_losses and not (stopped and control.quick):
                yield from end_epoch(model, data, split, state, best, epoch, finished_epoch, time.perf_counter() - epoch_started, s, lesson)
            if checkpoints and (len(state.epoch_losses) > restored or stopped):
                yield save("stop" if stopped else "epoch" if finished_epoch else "end")
                pace.last_checkpoint = time.perf_counter()
        if best.out_of_patience and not stopped and state.step < total:
            early = True
            yield Note("stopping early", f"validation accuracy has not improved for {best.since} epochs (patience {s.patience})", state.step)
        if stopped or early or state.step >= total:
            break
    restored_best = None
    if best.weights is not None and s.restore_best and not stopped:
        with clock.left_out():
            restored_best = yield from put_back_best(model, data, state, best, s)
            if checkpoints:  # a finished run keeps the weights it chose: those are its result
                yield save("best")
    elapsed = clock.seconds
    yield Finished(
        lesson.number, str(device), state.step, state.epochs_done, elapsed,
        state.step * s.batch_size / elapsed if elapsed > 0 else 0.0,
        state.train_loss, state.test_loss, state.test_accuracy, stopped=stopped,
        best_epoch=restored_best, early_stopped=early,
    )


def end_epoch(
    model: nn.Module, data: ImageData, split: Split, state: checkpoint.RunState, best: BestEpoch,
    epoch: int, finished_epoch: bool, seconds: float, s: Settings, lesson: ImageLesson | None = None,
) -> Iterator[Event]:
    """Score an epoch (the test split, and the validation split when there is one) and report it,
    with the lesson's own lines (`ImageLesson.epoch_lines`) at the end of its note."""
    num_classes = len(data.classes)
    view = view_of(s)  # how the settings score: with the test-time flip or not
    test_loss, test_accuracy, confusion = evaluate(model, data.test_images, data.test_labels, num_classes, **view)
    val_loss = val_accuracy = None
    if split.val_images is not None:
        val_loss, val_accuracy, _ = evaluate(model, split.val_images, split.val_labels, num_classes, **view)
    state.test_loss, state.test_accuracy = test_loss, test_accuracy
    if finished_epoch:
        state.epochs_done = epoch
        if val_accuracy is not None:  # only whole epochs compete: a resumed run must choose alike
            best.update(epoch, state.step, val_accuracy, test_accuracy, model)
    yield EpochEnded(
        epoch, state.step, state.train_loss, test_loss, test_accuracy,
        tuple(tuple(row) for row in confusion.tolist()), seconds, val_loss, val_accuracy,
    )
    yield predictions(model, data, state.step, **view)
    yield snapshot(model, state.step, "epoch")
    lines = [f"train loss {state.train_loss:.4f}   test loss {test_loss:.4f}   test accuracy {test_accuracy:.2f}%"]
    if val_loss is not None:
        lines = [
            f"train loss {state.train_loss:.4f}   validation loss {val_loss:.4f}   test loss {test_loss:.4f}",
            f"validation accuracy {val_accuracy:.2f}%   test accuracy {test_accuracy:.2f}%",
            gap_line(state.train_loss, val_loss, best.last_gap),
        ]
        if best.accuracy is not None:
            lines.append(best.describe())
        best.last_gap = val_loss - state.train_loss
    if lesson is not None:
        lines += lesson.epoch_lines(model, data, test_accuracy)
    yield Note(f"epoch {epoch}" + ("" if finished_epoch else " (part)"), "\n".join(lines), state.step)


def put_back_best(model: nn.Module, data: ImageData, state: checkpoint.RunState, best: BestEpoch, s: Settings):
    """Load the best epoch's weights and score them on the test split; its epoch (a generator's return)."""
    last = state.test_accuracy
    model.load_state_dict(best.weights)
    view = view_of(s)
    test_loss, test_accuracy, confusion = evaluate(model, data.test_images, data.test_labels, len(data.classes), **view)
    state.test_loss, state.test_accuracy = test_loss, test_accuracy
    yield BestRestored(best.epoch, best.step, best.accuracy, test_loss, test_accuracy, last)
    yield predictions(model, data, state.step, **view)
    yield snapshot(model, state.step, "end")
    shown = f"epoch {best.epoch} (validation accuracy {best.accuracy:.2f}%): test accuracy {test_accuracy:.2f}%"
    if last is not None:
        shown += f", against {last:.2f}% for the last epoch's weights ({test_accuracy - last:+.2f} points)"
    yield Note("restored the best epoch", shown, state.step)
    return best.epoch


def restore_extras(saved: dict[str, Any], steering: LrSteering, best: BestEpoch, device: torch.device) -> None:
    """Put back the lr schedule and the best epoch a checkpoint holds (older ones hold neither)."""
    try:
        if saved.get("steering") is not None:
            steering.load_state_dict(saved["steering"])
        if saved.get("best") is not None:
            best.load_state_dict(saved["best"], device)
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunError(f"the checkpoint's lr schedule or best epoch does not fit these settings: {reason}") from None
