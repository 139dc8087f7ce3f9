"""Training health: each layer's gradient over time, the update-to-weight ratio, dead ReLUs and
saturated sigmoids, measured while the loop trains, and what crosses a threshold said in words.

The loop pays for it only now and then. At each report it already makes, `note` reads the norm
of every layer's gradient (a few numbers, one device sync). When a check is due, `begin` traces
the next update (hooks for that one forward pass, see `tracing`) and `end`, after the update,
turns it into a HealthChecked event and removes the hooks. `blame` names the layer that blew up
first when the loss stops being a number.

    watch = HealthWatch(model, loss_fn, lesson)
    probe = watch.begin() if watch.due else None    # before the update
    ...                                            # zero_grad, forward, loss, backward, step
    if probe is not None:
        yield watch.end(probe, step)                # HealthChecked
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .events import ActivationHealth, HealthChecked, LayerHealth
from .health_words import BOUNDED, DEAD_FUNCTIONS, findings
from .tracing import Stage, Tracer

if TYPE_CHECKING:
    from .lessons import Lesson

HEALTH_INTERVAL = 1.0
"""Seconds between health checks while an image lesson trains."""
DEAD_WINDOW = 64
"""Training images a dead-ReLU share is measured over: a unit is dead if none of them lit it."""
SATURATED = 0.02
"""A sigmoid output within this of 0 or 1 (a tanh's of -1 or 1) is saturated: its slope is nearly 0."""
HISTORY = 4096
"""Gradient notes kept for telling what blew up."""
FORGET = 10
"""Checks a finding must be absent before it is news again (a share near its threshold comes and goes)."""
USUAL = 50
"""Earlier notes whose median is a layer's usual gradient, when telling what blew up."""
BLOWN_UP = 100.0
"""A gradient this many times its usual size has blown up."""


def layer_groups(model: nn.Module) -> list[tuple[str, str, list[nn.Parameter]]]:
    """(name, module class, parameters) of every module holding parameters, in definition order."""
    groups: dict[str, tuple[str, list[nn.Parameter]]] = {}
    for name, p in model.named_parameters():
        path = name.rpartition(".")[0]
        module = model.get_submodule(path) if path else model
        groups.setdefault(path or type(module).__name__.lower(), (type(module).__name__, []))[1].append(p)  # as Stage.layer
    return [(key, kind, params) for key, (kind, params) in groups.items()]


def _norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The norm of several tensors taken together (0-d, on their device)."""
    parts = [torch.linalg.vector_norm(t.detach().float()) for t in tensors]
    return torch.linalg.vector_norm(torch.stack(parts)) if parts else torch.zeros(())


class Probe:
    """What one traced update collects: activation statistics, output gradients, weights before."""

    def __init__(self, watch: "HealthWatch") -> None:
        self.watch = watch
        """The watch that began it."""
        self.before = [p.detach().clone() for _, _, params in watch.layers for p in params]
        """Every parameter before the update, for the update-to-weight ratio."""
        self.stats: dict[str, dict[str, torch.Tensor]] = {}
        """Per activation stage: 'zero', 'saturated' (device scalars)."""
        self.output_gradients: dict[str, torch.Tensor] = {}
        """Per stage: the norm of the loss's gradient with respect to its output."""
        self.samples = 0
        """Images in the batch."""
        self.tracer = Tracer(watch.model, self.on_output)
        self.tracer.__enter__()

    def on_output(self, stage: Stage, output: torch.Tensor) -> None:
        """Measure an activation's outputs, and ask for the gradient at every stage's output."""
        if output.requires_grad:
            output.register_hook(lambda grad, name=stage.name: self.output_gradients.__setitem__(name, torch.linalg.vector_norm(grad.detach().float())))
        if stage.kind != "activation" or output.ndim == 0:
            return
        self.samples = max(self.samples, output.shape[0])
        values = output.detach()
        fn = stage.function
        stats: dict[str, torch.Tensor] = {}
        if fn in DEAD_FUNCTIONS:
            stats["zero"] = (values <= 0).float().mean()
            self.watch.light_units(stage.name, (values > 0).flatten(1).any(0) if values.ndim > 1 else (values > 0), output.shape[0])
        if fn in BOUNDED:
            low, high = BOUNDED[fn]
            margin = SATURATED * (high - low)
            stats["saturated"] = ((values < low + margin) | (values > high - margin)).float().mean()
        self.stats[stage.name] = stats

    def close(self) -> None:
        """Take the hooks off the model."""
        self.tracer.__exit__(None, None, None)


class HealthWatch:
    """Watches one run's model: notes gradients at reports, checks an update when due, names what blew up."""

    def __init__(self, model: nn.Module, loss_fn: Any = None, lesson: Lesson | None = None, *, classes: int = 0, interval: float = HEALTH_INTERVAL) -> None:
        self.model = model
        """The model trained."""
        self.cross_entropy = isinstance(loss_fn, nn.CrossEntropyLoss)
        """True when the loss wants raw scores (logits)."""
        self.fields: tuple[str, ...] = tuple(lesson.fields) if lesson is not None else ()
        """The lesson's settings, to point at the one that helps."""
        self.classes = classes
        """Classes of an image dataset, 0 otherwise."""
        self.interval = interval
        """Seconds between checks."""
        self.layers = layer_groups(model)
        """(name, module class, parameters) of every layer with parameters, in definition order."""
        self.order: list[int] = list(range(len(self.layers)))
        """Positions of the layers in the order the forward pass runs them (known after a check)."""
        self.history: deque[tuple[int, tuple[float, ...]]] = deque(maxlen=HISTORY)
        """(step, each layer's gradient norm in definition order), at each note and check."""
        self.due = bool(self.layers)
        """True when the next update should be checked (set at each note)."""
        self.loss: float | None = None
        """The loss of the update checked last."""
        self.first_loss: float | None = None
        """The loss of the first update checked: a loss far below it explains tiny gradients."""
        self.lr_share = 1.0
        """The lr in use over the run's own lr: a schedule's low tail makes small updates its intent, not a slip."""
        self.device = next((p.device for _, _, params in self.layers for p in params), torch.device("cpu"))
        """Where the model is: the numbers of a check are gathered there and synced once."""
        self._last_check = float("-inf")
        self._flow_step = -1
        self._alive: dict[str, torch.Tensor] = {}
        self._window: dict[str, int] = {}
        self._dead: dict[str, tuple[torch.Tensor, int]] = {}
        self._absent: dict[str, int] = {}

    # Notes at each report

    def note(self, step: int) -> None:
        """Note every layer's gradient norm now (one device sync); decide if the next update is checked."""
        if self.layers and not (self.history and self.history[-1][0] == step):  # (a check noted this update)
            norms = torch.stack([_norm([p.grad for p in params if p.grad is not None]).to(self.device) for _, _, params in self.layers])
            self.history.append((step, tuple(norms.tolist())))
        self.due = bool(self.layers) and time.perf_counter() - self._last_check >= self.interval

    # A checked update

    def begin(self) -> Probe:
        """Trace the next update: call before its forward pass."""
        self.due = False
        self._last_check = time.perf_counter()
        return Probe(self)

    def light_units(self, name: str, alive: torch.Tensor, samples: int) -> None:
        """Add which units fired on these images to the window of a dead-ReLU share."""
        seen = self._alive.get(name)
        self._alive[name] = alive if seen is None or seen.shape != alive.shape else seen | alive
        self._window[name] = self._window.get(name, 0) + samples
        if self._window[name] >= DEAD_WINDOW:
            self._dead[name] = (1.0 - self._alive[name].float().mean(), self._window[name])
            del self._alive[name], self._window[name]

    def end(self, probe: Probe, step: int, loss: torch.Tensor | None = None) -> HealthChecked:
        """After the update (its `loss`): the check as an event (one device sync), the hooks taken off."""
        probe.close()
        stages = probe.tracer.stages
        stage_of = {s.layer: s.name for s in stages if s.module is not None and s.call == 1}
        positions = {name: i for i, (name, _, _) in enumerate(self.layers)}
        ran = [positions[name] for name in stage_of if name in positions]
        self.order = ran + [i for i in range(len(self.layers)) if i not in ran]
        scalars: list[torch.Tensor] = []

        def add(value: torch.Tensor) -> int:
            scalars.append(value.detach().float().reshape(()).to(self.device))
            return len(scalars) - 1

        befores = iter(probe.before)
        rows = []
        for _, _, params in self.layers:
            before = [next(befores) for _ in params]
            grads = [p.grad for p in params if p.grad is not None]
            rows.append((add(_norm(grads)), add(_norm(list(params))), add(_norm([p.detach() - b for p, b in zip(params, before)])), add(_norm(before))))
        grad_at = {name: add(g) for name, g in probe.output_gradients.items()}
        stat_at = {(name, key): add(v) for name, stats in probe.stats.items() for key, v in stats.items()}
        dead_at = {name: (add(v), n) for name, (v, n) in self._dead.items()}
        loss_at = add(loss) if loss is not None else None
        values = torch.stack(scalars).tolist() if scalars else []
        if loss_at is not None:
            self.loss = values[loss_at]
            self.first_loss = self.loss if self.first_loss is None else self.first_loss

        def value(key: Any) -> float | None:
            return None if key is None else values[key]

        layers = []
        for i in self.order:
            name, kind, _ = self.layers[i]
            g, w, moved, was = rows[i]
            layers.append(LayerHealth(
                name, kind, values[g], values[w], values[moved] / values[was] if values[was] > 0 else None,
                value(grad_at.get(stage_of.get(name, ""))),
            ))
        activations = [
            ActivationHealth(
                s.name, s.function, value(stat_at.get((s.name, "zero"))),
                value(dead_at[s.name][0]) if s.name in dead_at else None, dead_at[s.name][1] if s.name in dead_at else 0,
                value(stat_at.get((s.name, "saturated"))),
            )
            for s in stages
            if s.kind == "activation" and s.name in probe.stats
        ]
        self.history.append((step, tuple(values[g] for g, _, _, _ in rows)))
        flow = tuple((s, tuple(norms[i] for i in self.order)) for s, norms in self.history if s > self._flow_step)
        self._flow_step = step
        said = findings(self, stages, layers, activations, {name: values[i] for name, i in grad_at.items()})
        return HealthChecked(
            step, tuple(layers), tuple(activations), flow, tuple(text for _, _, text in said),
            tuple(self._news(said)), said[0][1] if said else healthy_line(step, layers, activations),
        )

    def _news(self, said: list[tuple[str, str, str]]) -> list[str]:
        """The findings not said lately (a finding must be gone FORGET checks to be news again)."""
        keys = {key for key, _, _ in said}
        news = [text for key, _, text in said if key not in self._absent]
        for key in list(self._absent):
            if key not in keys:
                self._absent[key] += 1
                if self._absent[key] >= FORGET:
                    del self._absent[key]
        for key in keys:
            self._absent[key] = 0
        return news

    def usual_gradient(self, name: str) -> float | None:
        """A layer's usual gradient norm: the median of the USUAL notes before the latest (None: too few)."""
        i = next((k for k, (n, _, _) in enumerate(self.layers) if n == name), None)
        if i is None:
            return None
        earlier = [norms[i] for _, norms in list(self.history)[-USUAL - 1 : -1] if math.isfinite(norms[i]) and norms[i] > 0]
        return statistics.median(earlier) if len(earlier) >= 5 else None

    # A diverged run

    def blame(self, step: int) -> str:
        """Which layer blew up first, in words, from the gradients noted up to `step` ('' if none did)."""
        names = [name for name, _, _ in self.layers]
        notes = [norms for s, norms in self.history if s <= step]
        steps = [s for s, _ in self.history if s <= step]
        for k, norms in enumerate(notes):
            worst: tuple[float, int, float] | None = None  # (growth, layer, its usual size)
            for i, now in enumerate(norms):
                earlier = [n[i] for n in notes[max(0, k - USUAL) : k] if math.isfinite(n[i]) and n[i] > 0]
                if not earlier:
                    continue
                usual = statistics.median(earlier)
                growth = now / usual if math.isfinite(now) else math.inf
                if growth >= BLOWN_UP and (worst is None or growth > worst[0]):
                    worst = (growth, i, usual)
            if worst is not None:
                growth, i, usual = worst
                if math.isinf(growth):
                    return f"{names[i]} blew up first: its gradient stopped being a number at step {steps[k]:,} (it had been about {usual:.3g})"
                return f"{names[i]} blew up first: its gradient grew {growth:,.0f}-fold by step {steps[k]:,} ({usual:.3g} to {norms[i]:.3g})"
        return ""


def healthy_line(step: int, layers: list[LayerHealth], activations: list[ActivationHealth]) -> str:
    """The health line when nothing crossed a threshold: what the numbers are."""
    parts = [f"healthy at step {step:,}"]
    fed = [layer for layer in layers if layer.weights > 0 and layer.gradient > 0]
    if len(fed) > 1:
        best = max(fed, key=lambda layer: layer.relative_gradient)
        first = fed[0]
        share = first.relative_gradient / best.relative_gradient
        if first is not best and 0 < share <= 0.5:
            parts.append(f"gradient reaches every layer ({first.name} gets 1/{1 / share:,.0f} of {best.name}'s, for its size)")
        else:
            parts.append("gradient reaches every layer")
    updates = [layer.update for layer in layers if layer.update]
    if updates:
        parts.append(f"updates {statistics.median(updates):.1e} of the weights (rule of thumb ~1e-3)")
    dead = [a.dead for a in activations if a.dead is not None]
    if dead:
        parts.append(f"dead ReLUs {100 * max(dead):.0f}%")
    saturated = [a.saturated for a in activations if a.saturated is not None]
    if saturated:
        parts.append(f"saturated {100 * max(saturated):.0f}%")
    return " · ".join(parts)
