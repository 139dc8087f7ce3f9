"""Errors the core raises with a message meant for the user, never a traceback."""

from __future__ import annotations


class BabytuiError(Exception):
    """A problem the user can fix; its message is shown as it is."""


class SettingsError(BabytuiError):
    """A setting has a value the lesson cannot use."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        """The setting at fault (its name in the form and on the command line)."""
        self.reason = message
        """The message without the field name, for showing next to the field."""


class DeviceError(BabytuiError):
    """The device asked for is not present on this machine."""


class DataError(BabytuiError):
    """A dataset is missing, incomplete or unreadable."""


class LoadCancelled(DataError):
    """The user stopped loading a dataset (a download, reading a folder); nothing of it was kept."""


class DivergedError(BabytuiError):
    """The loss became NaN or infinite, so training cannot go on."""

    def __init__(self, step: int, value: float, lr: float, blame: str = "") -> None:
        super().__init__(
            f"the loss became {value} at step {step}: training diverged; "
            + (f"{blame}; " if blame else "")
            + f"try a smaller learning rate than {lr:g}"
        )
        self.step = step
        """The step whose loss was not finite."""
        self.blame = blame
        """Which layer blew up first, in words ('' when none stood out)."""


class RunError(BabytuiError):
    """A saved run is missing, damaged, from a newer babytui, or cannot be saved or resumed."""
