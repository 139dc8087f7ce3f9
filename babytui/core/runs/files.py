"""The files of the run store: where babytui keeps its data, and writing a file whole or not at all."""

from __future__ import annotations

import errno
import json
import math
import os
import secrets
import stat
import time
from pathlib import Path
from typing import Any

FORMAT = 1
"""Version of the files a run folder holds; a newer one is refused with a message."""
SETTINGS_FILE = "settings.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.pt"
LOCK_FILE = "lock"
MAX_SETTINGS_BYTES = 1 << 20
"""A settings file is a few hundred bytes: one larger than this is not babytui's."""
MAX_METRICS_BYTES = 1 << 30
"""A metrics file grows about 1 MB an hour of training: one larger than this is not read."""
MAX_CHECKPOINT_BYTES = 4 << 30
"""The largest checkpoint read (the lessons' are a few MB)."""
TEMP_AGE = 600.0
"""Seconds after which a run's temporary file is a leftover of a killed write (a write takes well under one)."""


class UnsafeFile(Exception):
    """A run file that is not a plain file babytui wrote: a symbolic link, a folder, a device, far too large."""


def babytui_home() -> Path:
    """babytui's data folder: $BABYTUI_HOME, else the user's data directory."""
    env = os.environ.get("BABYTUI_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("babytui"))


def _babytui_version() -> str:
    from ... import __version__

    return __version__


def _reason(exc: OSError) -> str:
    """An OSError in a few words: 'No space left on device'."""
    if exc.errno == errno.ELOOP:  # from O_NOFOLLOW
        name = Path(exc.filename).name if exc.filename else "a file"
        return f"{name} is a symbolic link, and babytui never follows links out of its home"
    return exc.strerror or str(exc)


def read_run_file(path: Path, limit: int) -> bytes | None:
    """A run file's bytes, None when it is not there; UnsafeFile when it is a link, not a plain file, or too large.

    Opened without following a symbolic link and without blocking (a named pipe would wait for
    ever); its type and size are checked on what was opened, not on the name.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise UnsafeFile(f"{path.name} is a symbolic link, and babytui never follows links in its run folders") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device or a pipe"
            raise UnsafeFile(f"{path.name} is {kind}, not a file")
        if info.st_size > limit:
            raise UnsafeFile(f"{path.name} is {info.st_size / 1e6:,.0f} MB, far larger than babytui writes")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        return f.read(limit + 1)


def parse_json(data: bytes | str) -> Any:
    """JSON as babytui writes it; ValueError for NaN, infinity, numbers beyond a float, or nesting too deep."""

    def constant(name: str) -> Any:
        raise ValueError(f"it holds {name}, which is not a number")

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"it holds {text}, which is too large for a number")
        return value

    try:
        return json.loads(data, parse_constant=constant, parse_float=number)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


def open_for_append(path: Path):
    """The file at `path` opened to append text, created if absent; never through a symbolic link (ELOOP)."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    return os.fdopen(fd, "a+", encoding="utf-8")


def sweep_temp_files(folder: Path, *, max_age: float = TEMP_AGE) -> None:
    """Remove the temporary files killed writes left in a run folder (`.NAME.PID.HEX.tmp`), older than `max_age`."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime >= max_age:
                    os.unlink(entry.path)
            except OSError:
                pass


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, sync it and rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the system allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
def new_run_id(lesson: int, now: float | None = None) -> str:
    """A sortable, unique id: 20261129-113000-l14-3f9a (time, lesson, 4 random hex digits)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    return f"{stamp}{lesson_tag(lesson)}{secrets.token_hex(2)}"


def lesson_tag(lesson: int) -> str:
    """The part of a run's id that names its lesson: '-l14-' (a quick filter; the run's info says for sure)."""
    return f"-l{lesson:02d}-"
