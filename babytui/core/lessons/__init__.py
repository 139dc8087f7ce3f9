"""The course: every lesson in order. `LESSONS` is the only list of lessons; each is one module here.

Adding a lesson is one new module that builds `LESSON`, plus its line in `COURSE`. Nothing
outside this package compares lesson numbers: counts and ranges come from `LESSONS`.
"""

from __future__ import annotations

from importlib import import_module

from ..errors import SettingsError
from .base import Lesson

COURSE = (
    "l01_tensors",
    "l02_linear",
    "l03_loss",
    "l04_gradient",
    "l05_one_update",
    "l06_epochs",
    "l07_mini_batches",
    "l08_neural_network",
    "l09_module_class",
    "l10_images",
    "l11_convolution",
    "l12_pooling",
    "l13_relu_deeper_gpu",
    "l14_all_together",
    "l15_early_stopping",
    "l16_momentum_adam",
    "l17_learning_rate",
    "l18_initialization",
    "l19_batch_norm",
    "l20_regularization",
    "l21_strong_network",
)
"""The lesson modules, in the order of the course."""

LESSONS: list[Lesson] = []
"""Every lesson, in order: LESSONS[n - 1] is lesson n."""


def register(lesson: Lesson) -> Lesson:
    """Add a lesson at the end of the course; its number must be the next one."""
    if lesson.number != len(LESSONS) + 1:
        raise ValueError(f"lesson {lesson.title!r} is numbered {lesson.number}, but the next number is {len(LESSONS) + 1}")
    LESSONS.append(lesson)
    return lesson


def unregister(lesson: Lesson) -> None:
    """Take the last lesson off the course again (for a lesson added by a test)."""
    if LESSONS and LESSONS[-1] is lesson:
        LESSONS.pop()


def get_lesson(number: int) -> Lesson:
    """The lesson with this number, or a SettingsError naming the range."""
    if not isinstance(number, int) or not 1 <= number <= len(LESSONS):
        raise SettingsError("lesson", f"there is no lesson {number}: choose {lesson_range(joiner=' to ')}")
    return LESSONS[number - 1]


def lesson_range(image_only: bool = False, joiner: str = "-") -> str:
    """The lessons' numbers, '1-14', or for the image lessons '10-14' (`joiner` ' to ': '1 to 14')."""
    numbers = [lesson.number for lesson in LESSONS if lesson.is_image or not image_only]
    if not numbers:
        return "none"
    return f"{numbers[0]}{joiner}{numbers[-1]}" if len(numbers) > 1 else str(numbers[0])


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def count_in_words(count: int | None = None) -> str:
    """How many lessons there are, in words: 'fourteen', 'twenty-one'."""
    n = len(LESSONS) if count is None else count
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens - 2] + ("" if ones == 0 else "-" + _ONES[ones])
    return f"{n:,}"


def image_lessons() -> list[Lesson]:
    """The lessons that train on images."""
    return [lesson for lesson in LESSONS if lesson.is_image]


for _name in COURSE:
    register(import_module(f".{_name}", __name__).LESSON)
