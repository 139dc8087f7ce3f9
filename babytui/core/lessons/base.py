"""What every lesson is: a title, our text, its settings, and what running it yields.

A lesson family (small numbers, images) subclasses `Lesson` once; each lesson is one module
that builds one instance, `LESSON`, and adds what is its own (its model, its notes, its script).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from ..settings import Settings, validate

if TYPE_CHECKING:  # torch is imported where a lesson runs, so the app's first frame never waits for it
    from torch import nn

    from ..control import Control
    from ..datasets import ImageData
    from ..events import Event

MAX_GHOSTS = 7
"""The most earlier lessons one lesson's loss plot draws as ghosts: more would clutter it."""


@dataclass(frozen=True)
class Lesson:
    """One lesson: what it teaches, which settings it has and their defaults, and how it runs."""

    number: int
    """Its place in the course, from 1."""
    title: str
    """Short title as in the course table."""
    text: str
    """A few paragraphs in plain words: what this lesson shows and what to try."""
    fields: tuple[str, ...]
    """The settings this lesson has, in form order."""
    defaults: Settings
    """The tutorial's values for those settings (ours where the tutorial had none)."""
    ghosts: tuple[int, ...] = field(default=(), kw_only=True)
    """Earlier lessons whose newest saved runs its loss plot draws as the ghosts of the course
    (test accuracy by epoch), at most MAX_GHOSTS of them."""

    uses_images = False
    """True for the lessons that train on an image dataset for seconds to minutes."""

    def __post_init__(self) -> None:
        """ValueError when the ghosts are not a few different earlier lessons (a mistake in a lesson module)."""
        numbers = self.ghosts
        if len(numbers) > MAX_GHOSTS or len(set(numbers)) != len(numbers) or any(
            type(n) is not int or not 1 <= n < self.number for n in numbers
        ):
            raise ValueError(f"lesson {self.number}'s ghosts {numbers!r} must be at most {MAX_GHOSTS} different earlier lessons")

    @property
    def is_image(self) -> bool:
        """True for the image lessons: they load a dataset, checkpoint, and can be resumed."""
        return self.uses_images

    def settings(self, values: Mapping[str, Any] | None = None, base: Settings | None = None) -> Settings:
        """Validated settings: `values` (text or typed) applied over `base` or the defaults."""
        return validate(self.fields, base or self.defaults, values or {})

    def build_model(self, settings: Settings, num_classes: int = 10) -> nn.Module | None:
        """A freshly initialised model for these settings (call after seeding); None for no model."""
        return None

    def input_shape(self, settings: Settings) -> tuple[int, ...] | None:
        """The shape of one input to the model, batch left out; None for no model."""
        return None

    def run(
        self,
        settings: Settings,
        control: Control,
        *,
        data: ImageData | None = None,
        checkpoints: bool = False,
        resume: dict[str, Any] | None = None,
    ) -> Iterator[Event]:
        """The events of one run with these settings (see `train.train`)."""
        raise NotImplementedError

    def script(self, settings: Settings) -> str:
        """The body of the lesson's standalone script, after its docstring (see `export`)."""
        raise NotImplementedError
