"""The files of the run store: where babytui keeps its data, and writing a file whole or not at all."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

FORMAT = 1
"""Version of the files a run folder holds; a newer one is refused with a message."""
SETTINGS_FILE = "settings.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.pt"
LOCK_FILE = "lock"


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
    return exc.strerror or str(exc)


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
    return f"{stamp}-l{lesson:02d}-{secrets.token_hex(2)}"
