"""The settings of the current lesson, one input each, validated by the core as typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from babytui.core.errors import SettingsError
from babytui.core.lessons import Lesson
from babytui.core.settings import FIELDS, check_data_root

PLACEHOLDERS = {"data_root": "empty: $BABYTUI_DATA or the cache", "max_steps": "0 = no limit"}
"""Hints shown in empty inputs."""


def check(lesson: Lesson, values: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """The core's verdict on typed values: (Settings or None, field name -> reason)."""
    errors: dict[str, str] = {}
    for name, text in values.items():
        try:
            lesson.settings({name: text})
        except SettingsError as exc:
            if exc.field == name:  # a reason about another field hangs on the other values: checked below
                errors[name] = exc.reason
        except Exception as exc:  # never let odd input crash the form
            errors[name] = f"{type(exc).__name__}: {exc}"
    if errors:
        return None, errors
    try:
        settings = lesson.settings(values)
        check_data_root(lesson.fields, settings)  # on the disk, as typed: a file, a folder not there
        return settings, {}
    except SettingsError as exc:
        return None, {exc.field: exc.reason}
    except Exception as exc:
        return None, {next(iter(values), "settings"): f"{type(exc).__name__}: {exc}"}


class SettingsForm(VerticalScroll):
    """One row per setting of the lesson; a bad value shows the core's reason under it.

    A field takes every printable key, so escape or enter leaves it for the form itself, where
    the app's keys work again; enter (or tab) goes back into the fields.
    """

    BINDINGS = [Binding("enter", "edit", "Edit", show=False)]

    @dataclass
    class Entered(Message):
        """Enter was pressed in a field."""

        name: str
        """The setting."""
        text: str
        """Its text."""

    @dataclass
    class Changed(Message):
        """A value was edited (or the form was loaded) and checked."""

        lesson: int
        """The lesson these settings belong to."""
        values: dict[str, str]
        """Every field's text as typed."""
        settings: Any = None
        """The validated Settings, or None while a value is bad."""
        errors: dict[str, str] = field(default_factory=dict)
        """Field name to the reason it is refused."""

    def __init__(self, lesson: Lesson | None = None, values: dict[str, str] | None = None) -> None:
        super().__init__(id="settings-form")
        self.border_title = "Settings"
        self.lesson: Lesson | None = None
        """The lesson whose settings are shown."""
        self.errors: dict[str, str] = {}
        """The bad fields now shown, name to reason."""
        self.inputs: dict[str, Widget] = {}
        """Setting name to its input widget."""
        self.error_labels: dict[str, Label] = {}
        """Setting name to the label under it that shows its error."""
        self._loading = False
        self._check_due = False
        self._initial = (lesson, values or {})
        self.last_field: str | None = None
        """The setting edited last, where enter on the form goes back to."""

    def compose(self):
        """The first lesson's rows, so the first frame needs no second mount."""
        lesson, values = self._initial
        if lesson is not None:
            self.lesson = lesson
            yield from self._rows(lesson, values)

    def on_mount(self) -> None:
        """Check the first lesson's values."""
        self.check()

    async def load(self, lesson: Lesson, values: dict[str, str]) -> None:
        """Show `lesson`'s fields with these values (text as typed)."""
        self._loading = True
        self.lesson = lesson
        await self.remove_children()
        await self.mount_all(self._rows(lesson, values))
        self._loading = False
        self.check()

    def _rows(self, lesson: Lesson, values: dict[str, str]) -> list[Widget]:
        """A row (label, input) and an error label for each of the lesson's settings."""
        rows: list[Widget] = []
        self.inputs, self.error_labels = {}, {}
        for name in lesson.fields:
            spec = FIELDS[name]
            text = values.get(name, spec.format(getattr(lesson.defaults, name)))
            self.inputs[name] = self._input(lesson, name, text)
            self.error_labels[name] = Label("", id=f"error-{name}", classes="field-error")
            rows.append(
                Horizontal(
                    Label(spec.label, classes="field-label"),
                    self.inputs[name],
                    classes="field-row",
                    id=f"row-{name}",
                )
            )
            rows.append(self.error_labels[name])
        return rows

    def _input(self, lesson: Lesson, name: str, text: str) -> Widget:
        """The input widget for one setting."""
        spec = FIELDS[name]
        widget: Widget
        # A yes/no setting is one whose default is a bool; it is shown as a choice of the two.
        choices = ("yes", "no") if isinstance(getattr(lesson.defaults, name, None), bool) else spec.choices
        if choices:
            options = [(choice, choice) for choice in choices]
            if text not in choices:
                options.append((text, text))
            widget = Select(options, value=text, allow_blank=False, compact=True, id=f"field-{name}")
        else:
            widget = Input(text, placeholder=PLACEHOLDERS.get(name, ""), compact=True, id=f"field-{name}")
        widget.tooltip = spec.help
        return widget

    def values(self) -> dict[str, str]:
        """Every field's current text."""
        values: dict[str, str] = {}
        if self.lesson is None:
            return values
        for name, widget in self.inputs.items():
            if isinstance(widget, Select):
                values[name] = "" if widget.value is Select.BLANK else str(widget.value)
            elif isinstance(widget, Input):
                values[name] = widget.value
        return values

    def set_value(self, name: str, text: str) -> bool:
        """Set one field's text (a choice is added if missing); False when the lesson lacks it."""
        widget = self.inputs.get(name)
        if widget is None:
            return False
        if isinstance(widget, Select):
            if text not in [value for _, value in widget._options]:
                widget.set_options([*widget._options, (text, text)])
            widget.value = text
        elif isinstance(widget, Input):
            widget.value = text
        return True

    def shows(self, lesson: Lesson) -> bool:
        """True once the form holds `lesson`'s fields, fully built."""
        return self.lesson is lesson and not self._loading

    def check(self) -> None:
        """Validate every field with the core, show the reasons and tell the app."""
        if self.lesson is None or self._loading:
            return
        values = self.values()
        settings, errors = check(self.lesson, values)
        self.errors = errors
        for name, widget in self.inputs.items():
            reason = errors.get(name, "")
            label = self.error_labels[name]
            if str(label.content) != reason:
                label.update(reason)
            label.display = bool(reason)
            widget.set_class(bool(reason), "invalid")
        self.post_message(self.Changed(self.lesson.number, values, settings, errors))

    def check_soon(self) -> None:
        """Check once after the pending messages, however many edits arrived together."""
        if not self._check_due:
            self._check_due = True
            self.call_later(self._check_now)

    def _check_now(self) -> None:
        """Run a check asked for by check_soon."""
        self._check_due = False
        self.check()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Check as the user types."""
        event.stop()
        if not self._loading:
            self.check_soon()

    def on_select_changed(self, event: Select.Changed) -> None:
        """Check a new choice."""
        event.stop()
        if not self._loading:
            self.check_soon()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field leaves it, like escape (and says which, for a run that takes a new lr)."""
        event.stop()
        name = next((n for n, widget in self.inputs.items() if widget is event.input), None)
        if name is not None:
            self.post_message(self.Entered(name, event.value))
        self.leave_field()

    def on_descendant_focus(self, event: Any) -> None:
        """Remember the field being edited."""
        for name, widget in self.inputs.items():
            if widget is event.widget:
                self.last_field = name

    def leave_field(self) -> None:
        """Give the keys back to the app: the form itself takes the focus."""
        self.focus(scroll_visible=False)

    def action_edit(self, name: str | None = None) -> None:
        """Go into a field: the one edited last, else the first."""
        name = name or self.last_field
        widget = self.inputs.get(name) if name else None
        if widget is None and self.inputs:
            widget = next(iter(self.inputs.values()))
        if widget is not None:
            widget.focus()

    @property
    def editing(self) -> bool:
        """True while a field of the form has the focus (and takes the printable keys)."""
        focused = self.screen.focused if self.is_mounted else None
        return focused is not None and focused is not self and focused in self.walk_children()
