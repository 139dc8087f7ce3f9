"""One run of a lesson, the same for the CLI and the app: its data, its record, its training, its errors.

    session = Session(lesson, settings, control=control, progress=on_progress)
    for event in session.events():   # the core's events, Warned included, Checkpoints saved
        ...
    session.run_id, session.result

Every failure leaves as a BabytuiError with one message for the user (and the run's record
says so); stopping while the data loads is a LoadCancelled and leaves nothing saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from .control import Control
from .errors import BabytuiError, LoadCancelled, RunError
from .events import Checkpoint, Event, Finished, RunStarted, Warned

if TYPE_CHECKING:
    from .datasets import ImageData
    from .lessons import Lesson
    from .progress import LoadProgress, ProgressCallback
    from .runs import Recorder, Run, RunStore
    from .settings import Settings

RESUME_OVERRIDES = ("device", "data_root", "trust_data")
"""Settings a resumed run may change: where it goes on, not what it computes."""


OUT_OF_MEMORY = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory", "failed to allocate")
"""How torch's allocators (CPU, CUDA, MPS) say they ran out of memory."""


def is_out_of_memory(exc: BaseException) -> bool:
    """True for any out-of-memory error: Python's MemoryError, torch's OutOfMemoryError, an allocator's text."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    return any(marker in str(exc).lower() for marker in OUT_OF_MEMORY)


def failure_message(exc: BaseException, settings: Settings, doing: str = "training") -> str:
    """An exception from inside torch as one line for the user; every out-of-memory error says what to change."""
    text = str(exc).strip()
    if is_out_of_memory(exc):
        where = "the GPU" if "cuda" in text.lower() or "mps" in text.lower() else "the computer"
        fix = f"try a smaller batch size than {settings.batch_size}" if doing == "training" else "try the CPU, or a smaller dataset"
        return f"{where} ran out of memory while {doing} (device {settings.device}, batch size {settings.batch_size}): {fix}"
    first = text.splitlines()[0] if text else ""
    return f"{doing} failed: {type(exc).__name__}: {first}".rstrip(": ")


def data_changed(recorded: dict[str, Any], now: dict[str, Any]) -> str | None:
    """How the data a run trained on differs from the data now loaded, in words; None when it is the same."""
    if recorded.get("fingerprint") == now.get("fingerprint"):
        return None

    def shown(data: dict[str, Any]) -> str:
        classes = data.get("classes") if isinstance(data.get("classes"), list) else []
        names = ", ".join(str(c) for c in classes[:4]) + (", ..." if len(classes) > 4 else "")
        return (
            f"{data.get('dataset', '?')}: {data.get('train', '?')} training and {data.get('test', '?')} test images "
            f"of {len(classes)} classes ({names}), fingerprint {data.get('fingerprint', '?')}"
        )

    return f"it was trained on {shown(recorded)}; the data now is {shown(now)}"


class Session:
    """One run: load the data, open its record, train, save, and turn every error into one message."""

    def __init__(
        self,
        lesson: Lesson,
        settings: Settings,
        *,
        control: Control | None = None,
        save: bool = True,
        resume: Run | None = None,
        progress: ProgressCallback | None = None,
        store: RunStore | None = None,
        data: ImageData | None = None,
        range_test: bool = False,
    ) -> None:
        self.lesson = lesson
        """The lesson run."""
        self.settings = settings
        """Its validated settings."""
        self.control = control or Control()
        """Stops, pauses and steps the run from another thread."""
        self.save = save
        """Record the run in the run store (a resumed run always is)."""
        self.resume = resume
        """The saved run this one goes on with, None for a new run."""
        self.progress = progress
        """Hears how loading the data goes; may raise LoadCancelled."""
        self.store = store
        """Where runs are saved (None: the default store)."""
        self.data = data
        """The dataset, when the caller has it already (tests); else loaded here."""
        self.range_test = range_test
        """Run an LR range test with these settings instead of training (never saved)."""
        self.checkpoint: dict[str, Any] | None = None
        """The state a resumed run goes on from, once read."""
        self.run_id: str | None = None
        """The id of the saved run, once it is being recorded."""
        self.result: Finished | None = None
        """The Finished event, once the run has ended."""
        self.save_problem = ""
        """What could not be saved (a full disk), empty while the run on disk is whole."""
        self._resume_read = False

    @classmethod
    def resuming(cls, ref: str, overrides: dict[str, Any] | None = None, **options: Any) -> "Session":
        """A session going on with the saved run `ref` (an id or a unique start of one).

        Reads only its settings (no torch); `overrides` may change RESUME_OVERRIDES only.
        """
        from .runs import RunStore

        store = options.pop("store", None) or RunStore()
        run, lesson, settings = store.resumable(ref)
        extra = sorted(set(overrides or {}) - set(RESUME_OVERRIDES))
        if extra:
            raise RunError(f"a resumed run keeps its own settings; only {', '.join(RESUME_OVERRIDES)} may change, not {', '.join(extra)}")
        settings = lesson.settings(overrides or {}, base=settings)
        return cls(lesson, settings, resume=run, store=store, **options)

    @property
    def resumed_from(self) -> int | None:
        """The step a resumed run goes on from (0: from its start, it had no checkpoint), once its checkpoint is read."""
        if self.resume is None or not self._resume_read:
            return None
        return 0 if self.checkpoint is None else int(self.checkpoint["step"])

    def _load_data(self) -> ImageData | None:
        """The image lesson's dataset (with progress, and a way to stop it), or None."""
        if not self.lesson.is_image:
            return None
        if self.data is not None:
            return self.data

        def loading(progress: LoadProgress) -> None:
            if self.control.stopped:
                raise LoadCancelled(f"stopped {progress.title}; nothing of it was kept")
            if self.progress is not None:
                self.progress(progress)

        return self.lesson.load_data(self.settings, progress=loading)

    def _replay_lr_changes(self) -> None:
        """The lr changes the run made after its checkpoint are made again, at the same steps."""
        assert self.resume is not None
        step = 0 if self.checkpoint is None else int(self.checkpoint["step"])
        for change in self.resume.metrics().lr_changes:
            if change["step"] >= step:  # a change at the checkpoint's step came after it was taken
                self.control.planned_lrs[change["step"]] = change["lr"]

    def _range_test(self, data: ImageData | None) -> Iterator[Event]:
        """An LR range test of the lesson's network, optimizer and batch size (nothing saved)."""
        from .lr_range import range_test

        if not self.lesson.is_image or data is None:
            raise RunError(f"lesson {self.lesson.number} does not train on images: an LR range test needs an image lesson")
        try:
            for event in range_test(self.lesson, self.settings, self.control, data):
                if isinstance(event, Finished):
                    self.result = event
                yield event
        except BabytuiError:
            raise
        except Exception as exc:
            raise BabytuiError(failure_message(exc, self.settings)) from None

    def _open_record(self, data: ImageData | None) -> tuple[Recorder | None, str | None]:
        """The recorder of a new run, or (None, why) when it cannot be saved: it trains unsaved."""
        from .runs import Recorder

        if not self.save:
            return None, None
        try:  # what it trained on goes into its record, for a resume to check
            return Recorder.new(self.lesson, self.settings, self.store, data=data.identity() if data is not None else None), None
        except BabytuiError as exc:
            return None, f"{exc}; training goes on without saving"

    def _read_resume(self) -> None:
        """The checkpoint a resumed run goes on from; none (a kill before the first) means from its start."""
        assert self.resume is not None
        self.checkpoint = self.resume.checkpoint(self.lesson) if self.resume.has_checkpoint() else None
        self._resume_read = True

    def _check_data(self, data: ImageData | None) -> Iterator[Event]:
        """RunError when a resumed run would train on other data than it did; a warning when it never said."""
        if self.resume is None or data is None:
            return
        recorded = self.resume.metrics().data
        if recorded is None:
            yield Warned(f"run {self.resume.id} did not record its data, so babytui cannot check that it is the same", "data")
            return
        changed = data_changed(recorded, data.identity())
        if changed:
            raise RunError(
                f"run {self.resume.id} cannot go on with other data: {changed}. "
                "Give the data root it was trained on, or start a new run on this data"
            )

    def events(self) -> Iterator[Event]:
        """Run the lesson: every event the app or the CLI shows (checkpoints go to disk only)."""
        from .runs import Recorder
        from .train import train

        recorder: Recorder | None = None
        warning: str | None = None
        doing = "loading the data"
        try:
            if self.resume is not None:  # its lock first: a run written elsewhere or through a link goes no further
                self._read_resume()
                self._replay_lr_changes()
                recorder = Recorder(self.resume, resumed_from=self.resumed_from)
                self.run_id = recorder.run.id
            data = self._load_data()  # before a new run is created: a dataset that won't load leaves none behind
            if self.control.stopped:
                raise LoadCancelled("stopped before training began")
            if self.range_test:
                yield from self._range_test(data)
                return
            notes = list(self._check_data(data))
            if recorder is not None:
                recorder.data = data.identity() if data is not None else None
            else:
                recorder, warning = self._open_record(data)
                if recorder is not None:
                    self.run_id = recorder.run.id
            doing = "training"
            for event in train(
                self.lesson, self.settings, data=data, control=self.control,
                checkpoints=recorder is not None, resume=self.checkpoint,
            ):
                if recorder is not None:
                    warning = recorder(event) or warning  # file IO here, in the training thread
                    self.save_problem = recorder.problem
                if not isinstance(event, Checkpoint):  # state dicts are for the disk, not the views
                    yield event
                if isinstance(event, RunStarted) and data is not None:
                    for skipped in data.warnings:  # after the event: a RunStarted clears the log
                        yield Warned(skipped, "data")
                    yield from notes
                if isinstance(event, Finished):
                    self.result = event
                if warning:
                    yield Warned(warning, "this run is not saved")
                    warning = None
        except BabytuiError as exc:
            if recorder is not None:
                recorder.error(str(exc))
            raise
        except Exception as exc:  # torch's own errors (out of memory, ...) end the run with one line too
            message = failure_message(exc, self.settings, doing)
            if recorder is not None:
                recorder.error(message)
            raise BabytuiError(message) from None
        finally:
            if recorder is not None:
                recorder.close()
