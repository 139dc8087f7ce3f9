"""Inside a lesson's network: what each layer computes for one picture, where its gradient goes,
and what the network makes of the learner's own picture (and of it flipped, shifted, noisier, darker).

All of it works on a `Subject`: the lesson's model rebuilt on the CPU from copies of its weights
(a WeightsSnapshot of a run going on or just ended, or a saved run's checkpoint), so the training
loop pays nothing and a run that has ended can still be looked into.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn import functional as F

from .datasets import normalize
from .errors import BabytuiError, RunError
from .tracing import Tracer

if TYPE_CHECKING:
    from .lessons import Lesson
    from .settings import Settings

WHAT_IFS = ("as it is", "flipped", "shifted", "noisier", "darker")
"""The changes to a picture the inside view tries, in the order a key cycles through them."""
SHIFT = 4
"""Pixels a shifted picture moves right and down."""
NOISE = 32.0
"""Standard deviation of the noise added to a noisier picture, in pixel levels (0-255)."""
NOISE_SEED = 0
"""The noise is the same every time, so the prediction changes only when the model does."""
SKIPPED = ("identity", "dropout", "reshape")
"""Stages the inside view leaves out: they change nothing a learner would look at."""


def printable(text: str) -> str:
    """A name from disk made safe for a terminal: control characters written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


@dataclass(frozen=True)
class LayerLook:
    """One layer's output for the picture (an activation right after a layer counts with it)."""

    name: str
    """'conv1 + relu', 'pool', 'fc2'."""
    stage: str
    """The name of the last stage it shows (the key of its output)."""
    kind: str
    """The kind of the layer's first stage: 'conv', 'pool', 'linear', ..."""
    values: torch.Tensor
    """Its output for the picture: (C, H, W) maps or (N,) units."""
    gradient: torch.Tensor | None
    """The gradient of the picture's loss with respect to that output; same shape."""


@dataclass(frozen=True)
class InsideLook:
    """What the network computes for one picture, layer by layer, and the gradients back to it."""

    step: int
    """Updates the weights had when looked at."""
    image: torch.Tensor
    """uint8 (3, H, W): the picture as the network got it."""
    label: int | None
    """Its true class, None for the learner's own picture."""
    target: int
    """The class whose loss the gradients are of: the true one, or else the predicted one."""
    layers: tuple[LayerLook, ...]
    """Every layer in the order they run."""
    probabilities: torch.Tensor
    """(classes,) the softmax of the output."""
    saliency: torch.Tensor
    """(H, W) how much each pixel moves the loss: the largest |gradient| over the colour channels."""
    classes: tuple[str, ...] = ()
    """Class names."""

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The k most likely classes as (index, probability), most likely first."""
        values, indices = self.probabilities.topk(min(k, len(self.probabilities)))
        return [(int(i), float(v)) for i, v in zip(indices, values)]


@dataclass(frozen=True)
class NetworkLook:
    """A small network on all its samples: every unit's value and gradient, every parameter's."""

    step: int
    """Updates done."""
    inputs: torch.Tensor
    """(N, F) the samples."""
    targets: torch.Tensor
    """(N, 1) what the outputs should be."""
    units: tuple[tuple[str, str, torch.Tensor, torch.Tensor | None], ...]
    """(stage, what it does, values (N, units), gradient of the loss on all samples (N, units))."""
    loss: float
    """The loss on all samples."""
    parameters: tuple[tuple[str, torch.Tensor, torch.Tensor | None], ...]
    """(name, values, the gradient the last update used) of every parameter."""


@dataclass
class Subject:
    """A lesson's model rebuilt on the CPU from copies of its weights, to look inside it."""

    lesson: Lesson
    """The lesson whose network it is."""
    settings: Settings
    """The settings it was built with."""
    classes: tuple[str, ...] = ()
    """Class names of its dataset (empty for the small lessons)."""
    step: int = 0
    """Updates the weights loaded had."""
    grads: dict[str, torch.Tensor | None] = field(default_factory=dict)
    """The gradients that came with the weights (a WeightsSnapshot's), by parameter name."""
    loaded: Any = None
    """What the weights were last loaded from (for the caller to tell a new snapshot from the same one)."""
    _model: nn.Module | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def model(self) -> nn.Module:
        """The network, in eval mode (built once; the weights come from `load`)."""
        if self._model is None:
            with torch.device("meta"):  # no weights drawn: the global random stream stays the run's
                model = self.lesson.build_model(self.settings, max(len(self.classes), 1))
            if model is None:
                raise BabytuiError(f"lesson {self.lesson.number} has no model to look into")
            self._model = model.to_empty(device="cpu").eval()
        return self._model

    def load(self, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor] | None = None, step: int = 0, grads: dict | None = None) -> None:
        """Put copies of the weights (and buffers, for batch norm) in: a snapshot's or a checkpoint's."""
        with self._lock:
            state = {**params, **(buffers or {})}
            try:
                self.model.load_state_dict(state, strict=True)
            except RuntimeError as exc:
                first = str(exc).strip().splitlines()
                raise RunError(f"these weights do not fit lesson {self.lesson.number}'s network: {first[1] if len(first) > 1 else first[0]}") from None
            self.step = step
            self.grads = dict(grads or {})

    def look(self, image: torch.Tensor, label: int | None = None) -> InsideLook:
        """What the network computes for one uint8 (3, H, W) picture, and the gradients back."""
        with self._lock:
            return look(self.model, image, label, self.classes, self.step)

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """Class probabilities (N, classes) for uint8 (N, 3, H, W) pictures."""
        with self._lock:
            return classify(self.model, images)

    def what_ifs(self, image: torch.Tensor) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
        """(change, the changed picture, its probabilities) for each of WHAT_IFS."""
        pictures = [what_if(image, change) for change in WHAT_IFS]
        probabilities = self.classify(torch.stack(pictures))
        return [(change, picture, p) for change, picture, p in zip(WHAT_IFS, pictures, probabilities)]

    def network_look(self) -> NetworkLook:
        """A small lesson's network on all its samples (see `network_look`)."""
        with self._lock:
            return network_look(self.model, self.lesson, self.settings, self.step, self.grads)


def classify(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Class probabilities (N, classes) of uint8 pictures: the softmax the loss sees."""
    with torch.no_grad():
        return F.softmax(model(normalize(images)).float(), dim=1)


def merged_layers(stages: list, outputs: dict[str, torch.Tensor]) -> list[tuple[str, str, str]]:
    """(shown name, stage whose output is shown, kind) of each layer: an activation joins the
    layer before it, and stages that change nothing worth seeing are left out."""
    layers: list[tuple[str, str, str]] = []
    for stage in stages:
        if stage.kind in SKIPPED or stage.name not in outputs:
            continue
        if stage.kind == "activation" and layers and layers[-1][2] != "activation":
            name, _, kind = layers[-1]
            layers[-1] = (f"{name} + {stage.function}", stage.name, kind)
        else:
            layers.append((stage.name, stage.name, stage.kind))
    return layers


def stage_outputs() -> tuple[dict[str, torch.Tensor], Any]:
    """A dict to fill, and the Tracer callback that keeps each stage's output (in the graph) in it."""
    outputs: dict[str, torch.Tensor] = {}

    def keep(stage, output) -> None:
        if stage.name not in outputs and output.requires_grad:
            outputs[stage.name] = output

    return outputs, keep


def look(model: nn.Module, image: torch.Tensor, label: int | None, classes: tuple[str, ...] = (), step: int = 0) -> InsideLook:
    """The forward pass of one picture kept stage by stage, and the gradient of its loss with
    respect to the picture (the saliency) and to every stage's output."""
    inputs = normalize(image.unsqueeze(0).to("cpu")).requires_grad_(True)  # (1, 3, H, W)
    outputs, keep = stage_outputs()
    with torch.enable_grad():
        with Tracer(model, keep) as tracer:
            logits = model(inputs).float()  # (1, classes)
        probabilities = F.softmax(logits, dim=1)[0]
        target = int(label) if label is not None else int(probabilities.argmax())
        loss = F.cross_entropy(logits, torch.tensor([target]))
        names = list(outputs)
        grads = torch.autograd.grad(loss, [inputs, *outputs.values()], allow_unused=True)
    by_stage = dict(zip(names, grads[1:]))
    layers = tuple(
        LayerLook(name, key, kind, outputs[key].detach()[0].clone(), None if by_stage[key] is None else by_stage[key][0].clone())
        for name, key, kind in merged_layers(tracer.stages, outputs)
    )
    saliency = grads[0][0].abs().amax(dim=0) if grads[0] is not None else torch.zeros(image.shape[-2:])
    return InsideLook(step, image.clone(), label, target, layers, probabilities.detach(), saliency, tuple(classes))


def what_if(image: torch.Tensor, change: str) -> torch.Tensor:
    """A uint8 (3, H, W) picture changed: 'flipped' left to right, 'shifted' SHIFT pixels right
    and down (the edge repeated), 'noisier', 'darker' (half the light); 'as it is' unchanged."""
    if change == "flipped":
        return image.flip(-1)
    if change == "shifted":
        padded = F.pad(image.float().unsqueeze(0), (SHIFT, 0, SHIFT, 0), mode="replicate")[0]
        return padded[:, : image.shape[-2], : image.shape[-1]].to(torch.uint8)
    if change == "noisier":
        noise = torch.randn(image.shape, generator=torch.Generator().manual_seed(NOISE_SEED)) * NOISE
        return (image.float() + noise).round().clamp(0, 255).to(torch.uint8)
    if change == "darker":
        return (image.float() * 0.5).round().to(torch.uint8)
    if change == "as it is":
        return image.clone()
    raise ValueError(f"no such change: {change!r} (choose {', '.join(WHAT_IFS)})")


def network_look(model: nn.Module, lesson: Lesson, settings: Settings, step: int = 0, grads: dict | None = None) -> NetworkLook:
    """A small lesson's network on all its samples: each stage's values, and the gradient of the
    loss on all of them with respect to each, beside every parameter and the gradient its last update used."""
    inputs, targets = lesson.data(settings)  # (N, F), (N, 1)
    values, keep = stage_outputs()
    with torch.enable_grad():
        with Tracer(model, keep) as tracer:
            outputs = model(inputs)
        loss = lesson.loss(nn.MSELoss(), outputs, targets, settings)
        unit_grads = torch.autograd.grad(loss, list(values.values()), allow_unused=True) if values else ()
    by_stage = dict(zip(values, unit_grads))
    from .architecture import describe

    units = tuple(
        (s.name, describe(s), values[s.name].detach().reshape(len(inputs), -1).clone(),
         None if by_stage[s.name] is None else by_stage[s.name].reshape(len(inputs), -1).clone())
        for s in tracer.stages
        if s.name in values and s.kind not in SKIPPED
    )
    grads = grads or {}
    parameters = tuple((name, p.detach().clone(), grads.get(name)) for name, p in model.named_parameters())
    return NetworkLook(step, inputs, targets, units, float(loss.detach()), parameters)


def load_picture(path: str | Path) -> torch.Tensor:
    """A picture file of any size or mode as uint8 (3, 32, 32), decoded as the folder dataset does."""
    from .datasets.folder import MAX_DECODE_PIXELS, read_image

    shown = printable(str(path))
    p = Path(path).expanduser()
    if not str(path).strip():
        raise BabytuiError("give the path of a picture file")
    if not p.exists():
        raise BabytuiError(f"{shown}: no such file")
    if p.is_dir():
        raise BabytuiError(f"{shown} is a folder, not a picture")
    pixels = read_image(str(p))
    if pixels == "too large":
        raise BabytuiError(f"{shown} is too large to decode (over {MAX_DECODE_PIXELS // 1_000_000} megapixels)")
    if isinstance(pixels, str):  # "damaged" or "unreadable"
        raise BabytuiError(f"{shown} cannot be read as a picture (not an image file, or damaged)")
    return torch.frombuffer(bytearray(pixels), dtype=torch.uint8).view(32, 32, 3).permute(2, 0, 1).contiguous()


def saved_classes(start: dict[str, Any] | None, state: dict[str, Any]) -> tuple[str, ...]:
    """The class names of a saved run: from its start record, else its dataset's own, else numbered."""
    start = start or {}
    names = start.get("classes")
    if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
        return tuple(names)
    dataset = start.get("dataset")
    if dataset == "cifar10":
        from .datasets.cifar10 import CIFAR10_CLASSES

        return tuple(CIFAR10_CLASSES)
    if dataset == "shapes":
        from .datasets.shapes_draw import SHAPES_CLASSES

        return tuple(SHAPES_CLASSES)
    last = [v for v in state.get("model", {}).values() if isinstance(v, torch.Tensor) and v.ndim == 1]
    return tuple(f"class {i}" for i in range(len(last[-1]) if last else 10))


def saved_subject(ref: str, store: Any = None) -> Subject:
    """A saved run of an image lesson with the weights of its last checkpoint; RunError when the
    run is missing, damaged, has no checkpoint or is not of an image lesson."""
    from .lessons import lesson_range
    from .runs import RunStore

    run = (store or RunStore()).find(ref)
    lesson, settings = run.lesson_and_settings()
    if not lesson.is_image:
        raise RunError(
            f"run {run.id} is lesson {lesson.number}, which learns from a few numbers: "
            f"pictures need a run of an image lesson ({lesson_range(image_only=True)})"
        )
    state = run.checkpoint(lesson)
    if not isinstance(state.get("model"), dict):
        raise RunError(f"run {run.id}: its checkpoint holds no weights")
    subject = Subject(lesson, settings, saved_classes(run.metrics().start, state))
    subject.load(state["model"], step=int(state.get("step", 0)))
    return subject
