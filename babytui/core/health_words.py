"""What a health check found, in plain words: each problem that crossed its threshold as a sentence
that says what is measured, why it matters and which setting of the lesson helps.

The thresholds are rules of thumb, said as such: an update about 1e-3 of the weights' size, a
layer starved of gradient when it gets 1,000 times less than the best-fed one, half of a layer's
units dead or saturated.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .settings import FIELDS

if TYPE_CHECKING:
    from .events import ActivationHealth, LayerHealth
    from .tracing import Stage

RULE_OF_THUMB = 1e-3
"""The update-to-weight ratio healthy training tends to have."""
VANISHING = 1e-3
"""A layer whose gradient, for its size, is this share of the best-fed layer's is starved."""
EXPLODING = 100.0
"""A gradient this many times its usual size is exploding."""
UPDATE_TOO_LARGE = 0.1
"""An update changing a layer's weights by more than this share of their size is too large."""
UPDATE_TOO_SMALL = 1e-5
"""Updates all below this share of the weights barely move them."""
SCHEDULED_LOW = 0.1
"""Below this share of its own lr, a run's schedule is bringing it down on purpose: small updates are no slip."""
DEAD_SHARE = 0.5
"""The share of dead ReLUs in a layer worth a sentence."""
SATURATED_SHARE = 0.5
"""The share of saturated sigmoid (or tanh) outputs worth a sentence."""
BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "hardtanh": (-1.0, 1.0), "hardsigmoid": (0.0, 1.0), "softsign": (-1.0, 1.0)}
"""Activations that squeeze every input into a range, and that range."""
DEAD_FUNCTIONS = frozenset(("relu", "relu6"))
"""Activations whose units can die."""

Finding = tuple[str, str, str]
"""(key, the health line's short form, the sentence)."""


def hint(watch: Any, field: str) -> str:
    """' (see the lesson's 'activation on output' setting)' when the lesson has that setting."""
    return f" (see the lesson's '{FIELDS[field].label}' setting)" if field in watch.fields and field in FIELDS else ""


def times(ratio: float) -> str:
    """A ratio in words, to two figures: '1.5 times', '37 times', '25,000 times', '4.5e+10 times'."""
    if not math.isfinite(ratio):
        return "infinitely many times"
    if ratio < 10:
        return f"{ratio:.1f} times"
    if ratio >= 1e12:
        return f"{ratio:.1e} times"
    return f"{float(f'{ratio:.2g}'):,.0f} times"


def findings(watch: Any, stages: list[Stage], layers: list[LayerHealth], activations: list[ActivationHealth], output_grads: dict[str, float]) -> list[Finding]:
    """Every problem this check shows, the most serious first."""
    acts = {a.name: a for a in activations}
    last = stages[-1] if stages else None
    output = last if last is not None and last.kind == "activation" else None
    said: list[Finding] = []
    said += _broken(layers)
    said += _no_gradient(watch, layers, output, acts)
    said += _exploding(watch, layers)
    said += _vanishing(watch, stages, layers, acts)
    said += _output_activation(watch, stages, output, acts, output_grads)
    said += _updates(watch, layers)
    for a in activations:
        if watch.cross_entropy and output is not None and a.name == output.name:
            continue  # said above, in terms of the class scores
        if a.dead is not None and a.dead >= DEAD_SHARE:
            said.append((f"dead:{a.name}", f"{a.dead:.0%} of {a.name} is dead",
                         f"{a.dead:.0%} of the units of {a.name} never fired on the last {a.samples} training images: "
                         "dead ReLUs pass no gradient back, so the layers before them stop learning there"))
        if a.saturated is not None and a.saturated >= SATURATED_SHARE:
            said.append((f"saturated:{a.name}", f"{a.saturated:.0%} of {a.name} is saturated",
                         f"{a.saturated:.0%} of the outputs of {a.name} sit near its limits, where its slope is almost 0: "
                         f"little gradient gets back through it{hint(watch, 'activation')}"))
    return said


def _broken(layers: list[LayerHealth]) -> list[Finding]:
    """Weights or gradients that are no longer numbers."""
    broken = [layer.name for layer in layers if not (math.isfinite(layer.gradient) and math.isfinite(layer.weights))]
    if not broken:
        return []
    names = ", ".join(broken)
    return [("not-a-number", f"{names}: no longer numbers", f"the weights or gradients of {names} are no longer numbers (inf or NaN): training has diverged")]


def _no_gradient(watch: Any, layers: list[LayerHealth], output: Stage | None, acts: dict[str, ActivationHealth]) -> list[Finding]:
    """No layer gets any gradient at all."""
    if not layers or any(layer.gradient != 0 for layer in layers):
        return []
    out = acts.get(output.name) if output is not None else None
    if out is not None and out.zero is not None and out.zero >= 1.0:
        what = "class score" if watch.cross_entropy else "output"
        stuck = f", so the loss sits at ln {watch.classes} = {math.log(watch.classes):.3f} (a uniform guess)" if watch.cross_entropy and watch.classes > 1 else ""
        return [("no-gradient", f"no gradient: the ReLU on the output gives 0 for every {what}{hint(watch, 'output_activation')}",
                 f"no gradient reaches any layer: the ReLU on the output turns every {what} into 0{stuck}, and a ReLU at 0 "
                 f"passes no gradient back, so no weight can change{hint(watch, 'output_activation')}")]
    return [("no-gradient", "no gradient reaches any layer", "no gradient reaches any layer: the loss no longer depends on the weights, so nothing can change")]


def _exploding(watch: Any, layers: list[LayerHealth]) -> list[Finding]:
    """A gradient far above its usual size."""
    said = []
    for layer in layers:
        usual = watch.usual_gradient(layer.name)
        if usual and math.isfinite(layer.gradient) and layer.gradient >= EXPLODING * usual:
            said.append((f"exploding:{layer.name}", f"{layer.name}'s gradient is exploding ({times(layer.gradient / usual)} its usual size)",
                         f"{layer.name}'s gradient is {times(layer.gradient / usual)} its usual size ({layer.gradient:.2g} against "
                         f"{usual:.2g}): it is exploding, and the next updates may throw the weights far off; a smaller "
                         f"learning rate keeps it in check{hint(watch, 'lr')}"))
    return said


def _between(stages: list[Stage], first: str, last: str, acts: dict[str, ActivationHealth]) -> tuple[str, str]:
    """Why the gradient fades between two layers: (short, sentence part), from the activations in between."""
    index = {s.layer: k for k, s in enumerate(stages) if s.module is not None and s.call == 1}
    lo, hi = index.get(first, 0), index.get(last, len(stages))
    inside = [acts[s.name] for s in stages[lo:hi] if s.name in acts]
    saturated = [a for a in inside if a.saturated is not None and a.saturated >= SATURATED_SHARE]
    if saturated:
        fn = saturated[0].function
        worst = max(a.saturated for a in saturated if a.saturated is not None)
        return f"the {fn}s in between are saturated", f"the {fn}s in between are saturated (up to {worst:.0%} of their outputs near their limits, where their slope is almost 0)"
    dead = [a for a in inside if (a.dead is not None and a.dead >= DEAD_SHARE) or (a.zero is not None and a.zero >= 0.9)]
    if dead:
        return "the ReLUs in between are mostly dead", "most of the ReLUs in between give 0, and pass no gradient back"
    squashing = [a for a in inside if a.function == "sigmoid"]
    if squashing:
        return "each sigmoid in between shrinks it", (
            f"each of the {len(squashing)} sigmoids in between passes back at most a quarter of it (its slope is never above 1/4)"
        )
    steps = sum(1 for s in stages[lo + 1 : hi] if s.kind in ("conv", "linear", "activation", "norm"))
    return "it fades on the way back", f"it fades as it passes back through the {steps} stages in between"


def _vanishing(watch: Any, stages: list[Stage], layers: list[LayerHealth], acts: dict[str, ActivationHealth]) -> list[Finding]:
    """An early layer starved of gradient compared with the best-fed one after it."""
    fed = [layer for layer in layers if layer.weights > 0 and math.isfinite(layer.gradient)]
    if len(fed) < 2 or all(layer.gradient == 0 for layer in fed):
        return []
    best = max(range(len(fed)), key=lambda i: fed[i].relative_gradient)
    top = fed[best].relative_gradient
    for layer in fed[:best]:
        share = layer.relative_gradient / top
        if share < VANISHING:
            short, why = _between(stages, layer.name, fed[best].name, acts)
            field = "activation" if "sigmoid" in short or "saturated" in short else "lr" if "dead" in short else ""
            amount = "no gradient at all" if share == 0 else f"{times(1 / share)} less gradient for its size"
            return [(f"vanishing:{layer.name}", f"{layer.name} gets {amount.replace(' for its size', '')} than {fed[best].name}: {short}",
                     f"{layer.name} gets {amount} than {fed[best].name}: {why}; it hardly learns{hint(watch, field) if field else ''}")]
    return []


def _output_activation(watch: Any, stages: list[Stage], output: Stage | None, acts: dict[str, ActivationHealth], output_grads: dict[str, float]) -> list[Finding]:
    """An activation on the class scores before cross-entropy, which wants them raw."""
    if not watch.cross_entropy or output is None or watch.classes < 2:
        return []
    fn = output.function
    see = hint(watch, "output_activation")
    if fn in BOUNDED:
        low, high = BOUNDED[fn]
        top = math.exp(high) / (math.exp(high) + (watch.classes - 1) * math.exp(low))
        before = stages[-2].name if len(stages) > 1 else ""
        shrink = output_grads.get(output.name, 0.0) / output_grads[before] if output_grads.get(before) else 0.0
        fades = f", and the gradient is {times(shrink)} smaller once back through it" if shrink > 1.05 else ""
        return [("bounded-output", f"a {fn} on the class scores caps every class at {top:.0%}{see}",
                 f"the class scores pass through a {fn} before the loss: squeezed into {low:g} to {high:g}, no class can get "
                 f"more than {top:.0%} probability, so the loss can never go below {-math.log(top):.2f}{fades}; cross-entropy "
                 f"wants the raw scores{see}")]
    out = acts.get(output.name)
    if fn in DEAD_FUNCTIONS and out is not None and out.zero is not None and DEAD_SHARE <= out.zero < 1.0:
        return [("relu-output", f"the ReLU on the class scores cuts {out.zero:.0%} of them to 0{see}",
                 f"the ReLU on the class scores cuts {out.zero:.0%} of them to 0 on this batch, where they get no gradient: "
                 f"a wrong class stuck at 0 cannot be pushed down{see}")]
    return []


def _updates(watch: Any, layers: list[LayerHealth]) -> list[Finding]:
    """Updates far from the rule of thumb, and layers the optimizer never changes."""
    said = []
    for layer in layers:
        if layer.update == 0 and layer.relative_gradient > 1e-6:  # (a gradient too small to move float32 weights is not this)
            said.append((f"frozen:{layer.name}", f"{layer.name} never changes",
                         f"{layer.name} gets a gradient but its weights do not change: the optimizer was not given them"
                         f"{hint(watch, 'first_layer_only')}"))
    moving = [layer for layer in layers if layer.update]
    if not moving:
        return said
    big = max(moving, key=lambda layer: layer.update or 0.0)
    learned = watch.loss is not None and watch.first_loss and watch.loss < 0.1 * watch.first_loss
    if big.update is not None and big.update > UPDATE_TOO_LARGE:
        said.append(("update-large", f"updates of {big.update:.0%} of {big.name}'s weights: big steps{hint(watch, 'lr')}",
                     f"each update changes {big.name}'s weights by {big.update:.0%} of their size, {times(big.update / RULE_OF_THUMB)} "
                     f"the rule of thumb of about 1e-3: big steps; if the loss jumps around or diverges, lower the learning rate{hint(watch, 'lr')}"))
    elif not learned and watch.lr_share >= SCHEDULED_LOW and all((layer.update or 0.0) < UPDATE_TOO_SMALL for layer in moving):
        # (a loss near 0 has tiny gradients; a schedule that brought the lr down wants small steps)
        small = max(layer.update or 0.0 for layer in moving)
        said.append(("update-small", f"updates of {small:.0e} of the weights: they barely move{hint(watch, 'lr')}",
                     f"each update changes the weights by at most {small:.1e} of their size, {times(RULE_OF_THUMB / small)} less "
                     f"than the rule of thumb of about 1e-3: they barely move, and a larger learning rate would speed this up{hint(watch, 'lr')}"))
    return said
