"""A run's write lock: held by the one process writing the run, tested by others without taking it.

On Linux the lock is an open-file-description lock (F_OFD_SETLK): it belongs to the open file,
like flock, and F_OFD_GETLK tells whether someone holds it without taking it, so listing the
runs in a loop never makes a resume fail. Elsewhere it is a flock, tested by taking it for an
instant; a writer then retries for a moment before it concludes that another holds it.
"""

from __future__ import annotations

import os
import struct
import sys
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: runs are saved the same, only "running" cannot be told
    fcntl = None  # type: ignore[assignment]

_OFD = (
    fcntl is not None and sys.platform.startswith("linux") and hasattr(fcntl, "F_OFD_SETLK")
    and struct.calcsize("P") == 8
)
"""Open-file-description locks are there (64-bit Linux 3.15 and later)."""
_FLOCK_STRUCT = "hhqqi4x"
"""struct flock on 64-bit Linux: type, whence, start, length (0: the whole file), pid, padding."""
RETRY_SECONDS = 0.5
"""Where a test takes the lock for an instant (flock), how long a writer retries before giving up."""
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _request(kind: int) -> bytes:
    return struct.pack(_FLOCK_STRUCT, kind, os.SEEK_SET, 0, 0, 0)


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on an open lock file without waiting; False when another holds it."""
    try:
        if _OFD:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _request(fcntl.F_WRLCK))
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def is_locked(path: Path) -> bool:
    """True while some process (this one included) holds the lock at `path`; never takes it where it can help it."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return False  # no lock file, or a symbolic link: no babytui writes through one
    try:
        if _OFD:
            answer = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, _request(fcntl.F_WRLCK))
            return struct.unpack(_FLOCK_STRUCT, answer)[0] != fcntl.F_UNLCK
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # an instant only; a writer retries meanwhile
        except OSError:
            return True
        return False
    finally:
        os.close(fd)  # closing lets go of a shared lock taken here


class RunLock:
    """The exclusive lock of one run, held while this process writes it."""

    def __init__(self, path: Path) -> None:
        self.fd: int | None = None
        """The open lock file, None once released (or where there are no locks)."""
        if fcntl is None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644)  # OSError for the caller to word
        deadline = time.monotonic() + (0 if _OFD else RETRY_SECONDS)
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise BlockingIOError("held by another process")
            time.sleep(0.02)
        self.fd = fd

    def release(self) -> None:
        """Let go of the lock."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
