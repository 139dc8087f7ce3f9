"""The live views' pure renderers: half blocks, heatmap colours, down-sampling, smoothing."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console

from babytui.tui import render


def cells(line):
    """(character, fg RGB, bg RGB or None) of each cell of a rendered line."""
    out = []
    for span in line.spans:
        style = span.style
        for i in range(span.start, span.end):
            fg = style.color.get_truecolor()
            bg = style.bgcolor.get_truecolor() if style.bgcolor else None
            out.append((line.plain[i], tuple(fg), None if bg is None else tuple(bg)))
    return out


def test_a_2x2_image_is_one_row_of_two_half_blocks() -> None:
    image = np.array(
        [
            [[255, 0], [0, 10]],  # red
            [[0, 255], [0, 20]],  # green
            [[0, 0], [255, 30]],  # blue
        ],
        dtype=np.uint8,
    )  # (3, 2, 2): top row red, green; bottom row blue, (10, 20, 30)
    lines = render.half_block_lines(image)
    assert len(lines) == 1
    assert cells(lines[0]) == [
        ("▀", (255, 0, 0), (0, 0, 255)),
        ("▀", (0, 255, 0), (10, 20, 30)),
    ]


def test_a_32x32_image_is_32_by_16_cells_or_16_by_8_shrunk() -> None:
    image = np.zeros((3, 32, 32), dtype=np.uint8)
    full = render.half_block_lines(image)
    half = render.half_block_lines(image, factor=2)
    assert (len(full), len(full[0].plain)) == (16, 32)
    assert (len(half), len(half[0].plain)) == (8, 16)


def test_colours_drop_to_256_on_a_terminal_without_truecolour() -> None:
    def ansi(system: str, grey: int) -> str:
        # Rich caches a style's codes, so each console gets its own colour
        line = render.half_block_lines(np.full((3, 2, 1), grey, dtype=np.uint8))[0]
        console = Console(file=io.StringIO(), color_system=system, force_terminal=True)
        console.print(line, end="")
        return console.file.getvalue()

    assert "38;2;200;200;200" in ansi("truecolor", 200)
    low = ansi("256", 201)
    assert "38;5;" in low and "48;5;" in low and ";2;" not in low


def test_a_known_matrix_gives_blue_white_red_around_zero() -> None:
    colours = render.heatmap_colors([[-2.0, 0.0], [1.0, 2.0]])
    assert colours[0][0] == render.NEGATIVE
    assert colours[0][1] == render.ZERO
    assert colours[1][1] == render.POSITIVE
    assert colours[1][0] == render.blend(render.ZERO, render.POSITIVE, 0.5)
    assert render.diverging_color(-5.0, 2.0) == render.NEGATIVE  # saturates
    assert render.diverging_color(float("nan"), 1.0) == render.ZERO


def test_numbers_are_drawn_on_their_colour() -> None:
    (line,) = render.number_lines([[-1.0, 0.5]], scale=1.0)
    assert line.plain == " -1.000  +0.500 "
    assert line.spans[0].style.bgcolor.get_truecolor() == render.NEGATIVE


def test_downsampling_keeps_first_last_minimum_and_maximum() -> None:
    rng = np.random.default_rng(0)
    ys = rng.random(100_003) + 1.0
    ys[12_345] = 0.01  # a dip
    ys[77_777] = 9.0  # a spike
    xs = np.arange(len(ys), dtype=float)
    dx, dy = render.downsample(xs, ys, 100)
    assert len(dx) <= 2 * 101 + 2
    assert dx[0] == 0 and dx[-1] == len(ys) - 1
    assert dy[0] == ys[0] and dy[-1] == ys[-1]
    assert dy.min() == 0.01 and dy.max() == 9.0
    assert np.all(np.diff(dx) > 0)  # in order
    short_x, short_y = render.downsample([1, 2, 3], [3, 2, 1], 100)
    assert list(short_y) == [3, 2, 1]


def test_smoothing_in_pieces_equals_smoothing_at_once() -> None:
    values = [4.0, 2.0, 3.0, 1.0, 5.0]
    whole, _ = render.ema_extend(values, (0.0, 0), 0.3)
    first, state = render.ema_extend(values[:2], (0.0, 0), 0.3)
    rest, _ = render.ema_extend(values[2:], state, 0.3)
    assert np.allclose(whole, first + rest)
    assert abs(whole[0] - 4.0) < 1e-12  # bias-corrected: the first value is itself


def test_series_grows_and_reads_back() -> None:
    series = render.Series(capacity=2)
    series.extend([1.0, 2.0, 3.0])
    series.append(4.0)
    assert list(series.values) == [1.0, 2.0, 3.0, 4.0]


def test_filters_are_normalised_per_filter_and_enlarged() -> None:
    kernel = np.zeros((3, 2, 2))
    kernel[0, 0, 0] = 5.0  # one red pixel, all else the minimum
    lines = render.filter_lines(kernel, factor=2)
    assert (len(lines), len(lines[0].plain)) == (2, 4)
    top_left = cells(lines[0])[0]
    assert top_left[1] == (255, 0, 0) and top_left[2] == (255, 0, 0)
    assert cells(lines[1])[3][1] == (0, 0, 0)


def test_top_3() -> None:
    assert render.top_k([0.1, 0.5, 0.05, 0.35], 3) == [(1, 0.5), (3, 0.35), (0, 0.1)]
