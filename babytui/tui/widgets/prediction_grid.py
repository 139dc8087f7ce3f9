"""The prediction grid: test images in half-block characters, each with its true and predicted class;
or (a) the augmented training images the network is fed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.message import Message
from textual.widget import Widget

from babytui.core.events import Predictions, RunStarted, TrainingImagesFed
from babytui.core.formatting import printable
from babytui.core.lessons import lesson_range
from ..render import half_block_lines, np, top_k

def empty_text() -> str:
    """What the grid says before any run."""
    return f"Run an image lesson ({lesson_range(image_only=True)}) to see test images and what the model thinks they are."


FED_EMPTY = (
    "What the network is fed: no training images yet. With crop padding or flip on, the first "
    "images of each epoch's first batch appear here as the network sees them. a: back to the test predictions."
)
"""What the training images' view says before any came."""
GAP = 2
"""Columns between two images."""
CAPTION_LINES = 2
"""Lines under each image: the true class, then the prediction."""


class PredictionGrid(Widget, can_focus=True):
    """Test images with their true and predicted class, right in green, wrong in red; pages and a filter;
    or the training images as the network was fed them."""

    BINDINGS = [
        Binding("n,pagedown", "page(1)", "Next page"),
        Binding("b,pageup", "page(-1)", "Prev page"),
        Binding("w", "toggle_wrong", "Wrong only"),
        Binding("enter", "toggle_detail", "Top 3"),
        Binding("a", "toggle_fed", "What it is fed"),
        Binding("left", "move(-1, 0)", show=False),
        Binding("right", "move(1, 0)", show=False),
        Binding("up", "move(0, -1)", show=False),
        Binding("down", "move(0, 1)", show=False),
    ]

    @dataclass
    class Picked(Message):
        """Enter picked a test image: the inside view (6) looks at it."""

        index: int
        """The image's place in the predictions."""

    DEFAULT_CSS = """
    PredictionGrid {
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="prediction-grid")
        self.step = 0
        """Updates done when the images were scored."""
        self.images: np.ndarray | None = None
        """uint8 (N, 3, H, W) test images; None until predictions arrive."""
        self.labels: Any = ()
        """True class of each image (an int64 array once predictions arrive)."""
        self.probabilities: Any = ()
        """(N, classes) the model's probabilities."""
        self.predicted: Any = ()
        """The most likely class of each image."""
        self.class_names: tuple[str, ...] = ()
        """Class names."""
        self.wrong_only = False
        """True to show only the images the model got wrong."""
        self.page = 0
        """The page shown, from 0."""
        self.cursor = 0
        """The selected image, as a position in the filtered list."""
        self.detail = False
        """True to show the selected image's top-3 classes."""
        self.empty_text = empty_text()
        """What the grid says when there is nothing to show."""
        self.fed: TrainingImagesFed | None = None
        """The newest augmented training images, None until a run with crop or flip sends them."""
        self.showing_fed = False
        """True to show what the network is fed instead of the test predictions."""
        self._fed_images: np.ndarray | None = None
        self._cells: dict[tuple[bool, int], list[Text]] = {}

    # Events

    def handle_event(self, event: Any) -> None:
        """Keep the newest predictions; a new run clears the grid."""
        if isinstance(event, RunStarted):
            self.reset()
            self.empty_text = (
                "The test images and the model's guesses appear at the end of each epoch."
                if event.classes
                else f"Lesson {event.lesson} has no images: the prediction grid is for the image lessons, {lesson_range(image_only=True)}."
            )
            self.refresh()
        elif isinstance(event, Predictions):
            self.show(event.step, event.images, event.labels, event.probabilities, event.classes)
        elif isinstance(event, TrainingImagesFed):
            self.fed, self._fed_images = event, np.asarray(event.images)
            self._cells = {key: cell for key, cell in self._cells.items() if not key[0]}
            if self.showing_fed:
                self._clamp()
                self.refresh()

    def show(self, step: int, images: Any, labels: Any, probabilities: Any, classes: tuple[str, ...]) -> None:
        """Show a set of predictions (tensors or arrays), keeping the page and the filter."""
        self.step = step
        self.images = np.asarray(images)
        self.labels = np.asarray(labels).astype(np.int64)
        self.probabilities = np.asarray(probabilities, dtype=np.float64)
        self.predicted = self.probabilities.argmax(axis=1) if len(self.probabilities) else self.labels
        self.class_names = tuple(classes)
        self._cells = {key: cell for key, cell in self._cells.items() if key[0]}
        self._clamp()
        self.refresh()

    def reset(self) -> None:
        """Forget the predictions shown."""
        self.images = None
        self.labels = self.probabilities = self.predicted = ()
        self.page = self.cursor = 0
        self.detail = False
        self.empty_text = empty_text()
        self.fed = self._fed_images = None
        self._cells = {}
        self.refresh()

    # What is shown

    @property
    def view_images(self) -> np.ndarray | None:
        """The images of the view shown: the test images, or those the network was fed."""
        return self._fed_images if self.showing_fed else self.images

    @property
    def shown(self) -> list[int]:
        """Indices of the images that pass the filter (the training images are all shown)."""
        images = self.view_images
        if images is None:
            return []
        if self.showing_fed:
            return list(range(len(images)))
        if self.wrong_only:
            return [int(i) for i in np.flatnonzero(self.predicted != self.labels)]
        return list(range(len(self.images)))

    @property
    def factor(self) -> int:
        """How many times images are shrunk: 32x32 becomes 16x8 cells."""
        images = self.view_images
        return 2 if images is not None and images.shape[-1] >= 24 else 1

    @property
    def cell_size(self) -> tuple[int, int]:
        """Columns and lines of one image with its caption."""
        images = self.view_images
        if images is None:
            return (16, 8 + CAPTION_LINES)
        h, w = images.shape[-2:]
        f = self.factor
        return (w // f, (h // f + 1) // 2 + CAPTION_LINES)

    @property
    def grid_shape(self) -> tuple[int, int]:
        """Images across and down that fit the widget (at least one)."""
        width, height = self.content_size.width or 80, self.content_size.height or 24
        cell_w, cell_h = self.cell_size
        across = max(1, (width + GAP) // (cell_w + GAP))
        down = max(1, (height - 2 - (4 if self.detail else 0)) // (cell_h + 1))
        return across, down

    @property
    def per_page(self) -> int:
        """Images on one page."""
        across, down = self.grid_shape
        return across * down

    @property
    def pages(self) -> int:
        """Number of pages, at least one."""
        return max(1, -(-len(self.shown) // self.per_page))

    def _clamp(self) -> None:
        """Keep the page and cursor inside what is shown."""
        count = len(self.shown)
        self.page = min(max(self.page, 0), self.pages - 1)
        low = self.page * self.per_page
        high = min(count, low + self.per_page) - 1
        self.cursor = min(max(self.cursor, low), max(high, low))

    def cell_lines(self, index: int) -> list[Text]:
        """The half-block picture of one image of the view shown (cached until new images arrive)."""
        key = (self.showing_fed, index)
        if key not in self._cells:
            images = self.view_images
            assert images is not None
            self._cells[key] = half_block_lines(images[index], self.factor)
        return self._cells[key]

    def class_name(self, index: int) -> str:
        """A class's name (escaped: a folder's name may hold anything), or its number where the names are unknown."""
        return printable(self.class_names[index]) if 0 <= index < len(self.class_names) else str(index)

    def render(self) -> Any:
        """The header, a page of images with captions, and the selected image's top 3."""
        images = self.view_images
        if images is None or not len(images):
            if self.showing_fed:
                return Text(FED_EMPTY, style=self._style("text-muted"))
            return Text(self.empty_text, style=self._style("text-muted"))
        self._clamp()
        shown = self.shown
        if self.showing_fed:
            header = self._fed_header()
        else:
            wrong = int((self.predicted != self.labels).sum())
            header = Text.assemble(
                (f"step {self.step:,}  ", self._style("text-muted")),
                f"{len(images)} test images, ",
                (f"{len(images) - wrong} right", self._style("success")),
                ", ",
                (f"{wrong} wrong", self._style("error")),
                f"   page {self.page + 1}/{self.pages}",
                ("  (wrong only)" if self.wrong_only else "", self._style("warning")),
                ("   n/b page · w wrong only · arrows + enter: top 3 · a: what the network is fed · z: zoom", self._style("text-muted")),
            )
        header.no_wrap = True
        header.overflow = "ellipsis"
        lines: list[Text] = [header, Text()]
        if not shown:
            lines.append(Text("The model got every one of these right.", style=self._style("success")))
            return Group(*lines)
        across, down = self.grid_shape
        cell_w, _ = self.cell_size
        page = shown[self.page * self.per_page : (self.page + 1) * self.per_page]
        for row in range(down):
            members = page[row * across : (row + 1) * across]
            if not members:
                break
            pictures = [self.cell_lines(i) for i in members]
            for line in range(len(pictures[0])):
                lines.append(Text(" " * GAP).join(p[line] for p in pictures))
            for caption in range(CAPTION_LINES):
                parts = [self._caption(i, caption, cell_w) for i in members]
                lines.append(Text(" " * GAP).join(parts))
            lines.append(Text())
        if self.detail and not self.showing_fed:
            lines.extend(self._detail(shown[self.cursor]) if self.cursor < len(shown) else [])
        return Group(*lines)

    def _fed_header(self) -> Text:
        """The title of the training images' view: what they are, from when, and how they were changed."""
        assert self.fed is not None
        header = Text.assemble(
            ("What the network is fed: ", "bold"),
            f"{len(self.fed.images)} training images of epoch {self.fed.epoch}, ",
            (self.fed.augmentation or "as they are", self._style("warning")),
            f"   page {self.page + 1}/{self.pages}",
            ("   a: back to the test predictions · n/b page", self._style("text-muted")),
            (f"  (step {self.fed.step:,})", self._style("text-muted")),
        )
        return header

    def _caption(self, index: int, line: int, width: int) -> Text:
        """The true class (first line) or the prediction (second line), fitted to the image's width;
        a training image has only its class."""
        selected = self.shown.index(index) == self.cursor if self.shown else False
        if self.showing_fed:
            assert self.fed is not None
            names = self.class_names or self.fed.classes
            label = int(self.fed.labels[index])
            name = printable(names[label]) if 0 <= label < len(names) else str(label)
            text = Text((name if line == 0 else "")[:width].ljust(width), style=self._style("text"))
            if selected and line == 0:
                text.stylize(Style(reverse=True))
            return text
        right = self.predicted[index] == self.labels[index]
        if line == 0:
            text = Text(self.class_name(int(self.labels[index]))[:width].ljust(width), style=self._style("text"))
        else:
            mark = "✓ " if right else "✗ "
            name = self.class_name(int(self.predicted[index]))
            text = Text((mark + name)[:width].ljust(width), style=self._style("success" if right else "error"))
        if selected:
            text.stylize(Style(reverse=True))
        return text

    def _detail(self, index: int) -> list[Text]:
        """The selected image's three most likely classes, with bars."""
        true = int(self.labels[index])
        lines = [Text.assemble(("Test image ", ""), (f"#{index}", "bold"), f": truly {self.class_name(true)}; the model says", ("   (6: inside the network)", "dim"))]
        for cls, p in top_k(self.probabilities[index], 3):
            bar = "█" * round(p * 20)
            style = self._style("success" if cls == true else "error" if cls == self.predicted[index] else "text")
            lines.append(Text.assemble(f"  {self.class_name(cls):<12} {p * 100:5.1f}% ", (bar, style)))
        return lines

    def _style(self, variable: str) -> Style:
        """A foreground style from a theme colour such as 'success'; 'text-muted' is dim, 'text' plain."""
        if variable == "text-muted":
            return Style(dim=True)
        try:
            return Style(color=Color.parse(self.app.theme_variables[variable]).hex)
        except Exception:  # not in an app, or a theme without it
            return Style()

    # Keys

    def action_page(self, delta: int) -> None:
        """Show the next or previous page."""
        self.page = (self.page + delta) % self.pages
        self.cursor = self.page * self.per_page
        self.refresh()

    def action_toggle_wrong(self) -> None:
        """Show only the images the model got wrong, or all of them."""
        if self.showing_fed:  # the training images have no guesses, right or wrong
            return
        self.wrong_only = not self.wrong_only
        self.page = self.cursor = 0
        self.refresh()

    def action_toggle_fed(self) -> None:
        """Switch between the test predictions and the training images the network is fed."""
        self.showing_fed = not self.showing_fed
        self.page = self.cursor = 0
        self.refresh()

    def action_toggle_detail(self) -> None:
        """Show or hide the selected image's top-3 classes; the image is picked for the inside view."""
        if self.showing_fed:  # a training image has no prediction to show
            return
        self.detail = not self.detail
        shown = self.shown
        if self.detail and self.cursor < len(shown):
            self.post_message(self.Picked(shown[self.cursor]))
        self.refresh()

    def action_move(self, dx: int, dy: int) -> None:
        """Move the selection among the images on screen (across pages at the ends)."""
        count = len(self.shown)
        if not count:
            return
        across, _ = self.grid_shape
        self.cursor = min(max(self.cursor + dx + dy * across, 0), count - 1)
        self.page = self.cursor // self.per_page
        self.refresh()
