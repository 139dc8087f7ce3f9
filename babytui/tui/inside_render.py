"""Drawing what the inside view shows: feature maps as half-block tiles, unit strips, the saliency,
the probabilities, and a small network's units as a table. Pure: numbers in, Rich Text out.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from rich.style import Style
from rich.table import Table
from rich.text import Span, Text

from .render import RGB, UPPER_HALF, blend, diverging_color, half_block_rows, np, rgb_pixels, rgb_style

VIRIDIS: tuple[RGB, ...] = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))
"""Stops of the scale a value is drawn in, low to high (dark blue to yellow, readable in any theme)."""
HOT: tuple[RGB, ...] = ((12, 12, 20), (120, 20, 30), (220, 80, 20), (255, 200, 60), (255, 255, 230))
"""Stops of the saliency's scale: dark where a pixel does not matter, bright where it does."""
MAX_TILES_ROWS = 2
"""Feature maps are shrunk until they fit in this many rows of tiles, if they can."""
MIN_TILE = 7
"""Feature maps are never shrunk below this many pixels across."""
STRIP_LINES = 4
"""Lines a strip of units takes at most; longer layers are shown in buckets (each its largest)."""


def ramp(fraction: float, stops: Sequence[RGB] = VIRIDIS) -> RGB:
    """The colour at `fraction` (0-1) along a scale of stops."""
    if not math.isfinite(fraction):
        return stops[0]
    t = min(1.0, max(0.0, fraction)) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    return blend(stops[i], stops[i + 1], t - i)


LEVELS = 32
"""Colours a scale is drawn in: few enough that every pair of them is one cached style."""
PALETTES = {
    "values": tuple(ramp(i / (LEVELS - 1)) for i in range(LEVELS)),
    "gradient": tuple(diverging_color(2 * i / (LEVELS - 1) - 1, 1.0) for i in range(LEVELS)),
    "hot": tuple(ramp(i / (LEVELS - 1), HOT) for i in range(LEVELS)),
}
"""Each scale as LEVELS colours, low to high."""
_STYLES: dict[tuple[str, int, int], Style] = {}


def cell_style(palette: str, top: int, bottom: int) -> Style:
    """The style of a half-block cell: colour `top` over colour `bottom` of a palette (cached)."""
    key = (palette, top, bottom)
    style = _STYLES.get(key)
    if style is None:
        colours = PALETTES[palette]
        style = _STYLES[key] = rgb_style(colours[top], colours[bottom])
    return style


def levels(m: np.ndarray, gradient: bool) -> np.ndarray:
    """A 2-D array as palette indices: values over their own range, gradients around 0."""
    m = np.nan_to_num(np.asarray(m, dtype=np.float64))
    if gradient:
        scale = float(np.abs(m).max()) if m.size else 0.0
        t = (m / scale + 1) / 2 if scale > 0 else np.full(m.shape, 0.5)
    else:
        low, high = (float(m.min()), float(m.max())) if m.size else (0.0, 0.0)
        t = (m - low) / (high - low) if high > low else np.zeros(m.shape)
    return np.clip(np.rint(t * (LEVELS - 1)), 0, LEVELS - 1).astype(np.int64)


def palette_rows(index: np.ndarray, palette: str) -> list[Text]:
    """Rows of palette indices as lines of half blocks: two rows a line (an odd last row over the background)."""
    lines = []
    rows, cols = index.shape
    for top in range(0, rows, 2):
        upper = index[top].tolist()
        lower = index[top + 1].tolist() if top + 1 < rows else None
        line = Text(UPPER_HALF * cols)
        for col in range(cols):
            style = cell_style(palette, upper[col], lower[col]) if lower is not None else rgb_style(PALETTES[palette][upper[col]])
            line.spans.append(Span(col, col + 1, style))
        lines.append(line)
    return lines


def shrink_map(m: np.ndarray, factor: int) -> np.ndarray:
    """A 2-D map averaged over factor x factor blocks."""
    if factor <= 1:
        return m
    h, w = m.shape[0] // factor * factor, m.shape[1] // factor * factor
    return m[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def range_text(m: np.ndarray, gradient: bool) -> str:
    """A map's range as its label shows it: '0..1.3', or '±0.02' for a gradient."""
    if not m.size:
        return ""
    if gradient:
        return f"±{float(np.abs(m).max()):.2g}"
    return f"{float(m.min()):.2g}..{float(m.max()):.2g}"


def map_tiles(maps: Any, width: int, gradient: bool = False) -> list[Text]:
    """(C, H, W) feature maps as labelled half-block tiles, each over its own range, shrunk to fit."""
    a = np.asarray(maps, dtype=np.float64)
    channels, h, w = a.shape
    factor = 1
    while w // (factor + 1) >= MIN_TILE:
        across = max(1, (width + 1) // (w // factor + 1))
        if -(-channels // across) <= MAX_TILES_ROWS:
            break
        factor += 1
    tile = max(w // factor, 1)
    label_width = max(tile, 8)
    across = max(1, (width + 1) // (label_width + 1))
    palette = "gradient" if gradient else "values"
    pad = Text(" " * (label_width - tile))
    lines: list[Text] = []
    for start in range(0, channels, across):
        members = range(start, min(channels, start + across))
        pictures = [palette_rows(levels(shrink_map(a[c], factor), gradient), palette) for c in members]
        labels = [f"{c} {range_text(a[c], gradient)}"[:label_width].ljust(label_width) for c in members]
        lines.append(Text(" ".join(labels), style="dim"))
        for row in range(len(pictures[0])):
            lines.append(Text(" ").join(p[row] + pad for p in pictures))
    return lines


def top_units(values: np.ndarray, count: int = 3) -> list[int]:
    """The units with the largest values (for a gradient: the largest size)."""
    return [int(i) for i in np.argsort(-values, kind="stable")[:count]]


def strip_lines(units: Any, width: int, gradient: bool = False, names: Sequence[str] = ()) -> list[Text]:
    """(N,) units as a heat strip, one cell each (buckets of the largest when too many), the top 3 marked."""
    v = np.asarray(units, dtype=np.float64).reshape(-1)
    shown, per = v, 1
    if len(v) > width * STRIP_LINES:
        per = -(-len(v) // (width * STRIP_LINES))
        padded = np.concatenate([v, np.full(per * -(-len(v) // per) - len(v), -np.inf)])
        shown = padded.reshape(-1, per).max(axis=1)
    palette = PALETTES["gradient" if gradient else "values"]
    colors = [palette[i] for i in levels(np.where(np.isfinite(shown), shown, 0.0).reshape(1, -1), gradient)[0].tolist()]
    tops = top_units(np.abs(v) if gradient else v)
    marked = {i // per for i in tops}
    lines: list[Text] = []
    for start in range(0, len(shown), width):
        line, marks = Text(), Text()
        for i in range(start, min(len(shown), start + width)):
            line.append(" ", rgb_style(colors[i], colors[i]))
            marks.append("▲" if i in marked else " ", style="bold")
        lines += [line, marks]
    def name(i: int) -> str:
        return f"{names[i]}" if i < len(names) else f"#{i}"

    what = "largest |gradient|" if gradient else "largest"
    lines.append(Text(f"{what}: " + ", ".join(f"{name(i)} {v[i]:+.3g}" for i in tops) + (f"   ({per} units a cell)" if per > 1 else ""), style="dim"))
    return lines


def picture_lines(image_uint8: Any) -> list[Text]:
    """The picture the network got, 32x32 as 32 columns of half blocks."""
    return half_block_rows(rgb_pixels(image_uint8))


def saliency_lines(saliency: Any) -> list[Text]:
    """The saliency (H, W) as a picture: bright where a pixel moves the loss most (square-root scale)."""
    s = np.asarray(saliency, dtype=np.float64)
    return palette_rows(levels(np.sqrt(np.maximum(s, 0.0)), False), "hot")


def probability_lines(probabilities: Any, classes: Sequence[str], label: int | None, previous: Any = None, count: int = 10) -> list[Text]:
    """The classes by probability with bars; the true one marked; with `previous`, how each moved."""
    p = np.asarray(probabilities, dtype=np.float64)
    order = np.argsort(-p, kind="stable")[:count]
    width = max((len(str(c)) for c in classes), default=5)
    lines = []
    for i in order:
        name = str(classes[i]) if i < len(classes) else f"class {i}"
        mark = "✓" if label is not None and i == label else " "
        line = Text(f"{mark} {name[:12]:<{min(width, 12)}} {100 * p[i]:5.1f}% ", style="bold" if mark == "✓" else "")
        line.append("█" * max(0, round(p[i] * 20)), style="green" if mark == "✓" else "")
        if previous is not None:
            moved = 100 * (p[i] - float(np.asarray(previous)[i]))
            if abs(moved) >= 0.05:
                line.append(f"  {moved:+.1f}", style="green" if moved > 0 else "red")
        lines.append(line)
    return lines


def moved_text(now: Any, before: Any) -> str:
    """How much a layer's output moved: '3.2% (most in map 4)', relative to its size."""
    a, b = np.asarray(now, dtype=np.float64), np.asarray(before, dtype=np.float64)
    if a.shape != b.shape:
        return ""
    size = float(np.sqrt((b * b).sum()))
    change = a - b
    moved = float(np.sqrt((change * change).sum())) / size if size > 0 else 0.0
    if a.ndim == 3:
        per = np.sqrt((change.reshape(a.shape[0], -1) ** 2).sum(axis=1))
        where = f", most in map {int(per.argmax())}" if moved > 0 else ""
    else:
        where = f", most at unit {int(np.abs(change).argmax())}" if moved > 0 else ""
    return f"moved {100 * moved:.2g}%{where}"


def network_table(look: Any) -> Table:
    """A small network on all its samples: inputs, each stage's units with their gradients, targets, loss."""
    inputs = np.asarray(look.inputs, dtype=np.float64)
    samples = len(inputs)
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("stage")
    table.add_column("unit")
    for n in range(samples):
        table.add_column(f"sample {n + 1}", justify="right")
    for j in range(inputs.shape[1]):
        table.add_row("input" if j == 0 else "", f"x{j + 1}", *(f"{v:g}" for v in inputs[:, j]))
    for name, does, values, grads in look.units:
        v = np.asarray(values, dtype=np.float64)
        g = None if grads is None else np.asarray(grads, dtype=np.float64)
        for u in range(v.shape[1]):
            table.add_row(f"{name}  {does}" if u == 0 else "", f"{'h' if v.shape[1] > 1 else 'y'}{u + 1}", *(f"{x:+.4f}" for x in v[:, u]), end_section=False)
            if g is not None:
                table.add_row("", Text("∂loss", style="dim"), *(Text(f"{x:+.4f}", style="dim") for x in g[:, u]))
    targets = np.asarray(look.targets, dtype=np.float64).reshape(samples, -1)
    table.add_row(Text("target", style="bold"), "", *(f"{t:g}" for t in targets[:, 0]))
    return table


def parameter_table(look: Any) -> Table:
    """Every parameter of a small network, one number a row: its value and the gradient its last update used."""
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("parameter")
    table.add_column("value", justify="right")
    table.add_column(f"gradient (update {look.step:,})" if look.step else "gradient", justify="right")
    for name, values, grads in look.parameters:
        v = np.asarray(values, dtype=np.float64)
        g = None if grads is None else np.asarray(grads, dtype=np.float64).reshape(v.shape)
        for index in np.ndindex(*v.shape) if v.ndim else [()]:
            where = f"[{', '.join(str(i) for i in index)}]" if index else ""
            grad = "—" if g is None else f"{g[index]:+.5f}"
            table.add_row(f"{name}{where}", f"{v[index]:+.5f}", grad)
    return table


def class_name(classes: Sequence[str], index: int | None) -> str:
    """A class's name, 'class 3' where the names are unknown."""
    if index is None:
        return "?"
    return str(classes[index]) if 0 <= index < len(classes) else f"class {index}"


def what_if_line(what_ifs: list, classes: Sequence[str], shown: int) -> Text:
    """'what if (w): flipped → cat 39% · ...', the change shown in reverse."""
    line = Text("what if (w): ", style="bold")
    for i, (change, _, probabilities) in enumerate(what_ifs):
        best = int(np.asarray(probabilities).argmax())
        line.append(f"{change} → {class_name(classes, best)} {100 * float(probabilities[best]):.0f}%", style="reverse" if i == shown else "")
        if i < len(what_ifs) - 1:
            line.append(" · ")
    return line


def look_lines(look: Any, what_ifs: list, previous: Any, width: int, gradients: bool, shown: int) -> list[Text]:
    """The picture beside its saliency and top classes, the what-ifs, then every layer's maps or units
    (with `previous`, how each moved). Lines of pictures are no_wrap; the sentences wrap."""
    classes = look.classes
    lines: list[Text] = []
    picture, saliency = picture_lines(look.image), saliency_lines(look.saliency)
    probabilities = probability_lines(look.probabilities, classes, look.label, previous.probabilities if previous else None, count=5)
    pair = width >= 2 * 32 + 2  # the saliency fits right of the picture
    beside = pair and width >= 100  # and the top classes right of both
    title = Text("the picture", style="bold").append(" " * 23)
    saliency_title = Text("saliency: pixels that move the loss", style="bold")
    lines.append(title + saliency_title if pair else title)
    for i in range(len(picture)):
        row = picture[i] + Text("  ") + saliency[i] if pair else picture[i]
        if beside and i - 1 < len(probabilities):
            row += Text("  ") + (probabilities[i - 1] if i >= 1 else Text("the network says", style="bold"))
        lines.append(row)
    if not pair:
        lines += [saliency_title, *saliency]
    for line in lines:
        line.no_wrap = True
    if not beside:
        lines += [Text("the network says", style="bold"), *probabilities]
    moved = previous is not None and previous.step != look.step
    if moved:
        updates = look.step - previous.step
        lines.append(Text(f"(changes since step {previous.step:,}: {updates:,} update{'s' if updates != 1 else ''})", style="dim"))
    lines.append(what_if_line(what_ifs, classes, shown))
    before = {layer.stage: layer for layer in previous.layers} if previous is not None else {}
    for layer in look.layers:
        values = layer.gradient if gradients and layer.gradient is not None else layer.values
        shape = "x".join(str(d) for d in values.shape)
        heading = Text.assemble((layer.name, "bold"), f"  {shape}  ", ("gradient of the loss" if gradients else "output", "dim"))
        old = before.get(layer.stage)
        if moved and old is not None:
            heading.append("  " + moved_text(layer.values, old.values), style="italic")
        lines += [Text(), heading]
        if values.ndim == 3:
            drawn = map_tiles(values, width, gradients)
            pictures = drawn
        else:
            drawn = strip_lines(values.reshape(-1), width, gradients, classes if layer is look.layers[-1] else ())
            pictures = drawn[:-1]  # (its last line is a sentence)
        for line in pictures:
            line.no_wrap = True
        lines += drawn
    return lines
