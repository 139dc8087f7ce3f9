"""Validation of settings: one place, clear messages, nothing half-applied."""

from __future__ import annotations

import pytest

from babytui.core.errors import SettingsError
from babytui.core.lessons import LESSONS, get_lesson


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("lr", "abc", "'abc' is not a number"),
        ("lr", "-1", "must be greater than 0"),
        ("lr", "0", "must be greater than 0"),
        ("lr", "nan", "finite"),
        ("epochs", "0", "at least 1"),
        ("epochs", "2.5", "not a whole number"),
        ("batch_size", "0", "at least 1"),
        ("activation", "swish", "not one of sigmoid, relu, tanh"),
        ("targets", "0, 1", "exactly 4 numbers"),
        ("output_activation", "maybe", "not yes or no"),
    ],
)
def test_bad_values_name_the_field_and_why(field: str, text: str, message: str) -> None:
    with pytest.raises(SettingsError) as info:
        get_lesson(8).settings({field: text})
    assert info.value.field == field
    assert message in info.value.reason


def test_bad_device_name() -> None:
    with pytest.raises(SettingsError, match="not one of auto, cpu, cuda, mps"):
        get_lesson(14).settings({"device": "tpu"})


def test_typed_text_becomes_values() -> None:
    s = get_lesson(8).settings({"lr": " 1e-2 ", "epochs": "1_000", "targets": "[1, 0, 0, 1]", "output_activation": "no"})
    assert (s.lr, s.epochs, s.targets, s.output_activation) == (0.01, 1000, (1.0, 0.0, 0.0, 1.0), False)


def test_a_setting_the_lesson_lacks_is_refused() -> None:
    with pytest.raises(SettingsError, match="does not apply to this lesson"):
        get_lesson(2).settings({"hidden": "3"})


def test_no_lesson_past_the_last() -> None:
    last = len(LESSONS)
    with pytest.raises(SettingsError, match=f"there is no lesson {last + 1}: choose 1 to {last}"):
        get_lesson(last + 1)


def test_defaults_are_the_tutorials() -> None:
    table = {lesson.number: lesson for lesson in LESSONS}
    assert [lesson.title for lesson in LESSONS][:3] == ["Tensors, and y = x", "A linear layer", "Loss"]
    assert (table[6].defaults.lr, table[6].defaults.epochs) == (1e-4, 3)
    assert (table[7].defaults.batch_size, table[7].defaults.lr) == (2, 1e-4)
    assert (table[8].defaults.lr, table[8].defaults.batch_size, table[8].defaults.hidden) == (0.1, 4, 2)
    assert (table[10].defaults.hidden, table[10].defaults.activation) == (25, "sigmoid")
    assert table[11].defaults.conv1_channels == 6
    d14 = table[14].defaults
    assert (d14.lr, d14.epochs, d14.batch_size, d14.conv1_channels, d14.conv2_channels, d14.activation) == (
        0.01, 25, 4, 10, 20, "relu",
    )
    for lesson in LESSONS:
        assert lesson.settings() == lesson.defaults  # the defaults pass their own validation


def test_a_data_root_is_checked_on_the_disk_for_a_new_run(tmp_path) -> None:
    from babytui.core.settings import check_data_root

    lesson = get_lesson(14)

    def problem(root: str, dataset: str = "cifar10") -> str | None:
        try:
            check_data_root(lesson.fields, lesson.settings({"data_root": root, "dataset": dataset}))
        except SettingsError as exc:
            assert exc.field == "data_root"
            return exc.reason
        return None

    (tmp_path / "a file").write_text("x")
    (tmp_path / "pictures").mkdir()
    assert problem(str(tmp_path / "a file")) == f"{tmp_path / 'a file'} is a file, not a folder"
    assert "does not exist: the folder of images" in problem(str(tmp_path / "none"), "folder")
    assert problem(str(tmp_path / "pictures"), "folder") is None
    assert problem(str(tmp_path / "new" / "cifar")) is None  # CIFAR-10 is downloaded into a new folder
    assert "cannot be made" in problem(str(tmp_path / "a file" / "cifar"))
    assert problem(str(tmp_path / "a file"), "shapes") is None  # the shapes are generated: the root is not used
    # a saved run is read back whatever its data root has become
    assert lesson.settings({"data_root": str(tmp_path / "a file")}).data_root == str(tmp_path / "a file")


def test_an_unreadable_data_root_is_refused_as_typed(tmp_path, monkeypatch) -> None:
    import os

    from babytui.core.settings import check_data_root

    lesson = get_lesson(14)
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # chmod does not stop root, so refuse by hand
    with pytest.raises(SettingsError, match="cannot be read"):
        check_data_root(lesson.fields, lesson.settings({"data_root": str(tmp_path)}))
