"""What the app remembers from one session to the next: the lesson shown, the settings as typed,
the choices the image lessons share, and the sidebar's results.

One JSON file in the user's config folder (`~/.config/babytui/app.json` on Linux; `$BABYTUI_CONFIG`
names another file, and under `$BABYTUI_HOME` it is `app.json` there), written whole under a
temporary name and renamed. It is read defensively: a damaged file is one warning and the
defaults, and whatever in it is not a lesson, a field or printable text is left out.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babytui.core.lessons import LESSONS

CONFIG_ENV = "BABYTUI_CONFIG"
"""Names the file instead of the default place (for tests, or several set-ups)."""
FILE_NAME = "app.json"
"""The file's name in the config folder."""
VERSION = 1
"""The file's format; a newer one is not read (and not overwritten until the app changes something)."""
SHARED = ("device", "dataset", "data_root", "trust_data")
"""Settings the image lessons share: chosen once for all of them."""
MARKS = ("✓", "✗", "•")
"""The sidebar marks kept (finished, failed, stopped)."""
MAX_TEXT = 200
"""Longest value kept: anything longer was not typed into a field."""


def preferences_path() -> Path:
    """Where the file is: $BABYTUI_CONFIG, else app.json in $BABYTUI_HOME, else the user's config folder."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    home = os.environ.get("BABYTUI_HOME")
    if home:
        return Path(home).expanduser() / FILE_NAME
    import platformdirs

    return Path(platformdirs.user_config_dir("babytui")) / FILE_NAME


@dataclass
class Preferences:
    """The remembered state; every part optional."""

    lesson: int = 1
    """The lesson shown last."""
    values: dict[int, dict[str, str]] = field(default_factory=dict)
    """Each lesson's own settings as typed (the shared ones are in `shared`)."""
    shared: dict[str, str] = field(default_factory=dict)
    """The device, dataset, data root and trust data of the image lessons, as typed."""
    results: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Each lesson's sidebar mark and last result."""

    def to_json(self) -> dict[str, Any]:
        """The file's contents."""
        return {
            "format": VERSION,
            "lesson": self.lesson,
            "values": {str(n): v for n, v in sorted(self.values.items()) if v},
            "shared": self.shared,
            "results": {str(n): list(r) for n, r in sorted(self.results.items())},
        }


def _text(value: Any) -> str | None:
    """A value as it may go back into a field or the sidebar: short printable text, else None."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value)
    return text if len(text) <= MAX_TEXT and text.isprintable() else None


def _lesson(key: Any) -> int | None:
    """A lesson number from the file, None when it is not one of the course."""
    try:
        number = int(key)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= len(LESSONS) else None


def parse(data: Any) -> Preferences:
    """Preferences from the file's JSON, keeping only what names real lessons and fields."""
    prefs = Preferences()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    prefs.lesson = _lesson(data.get("lesson")) or 1
    values = data.get("values")
    for key, fields in (values.items() if isinstance(values, dict) else ()):
        number = _lesson(key)
        if number is None or not isinstance(fields, dict):
            continue
        own = {name: _text(text) for name, text in fields.items() if name in LESSONS[number - 1].fields and name not in SHARED}
        prefs.values[number] = {name: text for name, text in own.items() if text is not None}
    shared = data.get("shared")
    for name in SHARED:
        text = _text(shared.get(name)) if isinstance(shared, dict) else None
        if text is not None:
            prefs.shared[name] = text
    results = data.get("results")
    for key, entry in (results.items() if isinstance(results, dict) else ()):
        number = _lesson(key)
        if number is not None and isinstance(entry, list) and len(entry) == 2 and entry[0] in MARKS:
            result = _text(entry[1])
            if result is not None:
                prefs.results[number] = (entry[0], result)
    return prefs


def load(path: Path | None = None) -> tuple[Preferences, str | None]:
    """The remembered state and, when the file could not be used, one line saying why (then the defaults)."""
    path = path or preferences_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Preferences(), None
    except (OSError, UnicodeDecodeError) as exc:
        return Preferences(), f"cannot read the app's saved settings ({path}): {getattr(exc, 'strerror', None) or exc}; starting from the defaults"
    try:
        data = json.loads(raw)
        if isinstance(data, dict) and isinstance(data.get("format"), int) and data["format"] > VERSION:
            return Preferences(), f"the app's saved settings ({path}) are from a newer babytui; starting from the defaults"
        return parse(data), None
    except (ValueError, TypeError, AttributeError) as exc:
        return Preferences(), f"the app's saved settings ({path}) are damaged ({exc}); starting from the defaults"


def save(prefs: Preferences, path: Path | None = None) -> str | None:
    """Write the file whole (a temporary name, synced, renamed); one line saying why when it cannot be."""
    from babytui.core.runs.files import write_atomic

    path = path or preferences_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (json.dumps(prefs.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    except OSError as exc:
        return f"cannot save the app's settings in {path}: {exc.strerror or exc}"
    return None
