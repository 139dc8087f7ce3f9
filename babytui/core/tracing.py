"""Following one forward pass stage by stage: which layers and functions ran, in order, and what each gave.

A lesson's network computes with modules (`self.conv1(x)`) and with plain functions
(`torch.sigmoid(x)`, `x.flatten(1)`); both are stages here. Forward hooks on the leaf modules see
the first kind; a TorchFunctionMode, active only inside the model's forward and outside every
leaf module, sees the second. Nothing is written per lesson: what a stage is comes from module
types and function names, so a network added later is traced the same way. Every hook is
removed when the `with` block ends: nothing stays attached to the model.

    with Tracer(model, on_output=keep) as tracer:   # keep(stage, output) as each stage ends
        outputs = model(inputs)
    tracer.stages                                  # [Stage('conv1', 'conv', ...), Stage('relu(conv1)', ...), ...]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

ACTIVATION_FUNCTIONS = frozenset(
    "relu sigmoid tanh gelu silu leaky_relu elu selu celu softplus softsign hardtanh relu6 mish "
    "hardswish hardsigmoid logsigmoid prelu".split()
)
"""Functions that are an activation when a forward calls them directly."""
POOL_FUNCTIONS = frozenset(
    f"{kind}_pool{d}d" for kind in ("max", "avg", "adaptive_max", "adaptive_avg", "lp") for d in (1, 2, 3)
)
"""Pooling functions a forward may call directly."""
RESHAPE_FUNCTIONS = frozenset(("flatten", "view", "reshape", "squeeze", "unsqueeze", "permute", "transpose"))
"""Functions that only rearrange the numbers."""
DROPOUT_FUNCTIONS = frozenset(("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"))
"""Dropout called as a function."""
OTHER_FUNCTIONS = frozenset(("softmax", "log_softmax", "batch_norm", "layer_norm", "group_norm"))
"""Other functions worth a stage of their own."""

MODULE_ACTIVATIONS = {
    "ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "GELU": "gelu", "SiLU": "silu", "LeakyReLU": "leaky_relu",
    "ELU": "elu", "SELU": "selu", "CELU": "celu", "Softplus": "softplus", "Softsign": "softsign", "Hardtanh": "hardtanh",
    "ReLU6": "relu6", "Mish": "mish", "Hardswish": "hardswish", "Hardsigmoid": "hardsigmoid", "LogSigmoid": "logsigmoid",
    "PReLU": "prelu",
}
"""Activation modules by class name, and the function each one is."""


@dataclass
class Stage:
    """One step of a forward pass: a leaf module's call or a function called by the forward itself."""

    name: str
    """Unique in the pass: the module's name ('conv1', 'pool #2' for its second call), or the
    function of the stage before ('relu(conv1)'), or a function's name ('flatten')."""
    kind: str
    """'conv', 'linear', 'pool', 'activation', 'norm', 'reshape', 'dropout', 'identity' or 'other'."""
    op: str
    """The module's class ('Conv2d') or the function ('relu', 'flatten')."""
    module: Any = None
    """The module called, None for a function."""
    module_name: str = ""
    """The module's name in the model, '' for a function."""
    call: int = 1
    """Which call of this module in the pass: 2 for a module used twice."""
    input_shape: tuple[int, ...] = ()
    """Shape of its (first) input, batch included."""
    output_shape: tuple[int, ...] = ()
    """Shape of its output, batch included."""

    @property
    def layer(self) -> str:
        """The name of the module it called ('linear' for a model that is a single layer), '' for a function."""
        if self.module is None:
            return ""
        return self.module_name or type(self.module).__name__.lower()

    @property
    def function(self) -> str:
        """What an activation computes ('relu', 'sigmoid'), '' for any other stage."""
        if self.kind != "activation":
            return ""
        return MODULE_ACTIVATIONS.get(self.op, self.op.lower()) if self.module is not None else self.op


def module_kind(module: nn.Module) -> str:
    """What a leaf module does, from its type."""
    from torch.nn.modules import batchnorm, conv, dropout, normalization, pooling

    if isinstance(module, nn.Identity):
        return "identity"
    if isinstance(module, conv._ConvNd):
        return "conv"
    if isinstance(module, (nn.Linear, nn.Bilinear)):
        return "linear"
    if type(module).__name__ in MODULE_ACTIVATIONS:
        return "activation"
    if type(module).__module__ == pooling.__name__:
        return "pool"
    if isinstance(module, (batchnorm._NormBase, normalization.LayerNorm, normalization.GroupNorm)):
        return "norm"
    if isinstance(module, dropout._DropoutNd):
        return "dropout"
    if isinstance(module, (nn.Flatten, nn.Unflatten)):
        return "reshape"
    return "other"


def function_kind(name: str) -> str | None:
    """What a function called by a forward does, None for one that is not a stage (arithmetic, sizes)."""
    if name in ACTIVATION_FUNCTIONS:
        return "activation"
    if name in POOL_FUNCTIONS:
        return "pool"
    if name in RESHAPE_FUNCTIONS:
        return "reshape"
    if name in DROPOUT_FUNCTIONS:
        return "dropout"
    if name in OTHER_FUNCTIONS:
        return "other"
    return None


def function_name(func: Any) -> str:
    """A function's plain name: F._max_pool2d and torch.relu_ are max_pool2d and relu."""
    name = getattr(func, "__name__", "") or ""
    name = name.strip("_")
    return name[: -len("_with_indices")] if name.endswith("_with_indices") else name


def first_tensor(value: Any) -> torch.Tensor | None:
    """The tensor a module returned (the first one of a tuple), None if none."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            if isinstance(item, torch.Tensor):
                return item
    return None


class _FunctionWatch(TorchFunctionMode):
    """Sees the functions a forward calls itself (not those inside a leaf module)."""

    def __init__(self, tracer: "Tracer") -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        output = func(*args, **(kwargs or {}))
        tracer = self.tracer
        if tracer.depth == 0 and not tracer.quiet:
            name = function_name(func)
            kind = function_kind(name)
            tensor = first_tensor(output)
            if kind is not None and tensor is not None:
                source = first_tensor(args[0] if args else None)
                tracer.record(name, kind, name, None, "", source, tensor)
        return output


class Tracer:
    """Records the stages of the forward passes run inside its `with` block; see the module's text."""

    def __init__(self, model: nn.Module, on_output: Callable[[Stage, torch.Tensor], None] | None = None) -> None:
        self.model = model
        """The network traced."""
        self.on_output = on_output
        """Called with each stage and its output (still in the autograd graph) as the stage ends."""
        self.stages: list[Stage] = []
        """The stages seen, in the order they ran."""
        self.depth = 0
        """How many leaf modules are running now: functions are stages only at 0."""
        self.quiet = False
        """True while the tracer's own code runs, so its torch calls are not stages."""
        self._handles: list[Any] = []
        self._calls: Counter[str] = Counter()
        self._names: Counter[str] = Counter()
        self._mode: _FunctionWatch | None = None
        self._inside = 0

    def __enter__(self) -> "Tracer":
        root = self.model
        self._handles.append(root.register_forward_pre_hook(self._root_enter))
        for name, module in root.named_modules():
            if next(module.children(), None) is None:  # a leaf: its own forward is one stage
                self._handles.append(module.register_forward_pre_hook(self._leaf_enter))
                self._handles.append(module.register_forward_hook(self._leaf_done(name), always_call=True))
        self._handles.append(root.register_forward_hook(self._root_done, always_call=True))
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._leave_mode()

    def _root_enter(self, module: nn.Module, args: Any) -> None:
        self._inside += 1
        if self._inside == 1:
            self._mode = _FunctionWatch(self)
            self._mode.__enter__()

    def _root_done(self, module: nn.Module, args: Any, output: Any) -> None:
        self._inside -= 1
        if self._inside == 0:
            self._leave_mode()

    def _leave_mode(self) -> None:
        if self._mode is not None:
            mode, self._mode = self._mode, None
            mode.__exit__(None, None, None)

    def _leaf_enter(self, module: nn.Module, args: Any) -> None:
        self.depth += 1

    def _leaf_done(self, name: str) -> Callable[..., None]:
        def done(module: nn.Module, args: Any, output: Any) -> None:
            self.depth -= 1
            tensor = first_tensor(output)
            if self.depth == 0 and tensor is not None:
                self._calls[name] += 1
                kind = module_kind(module)
                self.record(name or type(module).__name__.lower(), kind, type(module).__name__, module, name, first_tensor(args), tensor)

        return done

    def record(
        self, base: str, kind: str, op: str, module: nn.Module | None, module_name: str,
        source: torch.Tensor | None, output: torch.Tensor,
    ) -> None:
        """Add a stage and tell `on_output`."""
        if kind == "activation" and module is None:
            base = f"{base}({self.stages[-1].name if self.stages else 'input'})"
        self._names[base] += 1
        count = self._names[base]
        stage = Stage(
            base if count == 1 else f"{base} #{count}", kind, op, module, module_name,
            self._calls[module_name] if module is not None else 1,
            tuple(source.shape) if source is not None else (), tuple(output.shape),
        )
        self.stages.append(stage)
        if self.on_output is not None:
            self.quiet = True
            try:
                self.on_output(stage, output)
            finally:
                self.quiet = False


def trace(model: nn.Module, inputs: torch.Tensor, on_output: Callable[[Stage, torch.Tensor], None] | None = None) -> tuple[list[Stage], torch.Tensor]:
    """The stages of one forward pass of `inputs`, and its output."""
    with Tracer(model, on_output) as tracer:
        outputs = model(inputs)
    return tracer.stages, outputs
