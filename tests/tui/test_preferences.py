"""The app remembers the settings as typed, the image lessons' shared choices and the results, across restarts."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, Select

from babytui.tui import preferences
from babytui.tui.app import BabytuiApp
from babytui.tui.widgets.sidebar import LessonSidebar
from tui_helpers import go_to, notifications, ready, type_into, wait_until

SIZE = (120, 40)


async def test_settings_data_root_and_results_are_kept_across_restarts(babytui_home: Path, tmp_path: Path) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 8)
        await type_into(pilot, "lr", "0.5")
        app.query_one(LessonSidebar).focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.query_one(LessonSidebar).item(8).mark == "✓", 30)
        result = app.query_one(LessonSidebar).item(8).result
        await go_to(pilot, 11)
        await type_into(pilot, "data_root", str(tmp_path))
        app.query_one("#field-trust_data", Select).value = "yes"
        await go_to(pilot, 13)  # the image lessons share the data root and trust data, like dataset and device
        assert app.query_one("#field-data_root", Input).value == str(tmp_path)
        assert app.query_one("#field-trust_data", Select).value == "yes"
        await type_into(pilot, "epochs", "7")
        await pilot.press("escape", "q")  # leave the field (q would be typed into it), then quit
    saved = json.loads((babytui_home / "app.json").read_text())
    assert saved["lesson"] == 13 and saved["values"]["8"]["lr"] == "0.5"
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.main.lesson.number == 13 and app.query_one("#field-epochs", Input).value == "7"
        assert app.query_one("#field-data_root", Input).value == str(tmp_path)
        item = app.query_one(LessonSidebar).item(8)
        assert (item.mark, item.result) == ("✓", result)
        await go_to(pilot, 8)
        assert app.query_one("#field-lr", Input).value == "0.5"
        await go_to(pilot, 10)
        assert app.query_one("#field-trust_data", Select).value == "yes"


async def test_a_damaged_preferences_file_is_one_warning_and_the_defaults(babytui_home: Path) -> None:
    (babytui_home / "app.json").write_text('{"format": 1, "lesson": 9, "values": {"8": {"lr": "0.')
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.main.lesson.number == 1
        [warning] = [n for n in notifications(app) if "saved settings" in n]
        assert "damaged" in warning and "starting from the defaults" in warning and "\n" not in warning
        await go_to(pilot, 8)
        assert app.query_one("#field-lr", Input).value == "0.1"


def test_what_is_read_back_is_only_lessons_fields_and_printable_text(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    path.write_text(json.dumps({
        "format": 1, "lesson": 99,
        "values": {"8": {"lr": "0.5", "hidden": 3, "no_such": "x", "epochs": "1\x1b[31m"}, "77": {"lr": "1"}, "x": []},
        "shared": {"device": "cpu", "data_root": ["a list"]},
        "results": {"8": ["✓", "loss 0.1"], "9": ["?", "odd"], "10": "acc"},
    }))
    prefs, warning = preferences.load(path)
    assert warning is None and prefs.lesson == 1
    assert prefs.values == {8: {"lr": "0.5", "hidden": "3"}}  # no escape sequences, no unknown fields
    assert prefs.shared == {"device": "cpu"} and prefs.results == {8: ("✓", "loss 0.1")}
    path.write_text(json.dumps({"format": 99, "lesson": 3}))
    prefs, warning = preferences.load(path)
    assert prefs.lesson == 1 and "newer babytui" in warning
    assert preferences.save(prefs, path) is None and json.loads(path.read_text())["format"] == preferences.VERSION
    assert not list(tmp_path.glob(".*tmp"))  # written whole, under a temporary name


def test_the_file_is_in_the_config_folder_or_where_the_environment_says(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BABYTUI_CONFIG", str(tmp_path / "mine.json"))
    assert preferences.preferences_path() == tmp_path / "mine.json"
    monkeypatch.delenv("BABYTUI_CONFIG")
    monkeypatch.setenv("BABYTUI_HOME", str(tmp_path))
    assert preferences.preferences_path() == tmp_path / "app.json"
    monkeypatch.delenv("BABYTUI_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert preferences.preferences_path() == tmp_path / "config" / "babytui" / "app.json"
