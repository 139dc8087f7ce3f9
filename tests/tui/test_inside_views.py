"""The inside, health and layers views driven by the pilot, on real (tiny) runs."""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image

from babytui.tui.app import BabytuiApp
from babytui.tui.widgets.architecture_card import ArchitectureCard
from babytui.tui.widgets.health_line import HealthLine
from babytui.tui.widgets.inside_view import InsideView
from babytui.tui.widgets.prediction_grid import PredictionGrid
from babytui.tui.widgets.sidebar import LessonSidebar
from test_views import plain
from tui_helpers import go_to, log_text, notifications, ready, set_field, wait_until

SIZE = (140, 45)


async def run_image_lesson(pilot, number: int, **values: str) -> None:
    """Run an image lesson for one epoch on the tiny images and wait for its end."""
    await ready(pilot)
    await go_to(pilot, number)
    await set_field(pilot, "epochs", "1")
    for name, text in values.items():
        await set_field(pilot, name, text)
    await pilot.press("r")
    view = pilot.app.query_one(InsideView)
    await wait_until(pilot, lambda: view.started is not None and view.started.lesson == number and not pilot.app.main.run.running, 60)


async def step_once(pilot, number: int) -> InsideView:
    """Start lesson `number` with the step key (one batch, then paused) and show the inside view."""
    await ready(pilot)
    await go_to(pilot, number)
    pilot.app.query_one(LessonSidebar).focus()
    await pilot.press("s")
    await wait_until(pilot, lambda: pilot.app.main.run.paused)
    await pilot.press("6")
    return pilot.app.query_one(InsideView)


def shown(app) -> str:
    """What the inside view says and draws, as plain text."""
    view = app.query_one(InsideView)
    return plain(view.query_one("#inside-summary")) + plain(view.query_one("#inside-body"))


async def test_the_inside_view_looks_at_the_image_picked_on_the_grid(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_image_lesson(pilot, 14)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("right", "right", "enter")
        await pilot.press("6")
        view = app.query_one(InsideView)
        await wait_until(pilot, lambda: view.result is not None and "look" in view.result)
        look = view.result["look"]
        assert view.index == 2 and look.label == int(tiny_images.test_labels[2])
        assert torch.equal(look.image, tiny_images.test_images[2])
        assert [layer.name for layer in look.layers][:2] == ["conv1 + relu", "pool"]
        text = shown(app)
        assert "test image #2" in text and "saliency" in text and "conv1 + relu  10x28x28  output" in text
        await pilot.press("g")
        await pilot.pause()
        assert "gradient of the loss" in shown(app)
        await pilot.press("w")
        await wait_until(pilot, lambda: view.result["look"] is not look)
        assert torch.equal(view.result["look"].image, tiny_images.test_images[2].flip(-1))
        assert ", flipped: the network says" in shown(app)
        await pilot.press("right")
        await wait_until(pilot, lambda: view.result["look"].label == int(tiny_images.test_labels[3]))


async def test_your_own_picture(tiny_images, tmp_path: Path) -> None:
    path = tmp_path / "mine.png"
    Image.new("RGB", (50, 40), (200, 30, 30)).save(path)
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_image_lesson(pilot, 14)
        await pilot.press("6")
        view = app.query_one(InsideView)
        await wait_until(pilot, lambda: view.result is not None)
        await pilot.press("o")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "PictureDialog")
        await pilot.press(*str(tmp_path / "nothing.png"), "enter")
        await wait_until(pilot, lambda: any("no such file" in n for n in notifications(app)))
        assert view.own is None
        await pilot.press("o")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "PictureDialog")
        app.screen.query_one("#picture-path").value = str(path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.result is not None and view.result["look"].label is None)
        assert view.own is not None and tuple(view.own[1].shape) == (3, 32, 32)
        assert view.result["look"].image[:, 0, 0].tolist() == [200, 30, 30]
        assert "your picture" in shown(app)


async def test_the_inside_view_costs_nothing_while_hidden(tiny_images, monkeypatch) -> None:
    import babytui.tui.widgets.inside_view as inside_view

    calls = []
    real = inside_view.compute
    monkeypatch.setattr(inside_view, "compute", lambda job: calls.append(job) or real(job))
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_image_lesson(pilot, 14)
        await pilot.pause(0.5)
        assert calls == []  # the log was on screen: no look was computed
        await pilot.press("6")
        await wait_until(pilot, lambda: len(calls) == 1)


async def test_the_health_line_and_the_log_for_lesson_11(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_image_lesson(pilot, 11, hidden="8")
        line = app.query_one(HealthLine)
        assert line.display
        assert "health ⚠ a sigmoid on the class scores caps every class at 23%" in plain(line.render())
        assert "health (step 1) the class scores pass through a sigmoid before the loss" in log_text(app)
        await pilot.press("7")
        await pilot.pause(0.3)
        body = plain(app.query_one("#health-body"))
        assert "conv1 (Conv2d)" in body and "sigmoid(fc2)" in body and "update/weight" in body


async def test_the_layers_card_follows_the_lesson_and_its_settings() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 8)
        app.query_one(LessonSidebar).focus()
        await pilot.press("8")
        card = app.query_one(ArchitectureCard)
        body = lambda: plain(card.query_one("#card-body"))  # noqa: E731
        await wait_until(pilot, lambda: "2x4 + 2 = 10" in body())
        assert "13" in body()
        await set_field(pilot, "hidden", "3")
        await wait_until(pilot, lambda: "3x4 + 3 = 15" in body())
        await go_to(pilot, 1)
        await wait_until(pilot, lambda: "has no model" in body())


async def test_a_small_network_follows_the_step_key() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        view = await step_once(pilot, 8)
        await wait_until(pilot, lambda: view.result is not None and view.result["network"].step == 1)
        assert "linear1" in shown(app) and "∂loss" in shown(app)
        app.query_one(LessonSidebar).focus()
        await pilot.press("s")
        await wait_until(pilot, lambda: view.result["network"].step == 2, 15)
        assert "after update 2" in shown(app)
        await pilot.press("x")


async def test_the_step_key_shows_what_one_batch_moved(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        view = await step_once(pilot, 14)
        await wait_until(pilot, lambda: view.result is not None and view.result["look"].step == 1)
        app.query_one(LessonSidebar).focus()
        await pilot.press("s")
        await wait_until(pilot, lambda: view.result["look"].step == 2, 15)
        assert view.previous is not None and view.previous["look"].step == 1
        text = shown(app)
        assert "(changes since step 1: 1 update)" in text and "conv1 + relu  10x28x28  output  moved " in text
        await pilot.press("x")
