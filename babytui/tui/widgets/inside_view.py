"""The inside view: what each layer of the network computes for one picture, and the gradients back.

For an image lesson: a test image (or the learner's own picture, changed by a what-if), each
convolution's feature maps, each pooling and linear layer's units, the probabilities, the saliency;
`g` shows each layer's gradient instead. For a small lesson: every unit on every sample and every
parameter with its gradient. The core computes it in a thread worker from the newest copy of the
weights (`core.inside`), at a bounded rate and only while the view is on screen; this only draws.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message

from babytui.core.events import Predictions, RunStarted, WeightsSnapshot
from babytui.core.lessons import get_lesson, lesson_range

from ..inside_render import class_name, look_lines, network_table, parameter_table
from ..pacing import DRAW_SHARE
from .strip_view import StripView
from .summary_line import SummaryLine

INTERVAL = 1.0
"""Seconds between two looks while the weights change, at the least (a costly look waits longer)."""
WHAT_IFS = ("as it is", "flipped", "shifted", "noisier", "darker")
"""The changes `w` cycles through (the core's list, kept here so the view needs no torch to start)."""


def empty_text() -> str:
    """What the view says before any run."""
    return (
        f"Run a lesson to look inside its network: for the image lessons ({lesson_range(image_only=True)}) what each "
        "layer computes for a picture and where its gradient goes; for the small networks every unit and gradient."
    )


@dataclass
class Job:
    """What one look computes: the weights, and which picture."""

    token: int
    subject: Any
    started: RunStarted
    snapshot: WeightsSnapshot
    image: Any = None
    label: int | None = None
    change: str = "as it is"
    what: str = ""
    key: tuple = ()


def compute(job: Job) -> dict[str, Any]:
    """In a thread: the look (core code), the what-ifs, and the Subject to keep for the next one."""
    import torch

    from babytui.core.inside import Subject, what_if

    torch.set_num_threads(1)  # the training thread keeps the other cores
    subject = job.subject
    if subject is None:
        subject = Subject(get_lesson(job.started.lesson), job.started.settings, tuple(job.started.classes))
    if getattr(subject, "loaded", None) is not job.snapshot:
        snap = job.snapshot
        subject.load(snap.params, snap.buffers, snap.step, snap.grads)
        subject.loaded = snap
    if job.image is None:
        return {"subject": subject, "network": subject.network_look(), "key": job.key}
    picture = what_if(job.image, job.change)
    look = subject.look(picture, job.label)
    return {"subject": subject, "look": look, "what_ifs": subject.what_ifs(job.image), "what": job.what, "change": job.change, "key": job.key}


class InsideView(Vertical, can_focus=True):
    """One picture through the network, layer by layer (image lessons); every unit (small networks)."""

    BINDINGS = [
        Binding("right,n", "pick(1)", "Next image"),
        Binding("left,b", "pick(-1)", "Prev image"),
        Binding("g", "toggle_gradients", "Gradients"),
        Binding("w", "what_if", "What if"),
        Binding("o", "open_picture", "Your picture"),
        Binding("up", "scroll(-1)", show=False),
        Binding("down", "scroll(1)", show=False),
        Binding("pageup", "scroll(-10)", show=False),
        Binding("pagedown", "scroll(10)", show=False),
        Binding("home", "scroll(-100000)", show=False),
        Binding("end", "scroll(100000)", show=False),
    ]

    DEFAULT_CSS = """
    InsideView {
        height: 1fr;
        #inside-body { height: 1fr; padding: 0 1; }
    }
    """

    @dataclass
    class Computed(Message):
        """A look came back from the worker."""

        token: int
        result: dict[str, Any] | None
        cost: float
        error: str = ""

    @dataclass
    class PictureRead(Message):
        """The learner's picture was read (or could not be)."""

        path: str
        image: Any
        error: str = ""

    def __init__(self) -> None:
        super().__init__(id="inside-view")
        self.started: RunStarted | None = None
        """The run looked into."""
        self.snapshot: WeightsSnapshot | None = None
        """The newest copy of its weights."""
        self.predictions: Predictions | None = None
        """The test images to pick from."""
        self.index = 0
        """The test image picked."""
        self.own: tuple[str, Any] | None = None
        """(path, uint8 picture) of the learner's own picture, when that is what is shown."""
        self.change = 0
        """The what-if applied: an index into WHAT_IFS."""
        self.gradients = False
        """Show each layer's gradient instead of its output."""
        self.result: dict[str, Any] | None = None
        """The newest look."""
        self.previous: dict[str, Any] | None = None
        """The look before it, of the same picture: what moved."""
        self.message = empty_text()
        """What the view says when there is nothing to show."""
        self._subject: Any = None
        self._token = 0
        self._busy = False
        self._dirty = False
        self._next = 0.0
        self._shown_key: tuple = ()

    def compose(self) -> ComposeResult:
        """A line saying what is shown, and the layers below it."""
        yield SummaryLine(self.message, id="inside-summary")
        yield StripView(id="inside-body")

    def on_mount(self) -> None:
        """Look again at a bounded rate while the weights change."""
        self.set_interval(0.25, self.look_again)

    def on_show(self) -> None:
        """Brought to the front: look at what arrived while hidden."""
        self.call_after_refresh(self.look_again, True)

    def on_resize(self) -> None:
        """Zoomed or resized: lay the maps out again for the new width."""
        if self.result is not None:
            self.call_after_refresh(self.draw)

    # Events

    def handle_event(self, event: Any) -> None:
        """Keep the run, its newest weights and its test images; the timer looks again."""
        if isinstance(event, RunStarted):
            self.reset(keep_own=True)
            self.started = event
            self.refresh_bindings()
            if event.parameters == 0:
                self.message = f"Lesson {event.lesson} has no network to look into; the lessons after it do."
            else:
                self.message = "Waiting for the first copy of the weights..."
        elif isinstance(event, WeightsSnapshot) and self.started is not None and self.started.settings is not None:
            self.snapshot = event
            self._dirty = True
        elif isinstance(event, Predictions):
            first = self.predictions is None
            self.predictions = event
            self.index = min(self.index, max(len(event.images) - 1, 0))
            self._dirty = self._dirty or first

    def reset(self, keep_own: bool = False) -> None:
        """Forget the run (the learner's picture stays when `keep_own`)."""
        self.started = self.snapshot = self.predictions = None
        self.result = self.previous = None
        self._subject = None
        self._token += 1  # a look still being computed is of the old run
        self.own = self.own if keep_own else None
        self.message = empty_text()
        self._dirty = False
        if self.is_mounted:
            self.draw()

    @property
    def is_image(self) -> bool:
        """True when the run is of an image lesson."""
        return bool(self.started is not None and self.started.classes)

    def pick(self, index: int) -> None:
        """Show test image `index` (from the prediction grid)."""
        self.own = None
        self.index = index
        self._request()

    # Looking

    def _request(self) -> None:
        self._dirty = True
        self.look_again(True)

    def look_again(self, now: bool = False) -> None:
        """Start a look if something changed, the view is on screen and the last one's cost allows."""
        if not self._dirty or self._busy or not self.is_mounted or self.region.area == 0:
            return
        if not now and time.monotonic() < self._next:
            return
        job = self._job()
        self._dirty = False
        if job is None:
            self.draw()
            return
        self._busy = True
        self.run_worker(lambda: self._compute(job), thread=True, group="inside", exit_on_error=False)

    def _job(self) -> Job | None:
        """What to compute now, None when there is not enough to look at."""
        if self.started is None or self.snapshot is None or self.started.settings is None:
            return None
        self._token += 1
        job = Job(self._token, self._subject, self.started, self.snapshot, change=WHAT_IFS[self.change], key=self._picture_key())
        if not self.is_image:
            return job
        if self.own is not None:
            job.image, job.what = self.own[1], f"your picture {self.own[0]!r}"
        elif self.predictions is not None and len(self.predictions.images):
            job.image, job.label = self.predictions.images[self.index], int(self.predictions.labels[self.index])
            job.what = f"test image #{self.index} ({class_name(self.predictions.classes, job.label)})"
        else:
            return None
        return job

    def _compute(self, job: Job) -> None:
        """The worker: the core computes, a message brings it back."""
        cpu = time.thread_time()
        try:
            result: dict[str, Any] | None = compute(job)
            error = ""
        except Exception as exc:  # a look that fails says why in the view; the app goes on
            result, error = None, str(exc) or type(exc).__name__
        self.post_message(self.Computed(job.token, result, time.thread_time() - cpu, error))

    def on_inside_view_computed(self, message: Computed) -> None:
        """Show the new look; what it cost sets when the next may come."""
        self._busy = False
        if message.token != self._token:
            self.look_again(True)  # the run or the picture changed meanwhile
            return
        cpu = time.thread_time()
        if message.result is None:
            self.result, self.message = None, f"Could not look inside: {message.error}"
            self.draw()
        else:
            self._subject = message.result["subject"]
            self.show(message.result)
        cost = message.cost + time.thread_time() - cpu
        self._next = time.monotonic() + max(INTERVAL, cost / DRAW_SHARE)

    def show(self, result: dict[str, Any]) -> None:
        """Draw a look ('look' and 'what_ifs', or 'network'); the last one of the same picture is what it moved from."""
        key = result.get("key", self._picture_key())  # the picture it is of, not the one asked for since
        self.previous = self.result if self.result is not None and key == self._shown_key else None
        self.result, self._shown_key = result, key
        self.draw()

    def _picture_key(self) -> tuple:
        """What picture is shown: a new one forgets what moved."""
        return (id(self.started), "own" if self.own else self.index, self.change, self.own[0] if self.own else "")

    # Drawing

    def draw(self) -> None:
        """The header and the layers of the newest look."""
        summary = self.query_one("#inside-summary", SummaryLine)
        body = self.query_one("#inside-body", StripView)
        result = self.result
        # less the vertical scrollbar's columns: the layers are taller than the view
        width = max(20, (body.content_size.width or self.size.width or 80) - 2)
        if result is None:
            summary.set(self.message)
            body.show("", width)
            return
        if "network" in result:
            look = result["network"]
            summary.set(f"after update {look.step:,}: every unit on each sample (∂loss: the gradient of the loss on all of them) · s: one more update")
            tables = Group(network_table(look), Text(f"loss on all samples: {look.loss:.6f}", style="bold"), Text(), parameter_table(look))
            body.show(tables, max(width, self.app.console.measure(tables).maximum))
            return
        lines = self.image_lines(result, width)
        pictures = [line.cell_len for line in lines if line.no_wrap]  # the rest (sentences) wraps
        body.show(Group(*lines), max(width, *pictures) if pictures else width)

    def image_lines(self, result: dict[str, Any], width: int) -> list[Text]:
        """The header, then what `look_lines` draws."""
        look = result["look"]
        best, p = look.top(1)[0]
        what = result.get("what") or f"test image #{self.index}"  # what the look is of (a newer pick may be on its way)
        change = "" if result.get("change", "as it is") == "as it is" else f", {result['change']}"
        mode = "gradients (g: outputs)" if self.gradients else "outputs (g: gradients)"
        self.query_one("#inside-summary", SummaryLine).set(
            f"step {look.step:,} · {what}{change}: the network says {class_name(look.classes, best)} {100 * p:.0f}% · {mode} · "
            "←/→ another · w what if · o your picture"
        )
        previous = self.previous["look"] if self.previous else None
        shown = WHAT_IFS.index(result["change"]) if result.get("change") in WHAT_IFS else self.change
        return look_lines(look, result.get("what_ifs") or [], previous, width, self.gradients, shown)

    # Keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The picture keys only where there are pictures (an image lesson's run)."""
        if action in ("pick", "toggle_gradients", "what_if", "open_picture"):
            return self.is_image
        return True

    def action_pick(self, delta: int) -> None:
        """Show the next or previous test image."""
        if self.predictions is None or not len(self.predictions.images):
            return
        self.pick((self.index + (0 if self.own else delta)) % len(self.predictions.images))

    def action_toggle_gradients(self) -> None:
        """Show each layer's gradient, or its output."""
        self.gradients = not self.gradients
        self.draw()

    def action_what_if(self) -> None:
        """Apply the next what-if to the picture (flipped, shifted, noisier, darker, as it is)."""
        self.change = (self.change + 1) % len(WHAT_IFS)
        self._request()

    def action_open_picture(self) -> None:
        """Ask for a picture file of the learner's own, and look at it."""
        if not self.is_image or self.snapshot is None:
            self.notify(f"Run an image lesson ({lesson_range(image_only=True)}) first: its network classifies your picture.", severity="warning")
            return
        from ..screens.picture_dialog import PictureDialog

        self.app.push_screen(PictureDialog(self.own[0] if self.own else ""), self._open)

    def _open(self, path: str | None) -> None:
        if path:
            self.run_worker(lambda: self._read(path), thread=True, group="picture", exit_on_error=False)

    def _read(self, path: str) -> None:
        """The worker: read the picture through the core, as the folder dataset does."""
        try:
            from babytui.core.inside import load_picture

            self.post_message(self.PictureRead(path, load_picture(path)))
        except Exception as exc:
            self.post_message(self.PictureRead(path, None, str(exc)))

    def on_inside_view_picture_read(self, message: PictureRead) -> None:
        """Show the picture, or say why it could not be read."""
        if message.image is None:
            self.notify(message.error, title="Cannot use that picture", severity="error")
            return
        self.own = (message.path, message.image)
        self.change = 0
        self._request()

    def action_scroll(self, lines: int) -> None:
        """Scroll the layers."""
        self.query_one("#inside-body", StripView).scroll_relative(y=lines, animate=False)
