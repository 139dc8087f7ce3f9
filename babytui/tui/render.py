"""Pure rendering helpers of the live views: series, colours and pictures made of characters.

Nothing here knows about Textual widgets or torch: inputs are numbers, lists or anything
`numpy.asarray` takes (CPU tensors included); outputs are arrays, RGB triples or Rich Text.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from rich.color import Color
from rich.style import Style
from rich.text import Text



class _LazyNumpy:
    """numpy, imported on its first use: the app's first frame must not wait for it (0.1-0.3 s)."""

    def __getattr__(self, name: str) -> Any:
        import numpy

        return getattr(numpy, name)


np: Any = _LazyNumpy()
"""numpy for this module and the views; `np.ndarray` in annotations is only a string."""

RGB = tuple[int, int, int]
"""A colour as (red, green, blue), each 0-255."""

NEGATIVE: RGB = (33, 102, 172)
"""The diverging scale's colour at -scale (blue)."""
ZERO: RGB = (247, 247, 247)
"""The diverging scale's colour at 0 (near white)."""
POSITIVE: RGB = (178, 24, 43)
"""The diverging scale's colour at +scale (red)."""
UPPER_HALF = "▀"
"""A cell whose foreground is its top half and background its bottom half."""


class Series:
    """A growable float array: appending is amortised O(1), reading is a view."""

    def __init__(self, capacity: int = 1024) -> None:
        self._data: Any = None
        """The storage, longer than the series (allocated on the first append)."""
        self._capacity = capacity
        self.size = 0
        """Number of values held."""

    def extend(self, values: Sequence[float]) -> None:
        """Append values at the end."""
        count = len(values)
        if self._data is None:
            self._data = np.empty(max(self._capacity, count), dtype=np.float64)
        if self.size + count > len(self._data):
            grown = np.empty(max(2 * len(self._data), self.size + count), dtype=np.float64)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : self.size + count] = values
        self.size += count

    def append(self, value: float) -> None:
        """Append one value."""
        self.extend((value,))

    @property
    def values(self) -> np.ndarray:
        """The values held, as a read-only view."""
        if self._data is None:
            return np.empty(0, dtype=np.float64)
        view = self._data[: self.size]
        view.flags.writeable = False
        return view

    def __len__(self) -> int:
        return self.size


def ema_extend(values: Sequence[float], state: tuple[float, int], alpha: float) -> tuple[list[float], tuple[float, int]]:
    """Bias-corrected exponential moving average of `values`, continuing from `state`.

    `state` is (the running average before correction, how many values went in); start from
    (0.0, 0). Returns the smoothed values and the new state, so a series can be smoothed in pieces.
    """
    average, count = state
    out: list[float] = []
    decay = 1.0 - alpha
    for value in values:
        average = decay * average + alpha * value
        count += 1
        out.append(average / (1.0 - decay**count))
    return out, (average, count)


def downsample(xs: Sequence[float], ys: Sequence[float], buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """About two points per bucket: the minimum and maximum of each, plus the first and last point.

    Keeps spikes and dips that plain striding would drop; a series already short enough is
    returned whole. The points stay in their original order.
    """
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    n = len(ys)
    buckets = max(1, int(buckets))
    if n <= 2 * buckets + 2:
        return xs, ys
    size = n // buckets
    body = ys[: size * buckets].reshape(buckets, size)  # (buckets, size)
    starts = np.arange(buckets) * size
    keep = [starts + body.argmin(axis=1), starts + body.argmax(axis=1), np.array([0, n - 1])]
    if size * buckets < n:  # the remainder is one more, shorter bucket
        rest = ys[size * buckets :]
        keep.append(np.array([size * buckets + rest.argmin(), size * buckets + rest.argmax()]))
    index = np.unique(np.concatenate(keep))
    return xs[index], ys[index]


def safe_log10(values: Sequence[float]) -> np.ndarray:
    """log10 of positive values; zero and below are clipped to a tiny positive number first."""
    return np.log10(np.maximum(np.asarray(values, dtype=np.float64), 1e-12))


def blend(a: RGB, b: RGB, t: float) -> RGB:
    """The colour a fraction `t` (0-1) of the way from `a` to `b`."""
    t = min(1.0, max(0.0, t))
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def diverging_color(value: float, scale: float) -> RGB:
    """Blue below zero, white at zero, red above, saturated at +-scale."""
    if not math.isfinite(value) or scale <= 0:
        return ZERO
    t = max(-1.0, min(1.0, value / scale))
    return blend(ZERO, POSITIVE, t) if t >= 0 else blend(ZERO, NEGATIVE, -t)


def heatmap_colors(matrix, scale: float | None = None) -> list[list[RGB]]:
    """The diverging colour of each value of a 2-D matrix, around 0, at +-max(|value|) unless given."""
    m = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    if scale is None:
        scale = float(np.abs(m).max()) if m.size else 0.0
    return [[diverging_color(float(v), scale) for v in row] for row in m]


def text_color_on(background: RGB) -> RGB:
    """Black or white, whichever reads better on `background`."""
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def rgb_style(fg: RGB, bg: RGB | None = None) -> Style:
    """A Rich style of true colours; Rich lowers them to 256 or 16 colours for terminals without."""
    return Style(color=Color.from_rgb(*fg), bgcolor=None if bg is None else Color.from_rgb(*bg))


def half_block_rows(pixels: list[list[RGB]]) -> list[Text]:
    """Rows of RGB pixels as lines of ▀ cells: top pixel as foreground, the one below as background.

    An odd last row is drawn with the terminal's own background below it.
    """
    lines: list[Text] = []
    for top in range(0, len(pixels), 2):
        line = Text()
        upper = pixels[top]
        lower = pixels[top + 1] if top + 1 < len(pixels) else None
        for col, colour in enumerate(upper):
            line.append(UPPER_HALF, rgb_style(colour, None if lower is None else lower[col]))
        lines.append(line)
    return lines


def shrink(image, factor: int):
    """An (C, H, W) image averaged over factor x factor blocks (edges that do not fit are dropped)."""
    a = np.asarray(image, dtype=np.float64)
    if factor <= 1:
        return a
    c, h, w = a.shape
    h, w = h // factor * factor, w // factor * factor
    return a[:, :h, :w].reshape(c, h // factor, factor, w // factor, factor).mean(axis=(2, 4))


def rgb_pixels(image_chw) -> list[list[RGB]]:
    """A (3, H, W) or (1, H, W) image with values 0-255 as rows of RGB triples."""
    a = np.clip(np.rint(np.asarray(image_chw, dtype=np.float64)), 0, 255).astype(np.uint8)
    if a.shape[0] == 1:
        a = np.repeat(a, 3, axis=0)
    hwc = a[:3].transpose(1, 2, 0)  # (H, W, 3)
    return [[(int(p[0]), int(p[1]), int(p[2])) for p in row] for row in hwc]


def half_block_lines(image_uint8_chw, factor: int = 1) -> list[Text]:
    """A uint8 (3, H, W) image as H/2 lines of W half-block cells, optionally shrunk `factor` times."""
    return half_block_rows(rgb_pixels(shrink(image_uint8_chw, factor)))


def normalise_filter(kernel) -> np.ndarray:
    """A (C, k, k) kernel stretched to 0-255 over its own minimum and maximum (flat: mid grey)."""
    k = np.asarray(kernel, dtype=np.float64)
    low, high = float(k.min()), float(k.max())
    if high - low < 1e-12:
        return np.full(k.shape, 128.0)
    return (k - low) / (high - low) * 255.0


def enlarge(pixels: list[list[RGB]], factor: int) -> list[list[RGB]]:
    """Each pixel repeated factor x factor times, so a 5x5 kernel is big enough to see."""
    return [[p for p in row for _ in range(factor)] for row in pixels for _ in range(factor)]


def filter_lines(kernel, factor: int = 2) -> list[Text]:
    """A (3, k, k) convolution kernel as a small RGB picture, normalised over the filter."""
    return half_block_rows(enlarge(rgb_pixels(normalise_filter(kernel)), factor))


def diverging_lines(matrix, scale: float | None = None, factor: int = 1) -> list[Text]:
    """A 2-D matrix as half-block cells in the diverging scale: one value per pixel, 2 rows a cell."""
    return half_block_rows(enlarge(heatmap_colors(matrix, scale), factor))


def number_lines(matrix, scale: float | None = None, precision: int = 3) -> list[Text]:
    """A 2-D matrix as its numbers, each on its diverging colour."""
    m = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    colours = heatmap_colors(m, scale)
    width = number_width(precision)
    lines = []
    for values, row in zip(m, colours):
        line = Text()
        for value, bg in zip(values, row):
            line.append(f"{value:+.{precision}f}".rjust(width - 1) + " ", rgb_style(text_color_on(bg), bg))
        lines.append(line)
    return lines


def number_width(precision: int = 3) -> int:
    """Columns one number takes in `number_lines`."""
    return precision + 5


def sequential_color(fraction: float, low: RGB, high: RGB) -> RGB:
    """A colour for a count: `low` at 0, `high` at 1, on a square-root scale so small counts show."""
    return blend(low, high, math.sqrt(max(0.0, min(1.0, fraction))))


def top_k(probabilities: Sequence[float], k: int = 3) -> list[tuple[int, float]]:
    """The k most likely classes as (index, probability), most likely first."""
    p = np.asarray(probabilities, dtype=np.float64)
    order = np.argsort(-p, kind="stable")[:k]
    return [(int(i), float(p[i])) for i in order]


def stats(values) -> tuple[float, float, float, float]:
    """Mean, standard deviation (population), minimum and maximum of any array of numbers."""
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return float(a.mean()), float(a.std()), float(a.min()), float(a.max())


def norm(values) -> float:
    """The Euclidean norm of any array of numbers."""
    a = np.asarray(values, dtype=np.float64)
    return float(np.sqrt((a * a).sum()))


def compact(value: float) -> str:
    """A number in at most 9 characters: fixed point where it reads well, else scientific."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.2e}"
