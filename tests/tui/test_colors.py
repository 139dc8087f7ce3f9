"""The colour depth the app picks for a terminal, forcing it, and every label legible in 16 colours."""

from __future__ import annotations

import io

import pytest
from rich.color import ColorSystem
from rich.console import Console

from babytui.cli import main
from babytui.tui.app import BabytuiApp
from babytui.tui.colors import choose_colors, detect_colors
from fixed_events import injected_events
from tui_helpers import go_to, ready


@pytest.mark.parametrize(
    "environ, depth",
    [
        ({"TERM": "screen"}, "256"),  # GNU screen's default, and old tmux's: both draw 256 colours
        ({"TERM": "screen.xterm-new"}, "256"),
        ({"TERM": "tmux"}, "256"),
        ({"TERM": "xterm", "TMUX": "/tmp/tmux-0/default,1,0"}, "256"),
        ({"TERM": "vt100", "STY": "1234.pts-0.host"}, "256"),
        ({"TERM": "xterm-256color"}, "256"),
        ({"TERM": "screen", "COLORTERM": "truecolor"}, "truecolor"),
        ({"TERM": "xterm-direct"}, "truecolor"),
        ({"TERM": "linux"}, "16"),
        ({"TERM": "vt100"}, "16"),
        ({}, "16"),
    ],
)
def test_the_depth_follows_the_terminal(environ, depth) -> None:
    assert detect_colors(environ) == depth


def test_a_flag_or_the_environment_forces_the_depth() -> None:
    assert choose_colors("16", {"TERM": "xterm-256color", "BABYTUI_COLORS": "truecolor"}) == ("16", None)
    assert choose_colors(None, {"TERM": "linux", "BABYTUI_COLORS": "256"}) == ("256", None)
    assert choose_colors("auto", {"TERM": "linux", "BABYTUI_COLORS": "256"}) == ("16", None)
    depth, warning = choose_colors(None, {"TERM": "screen", "BABYTUI_COLORS": "lots"})
    assert depth == "256" and "'lots' is not one of auto, truecolor, 256, 16" in warning


def test_the_colors_flag_is_checked(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--colors", "65536"])
    assert exit_info.value.code == 2 and "--colors" in capsys.readouterr().err


def invisible_text(app: BabytuiApp) -> list[str]:
    """Text on screen whose colour, in 16 colours, is its background's."""
    console = Console(width=app.size.width, file=io.StringIO(), force_terminal=True, color_system="truecolor", record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    hidden = []
    for segment in console._record_buffer:
        style = segment.style
        if not segment.text.strip() or style is None or style.color is None or style.bgcolor is None:
            continue
        fg, bg = style.color.downgrade(ColorSystem.STANDARD), style.bgcolor.downgrade(ColorSystem.STANDARD)
        if fg.number is not None and fg.number == bg.number:
            hidden.append(segment.text)
    return hidden


async def test_in_16_colours_every_label_stays_visible() -> None:
    app = BabytuiApp(colors="16")
    assert app.console.color_system == "standard"
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        assert invisible_text(app) == []  # the idle buttons (Stop, Pause), the blurred borders, the tabs
        for event in injected_events():
            app.main.handle_event(event)
        for key in ("1", "2", "3", "4", "5"):
            await pilot.press(key)
            await pilot.pause(0.3)
            assert invisible_text(app) == [], key
        await pilot.press("question_mark")
        await pilot.pause()
        assert invisible_text(app) == []


async def test_inside_tmux_the_app_draws_256_colours() -> None:
    app = BabytuiApp(colors=detect_colors({"TERM": "screen"}))
    assert app.console.color_system == "256"
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert app.get_line_filters() == list(super(BabytuiApp, app).get_line_filters())  # no 16-colour fix-ups
