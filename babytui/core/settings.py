"""The settings of a lesson and their validation: the one place the form and the CLI ask."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .datasets import DATASETS, REGISTRY
from .errors import SettingsError

ACTIVATIONS = ("sigmoid", "relu", "tanh")
DEVICES = ("auto", "cpu", "cuda", "mps")
OPTIMIZERS = ("sgd", "adam", "adamw")
"""torch.optim's SGD (with momentum and Nesterov as its settings), Adam and AdamW."""
SCHEDULES = ("constant", "step", "cosine", "onecycle")
"""How the lr moves over a run: not at all, down by gamma every few epochs, a cosine to 0, one cycle."""
INITS = ("default", "zeros", "normal", "xavier", "kaiming")
"""How the weights start: PyTorch's own, all zeros, normal with init_std, Xavier (Glorot), Kaiming (He)."""


@dataclass(frozen=True)
class Settings:
    """Every setting a lesson may have; each lesson uses a subset (see `Lesson.fields`)."""

    lr: float = 0.1
    """Learning rate of plain SGD."""
    epochs: int = 3
    """Passes over the training data."""
    batch_size: int = 4
    """Samples per update."""
    seed: int = 0
    """Seed for the initial weights and the shuffling."""
    device: str = "auto"
    """auto, cpu, cuda, cuda:N or mps."""
    dataset: str = "cifar10"
    """Which image dataset the image lessons train on."""
    data_root: str = ""
    """Folder holding the dataset; empty means the default place (for folder: the image folder)."""
    trust_data: bool = False
    """Use a CIFAR-10 copy whose checksums differ from the official files (one the user vouches for)."""
    max_steps: int = 0
    """Stop after this many updates; 0 means no limit."""
    x: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)
    """The input vector of lessons 1-6."""
    target: float = 0.0
    """The value lessons 3-6 want the model to output."""
    targets: tuple[float, ...] = (0.0, 1.0, 1.0, 0.0)
    """One target per sample in lessons 7-9."""
    hidden: int = 2
    """Units in the hidden layer."""
    activation: str = "sigmoid"
    """The nonlinearity between layers."""
    output_activation: bool = True
    """Apply the activation to the network's output too, as the tutorial does."""
    first_layer_only: bool = False
    """Give the optimizer only the first layer, the tutorial's slip in lesson 8."""
    flat_targets: bool = False
    """Shape lesson 7's targets (B,) as the tutorial does: against (B, 1) outputs the loss broadcasts to (B, B)."""
    conv1_channels: int = 6
    """Feature maps of the first convolution."""
    conv2_channels: int = 20
    """Feature maps of the second convolution."""
    validation_size: int = 0
    """Training images held out as a validation split, scored each epoch; 0 for none."""
    patience: int = 0
    """Stop when validation accuracy has not improved for this many epochs; 0 never stops early."""
    restore_best: bool = True
    """With a validation split: put back the best epoch's weights at the end and score those."""
    optimizer: str = "sgd"
    """One of OPTIMIZERS."""
    momentum: float = 0.0
    """SGD's momentum: how much of the last step carries into the next (0: plain SGD)."""
    nesterov: bool = False
    """SGD: take the gradient after the momentum's step (needs a momentum above 0)."""
    betas: tuple[float, ...] = (0.9, 0.999)
    """Adam and AdamW: the decay of the running mean of the gradient and of its square."""
    weight_decay: float = 0.0
    """Pulls every weight toward 0 each step (AdamW: decoupled from the gradient)."""
    schedule: str = "constant"
    """One of SCHEDULES; the lr setting is its starting (step, cosine) or highest (onecycle) value."""
    step_epochs: int = 2
    """The step schedule multiplies the lr by gamma every this many epochs."""
    gamma: float = 0.1
    """The step schedule's factor."""
    warmup: float = 0.3
    """One-cycle: the fraction of the run spent raising the lr to its highest."""
    range_steps: int = 300
    """Batches of an LR range test."""
    range_min_lr: float = 1e-5
    """The lr an LR range test starts from."""
    range_max_lr: float = 10.0
    """The lr an LR range test grows to, unless the loss explodes first."""
    crop_pad: int = 0
    """Augmentation: shift each training image by up to this many pixels (a random crop with padding); 0 for none."""
    flip: bool = False
    """Augmentation: mirror about half of the training images left to right, a new draw each batch."""
    label_smoothing: float = 0.0
    """The share of each target spread evenly over all classes in the training loss (0: plain one-hot)."""
    init: str = "default"
    """One of INITS: how the weights of the linear and convolution layers start (biases start at 0 unless default)."""
    init_std: float = 0.01
    """The standard deviation of the normal init."""
    depth: int = 8
    """Hidden layers of a deep plain network."""
    batch_norm: bool = False
    """Batch normalization after each convolution."""
    dropout: float = 0.0
    """The share of a layer's outputs zeroed at random while training (0: no dropout)."""
    channels_last: bool = False
    """Keep images and convolution weights in channels-last memory order (faster convolutions on many devices)."""
    tta: bool = False
    """Test-time augmentation: score each test image and its mirror image, averaging the two predictions."""
    width: int = 64
    """Channels of the first block of a wide network; each later block doubles them."""

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some settings changed (not validated)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Field:
    """How one setting is typed, parsed, bounded and explained."""

    name: str
    """Attribute of `Settings`, and the CLI flag with dashes."""
    label: str
    """Short label for the form."""
    help: str
    """One line for `--help` and the form's tooltip."""
    parse: Callable[[str], Any]
    """Turns typed text into a value or raises SettingsError."""
    choices: tuple[str, ...] = ()
    """The allowed values, for a choice."""

    @property
    def flag(self) -> str:
        """The command-line flag of this setting."""
        return "--" + self.name.replace("_", "-")

    def format(self, value: Any) -> str:
        """The value as the user would type it."""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, tuple):
            return ", ".join(_fmt_number(v) for v in value)
        if isinstance(value, float):
            return _fmt_number(value)
        return str(value)


def _fmt_number(v: float) -> str:
    return f"{v:g}"


def _int(name: str, lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        text = str(text).strip().replace("_", "")
        try:
            value = int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                raise SettingsError(name, f"{text!r} is not a whole number") from None
            if not as_float.is_integer():
                raise SettingsError(name, f"{text!r} is not a whole number") from None
            value = int(as_float)
        if value < lo:
            raise SettingsError(name, f"must be at least {lo} (got {value})")
        if value > hi:
            raise SettingsError(name, f"must be at most {hi:,} (got {value:,})")
        return value

    return parse


def _float(name: str, lo: float, hi: float, *, positive: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        text = str(text).strip()
        try:
            value = float(text)
        except ValueError:
            raise SettingsError(name, f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise SettingsError(name, f"must be a finite number (got {text})")
        if positive and value <= 0:
            raise SettingsError(name, f"must be greater than 0 (got {text})")
        if value < lo or value > hi:
            raise SettingsError(name, f"must be between {lo:g} and {hi:g} (got {text})")
        return value

    return parse


def _floats(name: str, length: int | None, lo: float = -1e6, hi: float = 1e6) -> Callable[[str], tuple]:
    one = _float(name, lo, hi)

    def parse(text: str) -> tuple[float, ...]:
        parts = [p for p in str(text).replace(",", " ").replace("[", " ").replace("]", " ").split()]
        if not parts:
            raise SettingsError(name, "needs at least one number, like 1, 2, 3, 4")
        values = tuple(one(p) for p in parts)
        if length is not None and len(values) != length:
            raise SettingsError(name, f"needs exactly {length} numbers (got {len(values)})")
        return values

    return parse


def _fraction(name: str) -> Callable[[str], float]:
    """A number from 0 up to, not including, 1 (a momentum, a beta)."""
    number = _float(name, 0, 1)

    def parse(text: str) -> float:
        value = number(text)
        if value >= 1:
            raise SettingsError(name, f"must be below 1 (got {str(text).strip()}): at 1 nothing is ever forgotten")
        return value

    return parse


def _warmup(text: str) -> float:
    value = _float("warmup", 0, 1, positive=True)(text)
    if value >= 1:
        raise SettingsError("warmup", "must be below 1: one-cycle needs some of the run to bring the lr down")
    return value


def _betas(text: str) -> tuple[float, ...]:
    values = _floats("betas", 2, 0, 1)(text)
    for value in values:
        if value >= 1:
            raise SettingsError("betas", f"each must be below 1 (got {value:g})")
    return values


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = str(text).strip().lower()
        if value not in choices:
            raise SettingsError(name, f"{text!r} is not one of {', '.join(choices)}")
        return value

    return parse


def _device(text: str) -> str:
    value = str(text).strip().lower()
    if value in DEVICES:
        return value
    if value.startswith("cuda:") and value[5:].isdigit():
        return value
    raise SettingsError("device", f"{text!r} is not one of {', '.join(DEVICES)} (or cuda:N)")


def _bool(name: str) -> Callable[[str], bool]:
    def parse(text: str) -> bool:
        value = str(text).strip().lower()
        if value in ("1", "true", "yes", "on", "y"):
            return True
        if value in ("0", "false", "no", "off", "n"):
            return False
        raise SettingsError(name, f"{text!r} is not yes or no")

    return parse


def _path(text: str) -> str:
    return str(text).strip()


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("lr", "learning rate", "learning rate of SGD", _float("lr", 0, 1000, positive=True)),
        Field("epochs", "epochs", "passes over the training data", _int("epochs", 1, 1_000_000)),
        Field("batch_size", "batch size", "samples per update", _int("batch_size", 1, 65_536)),
        Field("seed", "seed", "seed for the initial weights and the shuffling", _int("seed", 0, 2**32 - 1)),
        Field("device", "device", "auto, cpu, cuda, cuda:N or mps", _device, DEVICES),
        Field("dataset", "dataset", "the image dataset: " + "; ".join(f"{m.NAME}, {m.HELP}" for m in REGISTRY.values()), _choice("dataset", DATASETS), DATASETS),
        Field("data_root", "data root", "folder that holds the dataset (for folder: the images, one sub-folder per class)", _path),
        Field("trust_data", "trust data", "use a CIFAR-10 copy whose checksums differ from the official files", _bool("trust_data")),
        Field("max_steps", "max steps", "stop after this many updates (0: no limit)", _int("max_steps", 0, 10**9)),
        Field("x", "input x", "the input vector, e.g. 1, 2, 3, 4", _floats("x", None)),
        Field("target", "target", "the output the model should learn", _float("target", -1e6, 1e6)),
        Field("targets", "targets", "one target per sample, e.g. 0, 1, 1, 0", _floats("targets", 4)),
        Field("hidden", "hidden units", "units in the hidden layer", _int("hidden", 1, 4096)),
        Field("activation", "activation", "nonlinearity between layers", _choice("activation", ACTIVATIONS), ACTIVATIONS),
        Field("output_activation", "activation on output", "apply the activation to the output too (the tutorial does)", _bool("output_activation")),
        Field("first_layer_only", "optimize first layer only", "give SGD only the first layer (the tutorial's slip)", _bool("first_layer_only")),
        Field("flat_targets", "targets as (B,)", "shape the targets (B,) as the tutorial does: against (B, 1) outputs MSELoss broadcasts to (B, B), a wrong loss with no error", _bool("flat_targets")),
        Field("conv1_channels", "conv1 channels", "feature maps of the first convolution", _int("conv1_channels", 1, 256)),
        Field("conv2_channels", "conv2 channels", "feature maps of the second convolution", _int("conv2_channels", 1, 256)),
        Field("validation_size", "validation", "training images held out to choose the best epoch (0: none)", _int("validation_size", 0, 10_000_000)),
        Field("patience", "patience", "stop after this many epochs without a better validation accuracy (0: never)", _int("patience", 0, 1_000_000)),
        Field("restore_best", "restore best", "at the end, put back the weights of the epoch best on validation", _bool("restore_best")),
        Field("optimizer", "optimizer", "sgd (with momentum, nesterov), adam or adamw", _choice("optimizer", OPTIMIZERS), OPTIMIZERS),
        Field("momentum", "momentum", "sgd: the share of the last step kept in the next, 0 to below 1", _fraction("momentum")),
        Field("nesterov", "nesterov", "sgd: look ahead along the momentum before taking the gradient", _bool("nesterov")),
        Field("betas", "betas", "adam, adamw: decay of the mean gradient and of its square, e.g. 0.9, 0.999", _betas),
        Field("weight_decay", "weight decay", "pull every weight toward 0 each step (adamw: decoupled)", _float("weight_decay", 0, 10)),
        Field("schedule", "schedule", "how the lr moves: constant, step, cosine or onecycle (lr is its peak)", _choice("schedule", SCHEDULES), SCHEDULES),
        Field("step_epochs", "step every", "step schedule: multiply the lr by gamma every this many epochs", _int("step_epochs", 1, 1_000_000)),
        Field("gamma", "gamma", "step schedule: the factor, e.g. 0.1", _float("gamma", 0, 1, positive=True)),
        Field("warmup", "warmup", "onecycle: the fraction of the run spent raising the lr, e.g. 0.3", _warmup),
        Field("range_steps", "range steps", "LR range test: batches, the lr growing by the same factor each", _int("range_steps", 10, 100_000)),
        Field("range_min_lr", "range min lr", "LR range test: the lr it starts from", _float("range_min_lr", 0, 1000, positive=True)),
        Field("range_max_lr", "range max lr", "LR range test: the lr it grows to unless the loss explodes first", _float("range_max_lr", 0, 1000, positive=True)),
        Field("crop_pad", "crop padding", "augmentation: shift each training image by up to this many pixels (0: none)", _int("crop_pad", 0, 16)),
        Field("flip", "flip", "augmentation: mirror about half the training images each batch", _bool("flip")),
        Field("label_smoothing", "label smoothing", "spread this share of each target over all classes in the training loss, 0 to 0.9", _float("label_smoothing", 0, 0.9)),
        Field("init", "init", "how the weights start: default (PyTorch's), zeros, normal (init std), xavier or kaiming", _choice("init", INITS), INITS),
        Field("init_std", "init std", "normal init: the standard deviation of the weights", _float("init_std", 0, 10, positive=True)),
        Field("depth", "depth", "hidden layers of the deep plain network", _int("depth", 1, 32)),
        Field("batch_norm", "batch norm", "batch normalization after each convolution", _bool("batch_norm")),
        Field("dropout", "dropout", "while training, zero this share of a layer's outputs at random, 0 to 0.9", _float("dropout", 0, 0.9)),
        Field("channels_last", "channels last", "keep images and convolution weights in channels-last memory order", _bool("channels_last")),
        Field("tta", "test-time flip", "score each test image and its mirror image, averaging the two predictions", _bool("tta")),
        Field("width", "width", "channels of the network's first block; each later block doubles them", _int("width", 4, 512)),
    )
}


def parse_value(name: str, value: Any) -> Any:
    """Parse one setting from text (or pass a typed value through the same checks)."""
    field = FIELDS.get(name)
    if field is None:
        raise SettingsError(name, "is not a setting")
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, (tuple, list)):
        value = ", ".join(str(v) for v in value)
    return field.parse(str(value))


def _check_together(fields: tuple[str, ...], s: Settings) -> None:
    """Settings that are fine alone but not together; the reason hangs on the field to change."""
    if "nesterov" in fields and s.nesterov and s.optimizer == "sgd" and s.momentum == 0:
        raise SettingsError("nesterov", "needs a momentum above 0: it looks ahead along the momentum")
    if "range_max_lr" in fields and s.range_max_lr <= s.range_min_lr:
        raise SettingsError("range_max_lr", f"must be above range min lr ({s.range_min_lr:g})")


def validate(fields: tuple[str, ...], base: Settings, values: Mapping[str, Any]) -> Settings:
    """Check `values` (text or typed) for a lesson with `fields` and apply them to `base`.

    Raises SettingsError naming the first bad field. Fields the lesson does not have are refused.
    """
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name not in fields:
            if name in FIELDS:
                raise SettingsError(name, f"does not apply to this lesson (it has: {', '.join(fields)})")
            raise SettingsError(name, "is not a setting")
        changes[name] = parse_value(name, value)
    settings = base.replace(**changes)
    _check_together(fields, settings)
    if "dataset" in fields and REGISTRY[settings.dataset].NEEDS_ROOT and not settings.data_root.strip():
        raise SettingsError("data_root", f"the {settings.dataset} dataset needs a data root: the {REGISTRY[settings.dataset].ROOT_HELP}")
    return settings


def check_data_root(fields: tuple[str, ...], settings: Settings) -> None:
    """Check on the disk that the data root can serve the dataset, as typed (a new run, not a saved one).

    Raises SettingsError("data_root", why) for a file, a folder that cannot be read, a missing image
    folder, or a CIFAR-10 folder that is missing and cannot be made; the default root is not checked.
    """
    if "data_root" not in fields or not settings.data_root.strip() or not getattr(REGISTRY[settings.dataset], "ROOT_USED", True):
        return
    root = Path(settings.data_root.strip()).expanduser()
    try:
        if os.path.islink(root) and not root.exists():
            raise SettingsError("data_root", f"{root} is a symbolic link that leads nowhere (a loop, or its target is gone)")
        if root.exists():
            if not root.is_dir():
                raise SettingsError("data_root", f"{root} is a file, not a folder")
            if not os.access(root, os.R_OK | os.X_OK):
                raise SettingsError("data_root", f"{root} cannot be read (permission denied)")
            return
        if REGISTRY[settings.dataset].NEEDS_ROOT:
            raise SettingsError("data_root", f"{root} does not exist: the {REGISTRY[settings.dataset].ROOT_HELP}")
        parent = next(p for p in root.parents if p.exists())  # the download makes the folders below it
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise SettingsError("data_root", f"{root} does not exist and cannot be made ({parent} is not a writable folder)")
    except OSError as exc:  # a name too long, a loop of links
        raise SettingsError("data_root", f"{root}: {exc.strerror or exc}") from None
