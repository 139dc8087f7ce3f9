"""The training loop of every lesson, as a generator of events.

The app, the headless CLI and the tests all consume `train()`. It never prints; it yields.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Iterator

import torch
from torch import nn
from torch.nn import functional as F

from .data import ImageData, load_images, normalize
from .device import resolve_device
from .progress import ProgressCallback
from .errors import DivergedError, RunError
from .events import (
    Checkpoint,
    EpochEnded,
    Event,
    Finished,
    Note,
    Predictions,
    RunStarted,
    StepLogged,
    WeightsSnapshot,
)
from .lessons import BATCH_INPUTS, Lesson
from .settings import Settings

LOG_INTERVAL = 0.2
"""Seconds between StepLogged events while an image lesson trains."""
SNAPSHOT_INTERVAL = 1.0
"""Seconds between live weight snapshots while an image lesson trains."""
EVAL_CHUNK = 100
"""Test images scored at once: large enough to be fast, small enough to keep the peak memory low."""
PREDICTION_SAMPLES = 256
"""Test images whose predictions are sent after each epoch."""
CHECKPOINT_INTERVAL = 60.0
"""Seconds between mid-epoch Checkpoint events, besides those at each epoch's end and at a stop."""
CHECKPOINT_FORMAT = 1
"""Version of the state a Checkpoint carries."""


class Control:
    """Stop, pause, resume and single-step a training loop from another thread."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop_event = stop or threading.Event()
        """Set to end the run after the current batch."""
        self.quick = False
        """Stopping to quit: skip scoring the test split at the end, only save the checkpoint."""
        self.waited = 0.0
        """Seconds the loop has spent held by a pause: left out of its training time."""
        self._cond = threading.Condition()
        self._paused = False
        self._steps_allowed = 0

    @property
    def paused(self) -> bool:
        """True while the loop waits instead of training."""
        return self._paused

    def stop(self, *, quick: bool = False) -> None:
        """End the run after the current batch (also wakes a paused loop).

        `quick` (to quit the program) leaves out the final scoring of the test split, which
        takes seconds on a CPU; the checkpoint is still written.
        """
        self.quick = self.quick or quick
        self.stop_event.set()
        with self._cond:
            self._cond.notify_all()

    def pause(self) -> None:
        """Hold the loop before its next batch."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        """Let a paused loop run freely again."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def step(self, count: int = 1) -> None:
        """Pause (if running) and allow exactly `count` more batches."""
        with self._cond:
            self._paused = True
            self._steps_allowed += count
            self._cond.notify_all()

    def wait_turn(self) -> bool:
        """Block while paused; True when the next batch may run, False when stopped."""
        if self.stop_event.is_set():
            return False
        if not self._paused:
            return True
        held_from = time.perf_counter()
        with self._cond:
            while self._paused and self._steps_allowed == 0 and not self.stop_event.is_set():
                self._cond.wait(0.1)
            self.waited += time.perf_counter() - held_from
            if self.stop_event.is_set():
                return False
            if self._paused:
                self._steps_allowed -= 1
            return True


def snapshot(model: nn.Module, step: int, tag: str) -> WeightsSnapshot:
    """Detached CPU copies of the model's parameters and gradients."""
    params: dict[str, torch.Tensor] = {}
    grads: dict[str, torch.Tensor | None] = {}
    for name, p in model.named_parameters():
        params[name] = p.detach().to("cpu", copy=True)
        grads[name] = None if p.grad is None else p.grad.detach().to("cpu", copy=True)
    return WeightsSnapshot(step, tag, params, grads)


def fmt(t: torch.Tensor | float | None) -> str:
    """A tensor or number the way a notebook would print it, in 4 decimals."""
    if t is None:
        return "None"
    if isinstance(t, (int, float)):
        return f"{t:.4f}"
    with torch.no_grad():
        return torch._tensor_str._tensor_str(t.detach().cpu().float(), indent=0).replace("\n ", "\n") + (
            f"   shape {tuple(t.shape)}" if t.ndim else ""
        )


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
    if lesson.kind == "tensor":
        yield from _tensor_lesson(lesson, settings)
    elif lesson.is_image:
        yield from _image_lesson(lesson, settings, control, data, checkpoints, resume)
    else:
        yield from _tiny_lesson(lesson, settings, control)


def _tensor_lesson(lesson: Lesson, s: Settings) -> Iterator[Event]:
    """Lesson 1: build tensors of 1, 2 and 3 dimensions and index them."""
    x1 = torch.tensor(s.x)
    n = len(s.x)
    x2 = torch.stack([x1, x1 + n])  # (2, n)
    x3 = torch.stack([x2, x2 + 2 * n])  # (2, 2, n)
    yield RunStarted(lesson.number, "cpu", 0, 0, 0, 0)
    col = min(2, n - 1)
    for heading, value in (
        ("x1 = torch.tensor(x)", x1),
        ("x1[0]", x1[0]),
        ("x2 = torch.stack([x1, x1 + n])", x2),
        ("x2[0][0]", x2[0][0]),
        ("x2[0]", x2[0]),
        (f"x2[:, {col}]", x2[:, col]),
        ("x3 = torch.stack([x2, x2 + 2 * n])", x3),
        ("x3[0][0][0]", x3[0][0][0]),
        ("x3[:, 0, 0]", x3[:, 0, 0]),
        ("x3[0, :, 0]", x3[0, :, 0]),
        ("x3[0][0]", x3[0][0]),
        ("y = x1  (the model y = x)", x1),
    ):
        yield Note(heading, fmt(value))
    yield Finished(lesson.number, "cpu", 0, 0, 0.0, 0.0, None, outputs=tuple(x1.tolist()), targets=tuple(x1.tolist()))


def tiny_data(lesson: Lesson, s: Settings) -> tuple[torch.Tensor, torch.Tensor]:
    """The inputs (N, F) and targets (N, 1) of lessons 2-9."""
    if lesson.kind == "single":
        return torch.tensor([s.x]), torch.tensor([[s.target]])
    return torch.tensor(BATCH_INPUTS), torch.tensor(s.targets).unsqueeze(1)


def _note_due(step: int, total: int) -> bool:
    """Show the first few updates, then about twenty spread evenly, and the last."""
    return step <= 5 or step == total or step % max(1, total // 20) == 0


def _tiny_lesson(lesson: Lesson, s: Settings, control: Control) -> Iterator[Event]:
    """Lessons 2-9: a few numbers, printed the way a notebook would."""
    n = lesson.number
    model = lesson.build_model(s)
    assert model is not None
    inputs, targets = tiny_data(lesson, s)
    loss_fn = nn.MSELoss()
    single = lesson.kind == "single"
    if n <= 4:
        yield RunStarted(n, "cpu", 0, 0, 0, sum(p.numel() for p in model.parameters()))
        yield snapshot(model, 0, "start")
        if n == 4:
            inputs.requires_grad_(True)
        outputs = model(inputs)
        yield Note("prediction = model(x)", fmt(outputs[0]))
        if n == 2:
            yield Note("weight, bias", f"{fmt(model.weight)}\n{fmt(model.bias)}")
            yield Finished(n, "cpu", 0, 0, 0.0, 0.0, None, outputs=tuple(outputs.flatten().tolist()))
            return
        loss = loss_fn(outputs, targets)
        yield Note(f"loss = MSE(prediction, target {s.target:g})", fmt(loss.item()))
        if n == 4:
            yield Note("x.grad before backward()", fmt(inputs.grad))
            loss.backward()
            yield Note("x.grad after backward()", fmt(inputs.grad[0]))
            yield Note("weight.grad", fmt(model.weight.grad[0]))
            yield Note("bias.grad", fmt(model.bias.grad))
            yield snapshot(model, 0, "end")
        yield Finished(
            n, "cpu", 0, 0, 0.0, 0.0, loss.item(), outputs=tuple(outputs.flatten().tolist()), targets=(s.target,)
        )
        return

    # Lesson 8's tutorial slip, kept as a switch: only the first layer is optimized.
    params = model.linear1.parameters() if (n == 8 and s.first_layer_only) else model.parameters()
    optimizer = torch.optim.SGD(params, lr=s.lr)
    epochs = 1 if n == 5 else s.epochs
    batch_size = 1 if single else s.batch_size
    batches = [slice(i, i + batch_size) for i in range(0, len(inputs), batch_size)]
    total = epochs * len(batches)
    if s.max_steps:
        total = min(total, s.max_steps)
    yield RunStarted(n, "cpu", epochs, len(batches), total, sum(p.numel() for p in model.parameters()))
    goal = f"{s.target:g}" if single else "[" + ", ".join(f"{t:g}" for t in s.targets) + "]"

    with torch.no_grad():
        before = model(inputs)
    yield snapshot(model, 0, "before" if n == 5 else "start")
    if n == 5:
        yield Note("weight, bias (before the update)", f"{fmt(model.weight)}\n{fmt(model.bias)}")
    yield Note("output (before any update)", fmt(before.squeeze(1)))

    step = 0
    started = time.perf_counter()
    waited = control.waited  # pauses from here on are not training time
    last_log = started
    pending: list[torch.Tensor] = []
    stopped = False
    for epoch in range(1, epochs + 1):
        for batch in batches:
            if step >= total:
                break
            if not control.wait_turn():
                stopped = True
                break
            optimizer.zero_grad()
            loss = loss_fn(model(inputs[batch]), targets[batch])  # (B, 1) against (B, 1)
            loss.backward()
            optimizer.step()
            step += 1
            value = loss.item()  # a CPU tensor of one number: no device sync to avoid here
            if not math.isfinite(value):
                raise DivergedError(step, value, s.lr)
            pending.append(loss.detach())
            now = time.perf_counter()
            if _note_due(step, total) or control.paused:
                with torch.no_grad():
                    out = model(inputs).squeeze(1)
                yield Note(
                    f"output (epoch {epoch}, update {step})",
                    fmt(out) + f"\nshould be getting closer to {goal}",
                    step,
                )
                if n != 5:
                    yield snapshot(model, step, "live")
            if now - last_log >= LOG_INTERVAL or step == total or control.paused:
                yield _log(pending, epoch, step, total, started, now, batch_size, s.lr, control.waited - waited)
                pending = []
                last_log = now
        else:
            continue
        break
    elapsed = time.perf_counter() - started - (control.waited - waited)
    if pending:
        yield _log(pending, epoch, step, total, started, time.perf_counter(), batch_size, s.lr, control.waited - waited)
    if n == 5:
        yield snapshot(model, step, "after")
        yield Note("weight, bias (after the update)", f"{fmt(model.weight)}\n{fmt(model.bias)}")
    else:
        yield snapshot(model, step, "end")
    with torch.no_grad():
        outputs = model(inputs)
        final = loss_fn(outputs, targets).item()
    yield Note("final loss on all samples", fmt(final))
    yield Finished(
        n,
        "cpu",
        step,
        epoch if (step and step % len(batches) == 0) else epoch - 1,
        elapsed,
        step * batch_size / elapsed if elapsed > 0 else 0.0,
        final,
        outputs=tuple(outputs.flatten().tolist()),
        targets=tuple(targets.flatten().tolist()),
        stopped=stopped,
    )


def _log(
    pending: list[torch.Tensor],
    epoch: int,
    step: int,
    total: int,
    started: float,
    now: float,
    batch_size: int,
    lr: float,
    paused_time: float = 0.0,
) -> StepLogged:
    """One StepLogged for the losses since the last one; raises DivergedError on NaN or inf."""
    losses = torch.stack(pending).tolist()  # one sync for the whole window
    for i, value in enumerate(losses):
        if not math.isfinite(value):
            raise DivergedError(step - len(losses) + 1 + i, value, lr)
    elapsed = max(now - started - paused_time, 1e-9)
    rate = step / elapsed
    return StepLogged(
        epoch,
        step,
        losses[-1],
        tuple(losses),
        total,
        rate * batch_size,
        elapsed,
        (total - step) / rate if rate > 0 else 0.0,
    )


@torch.inference_mode()
def evaluate(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, num_classes: int
) -> tuple[float, float, torch.Tensor]:
    """Mean loss, accuracy in percent and the confusion matrix on a split, in large chunks."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=images.device)
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=images.device)
    for i in range(0, len(images), EVAL_CHUNK):
        inputs = normalize(images[i : i + EVAL_CHUNK])
        target = labels[i : i + EVAL_CHUNK]
        outputs = model(inputs)
        loss_sum += F.cross_entropy(outputs, target, reduction="sum")
        predicted = outputs.argmax(1)
        confusion += torch.bincount(target * num_classes + predicted, minlength=num_classes * num_classes)
    model.train(was_training)
    confusion = confusion.view(num_classes, num_classes).cpu()
    count = max(len(images), 1)
    return loss_sum.item() / count, 100.0 * confusion.diag().sum().item() / count, confusion


def _cpu_copy(value: Any) -> Any:
    """A detached CPU copy of a state dict: tensors copied, containers rebuilt, the rest kept."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _cpu_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cpu_copy(v) for v in value]
    return value


def _restore(
    state: dict[str, Any],
    lesson: Lesson,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    device: torch.device,
    steps_per_epoch: int,
) -> None:
    """Put a checkpoint's weights, optimizer and random states back; RunError when it does not fit."""
    if state.get("format", 0) > CHECKPOINT_FORMAT:
        raise RunError("the checkpoint was saved by a newer babytui: upgrade babytui to resume it")
    if state.get("lesson") != lesson.number:
        raise RunError(f"the checkpoint is from lesson {state.get('lesson')}, not lesson {lesson.number}")
    try:
        if not 0 <= int(state["skip"]) < steps_per_epoch:
            raise ValueError(f"it stopped at batch {state['skip']} of an epoch of {steps_per_epoch}")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        shuffle.set_state(state["shuffle"])
        torch.set_rng_state(state["cpu_rng"])
        if device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], device)
    except (KeyError, RuntimeError, ValueError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunError(f"the checkpoint does not fit lesson {lesson.number} with these settings: {reason}") from None


def lesson_data(s: Settings, progress: ProgressCallback | None = None) -> ImageData:
    """An image lesson's dataset as its settings name it, on its device; `progress` hears a download."""
    return load_images(s.dataset, s.data_root, resolve_device(s.device), trust_data=s.trust_data, progress=progress)


def _image_lesson(
    lesson: Lesson,
    s: Settings,
    control: Control,
    data: ImageData | None,
    checkpoints: bool = False,
    resume: dict[str, Any] | None = None,
) -> Iterator[Event]:
    """Lessons 10-14: a network on an image dataset held whole on the device."""
    device = resolve_device(s.device)
    data = lesson_data(s) if data is None else data.to(device)
    num_classes = len(data.classes)
    model = lesson.build_model(s, num_classes).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=s.lr)
    loss_fn = nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(s.seed)  # on the CPU, so every device shuffles alike
    n = len(data.train_images)
    steps_per_epoch = math.ceil(n / s.batch_size)
    total = s.epochs * steps_per_epoch
    if s.max_steps:
        total = min(total, s.max_steps)
    dev = str(device)
    if resume is not None:
        _restore(resume, lesson, model, optimizer, shuffle, device, steps_per_epoch)
    yield RunStarted(
        lesson.number,
        dev,
        s.epochs,
        steps_per_epoch,
        total,
        sum(p.numel() for p in model.parameters()),
        data.name,
        data.classes,
        n,
        len(data.test_images),
    )
    sample = slice(0, min(PREDICTION_SAMPLES, len(data.test_images)))

    step = 0
    paused_time = 0.0  # pauses and the work at each epoch's end, left out of the training time
    started = time.perf_counter()
    stopped = False
    epochs_done = 0
    train_loss = float("nan")
    test_loss = test_accuracy = None
    first_epoch, skip = 1, 0
    if resume is not None:
        step, first_epoch, skip = int(resume["step"]), int(resume["next_epoch"]), int(resume["skip"])
        started -= float(resume.get("seconds", 0.0))  # the time already trained counts
        epochs_done = int(resume.get("epochs_done", 0))
        train_loss = float("nan") if resume.get("train_loss") is None else float(resume["train_loss"])
        test_loss, test_accuracy = resume.get("test_loss"), resume.get("test_accuracy")
    yield snapshot(model, step, "start")
    last_log = last_snap = last_checkpoint = time.perf_counter()
    epoch = 0
    epoch_losses: list[torch.Tensor] = []
    shuffle_state = shuffle.get_state()

    def checkpoint(reason: str) -> Checkpoint:
        """The state after the updates done so far (a few state dicts copied: only now and then)."""
        whole = len(epoch_losses) == steps_per_epoch
        # Mid-epoch, the run goes on from this epoch's shuffle, skipping the batches done.
        losses = [] if whole else epoch_losses
        state: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT,
            "lesson": lesson.number,
            "step": step,
            "next_epoch": epoch + 1 if whole else epoch,
            "skip": 0 if whole else len(epoch_losses),
            "epoch_losses": torch.stack(losses).float().cpu() if losses else torch.zeros(0),
            "shuffle": shuffle.get_state() if whole else shuffle_state.clone(),
            "cpu_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            "model": _cpu_copy(model.state_dict()),
            "optimizer": _cpu_copy(optimizer.state_dict()),
            "seconds": time.perf_counter() - started - paused_time,
            "epochs_done": epochs_done,
            "train_loss": None if math.isnan(train_loss) else train_loss,
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
        }
        return Checkpoint(epoch, step, reason, state)

    for epoch in range(first_epoch, s.epochs + 1):
        epoch_started = time.perf_counter()
        shuffle_state = shuffle.get_state()  # what a mid-epoch checkpoint replays this epoch's order from
        perm = torch.randperm(n, generator=shuffle).to(device)
        batches = perm.split(s.batch_size)
        epoch_losses = []
        if skip:  # resuming mid-epoch: the same order, without the batches already done
            epoch_losses = list(resume["epoch_losses"].to(device).unbind())
            batches, skip = batches[len(epoch_losses) :], 0
        logged = restored = len(epoch_losses)
        for idx in batches:
            if step >= total:
                break
            if control.paused:
                held = control.waited
                go = control.wait_turn()
                paused_time += control.waited - held
            else:
                go = not control.stop_event.is_set()
            if not go:
                stopped = True
                break
            inputs = normalize(data.train_images[idx])  # (B, 3, 32, 32) floats in [-1, 1]
            labels = data.train_labels[idx]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            optimizer.step()
            step += 1
            epoch_losses.append(loss.detach())
            now = time.perf_counter()
            if now - last_log >= LOG_INTERVAL or control.paused:
                yield _log(epoch_losses[logged:], epoch, step, total, started, now, s.batch_size, s.lr, paused_time)
                logged = len(epoch_losses)
                last_log = now
                if now - last_snap >= SNAPSHOT_INTERVAL or control.paused:
                    yield snapshot(model, step, "live")
                    last_snap = now
                # (not after an epoch's last batch: its own checkpoint, with the epoch scored, follows)
                mid_epoch = len(epoch_losses) < steps_per_epoch
                if checkpoints and mid_epoch and now - last_checkpoint >= CHECKPOINT_INTERVAL:
                    yield checkpoint("interval")
                    last_checkpoint = time.perf_counter()
        if logged < len(epoch_losses):
            now = time.perf_counter()
            yield _log(epoch_losses[logged:], epoch, step, total, started, now, s.batch_size, s.lr, paused_time)
            last_log = now
        epoch_end_started = time.perf_counter()  # scoring, pictures and checkpoints are not training time
        if epoch_losses:
            train_loss = torch.stack(epoch_losses).mean().item()
        finished_epoch = len(epoch_losses) == steps_per_epoch
        if epoch_losses and not (stopped and control.quick):
            test_loss, test_accuracy, confusion = evaluate(model, data.test_images, data.test_labels, num_classes)
            if finished_epoch:
                epochs_done = epoch
            yield EpochEnded(
                epoch,
                step,
                train_loss,
                test_loss,
                test_accuracy,
                tuple(tuple(row) for row in confusion.tolist()),
                time.perf_counter() - epoch_started,
            )
            yield _predictions(model, data, sample, step)
            yield snapshot(model, step, "epoch")
            yield Note(
                f"epoch {epoch}" + ("" if finished_epoch else " (part)"),
                f"train loss {train_loss:.4f}   test loss {test_loss:.4f}   test accuracy {test_accuracy:.2f}%",
                step,
            )
        if checkpoints and (len(epoch_losses) > restored or stopped):
            yield checkpoint("stop" if stopped else "epoch" if finished_epoch else "end")
            last_checkpoint = time.perf_counter()
        paused_time += time.perf_counter() - epoch_end_started
        if stopped or step >= total:
            break
    elapsed = time.perf_counter() - started - paused_time
    yield Finished(
        lesson.number,
        dev,
        step,
        epochs_done,
        elapsed,
        step * s.batch_size / elapsed if elapsed > 0 else 0.0,
        None if math.isnan(train_loss) else train_loss,
        test_loss,
        test_accuracy,
        stopped=stopped,
    )


@torch.inference_mode()
def _predictions(model: nn.Module, data: ImageData, sample: slice, step: int) -> Predictions:
    """The model's class probabilities for a fixed sample of test images."""
    was_training = model.training
    model.eval()
    images = data.test_images[sample]
    probabilities = F.softmax(model(normalize(images)).float(), dim=1)
    model.train(was_training)
    return Predictions(step, images.cpu(), data.test_labels[sample].cpu(), probabilities.cpu(), data.classes)
