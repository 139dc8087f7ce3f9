"""Fetching CIFAR-10 and checking it: a progress callback, MD5 sums, and no half-written data.

A download goes to a temporary folder beside the target and is moved into place with one
rename, so an interrupted or failed one leaves nothing the next try would trip over.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import DataError
from ..progress import ProgressCallback, Reporter
from .base import check_root, pid_alive
from .verify import CIFAR10_FILE_MD5, record_verified

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
"""The official archive; $BABYTUI_CIFAR10_URL overrides it (for a mirror)."""
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
"""MD5 of the official archive."""
CIFAR10_FOLDER = "cifar-10-batches-py"
"""The folder the archive unpacks to, and torchvision's layout."""
TEMP_PREFIX = ".babytui-download-"
"""Name start of the temporary folders a download works in."""
STALL_SECONDS = 30.0
"""A download that brings less than STALL_BYTES in this many seconds is given up."""
STALL_BYTES = 32 * 1024
"""The least a download must bring every STALL_SECONDS (1 kB/s: 170 MB in two days)."""
LEFTOVER_AGE = 600.0
"""Seconds after which a download's temporary folder that nothing touched is a leftover, whoever made it."""
_CHUNK = 1 << 16


def cifar10_url() -> str:
    """The URL to fetch CIFAR-10 from: $BABYTUI_CIFAR10_URL or the official one."""
    return os.environ.get("BABYTUI_CIFAR10_URL") or CIFAR10_URL


def _space_error(where: Path) -> DataError:
    """The message for a full disk."""
    return DataError(f"no space left on the disk while writing to {where}; free some space and try again")


def _os_error(action: str, where: Path, exc: OSError) -> DataError:
    """An OSError as one line for the user; a full disk says so."""
    if exc.errno == errno.ENOSPC:
        return _space_error(where)
    reason = exc.strerror or type(exc).__name__
    return DataError(f"cannot {action} {where}: {reason}")


def _stalled(url: str, done: int) -> DataError:
    """The message for a server that stopped sending, or trickles too slowly to ever finish."""
    return DataError(
        f"the download from {url} stalled: less than {STALL_BYTES // 1024} kB arrived in {STALL_SECONDS:.0f} s "
        f"({done:,} bytes in all); nothing was kept; try again later, or a mirror with $BABYTUI_CIFAR10_URL"
    )


def _fetch(url: str, dest: Path, progress: ProgressCallback | None, timeout: float, root: Path) -> str:
    """Stream `url` into `dest`; returns the MD5 of what arrived. Raises DataError.

    A download that brings less than STALL_BYTES in STALL_SECONDS is given up: a server that
    trickles a byte now and then would otherwise keep it going for ever.
    """
    offline = (
        "to go on without the network, use the generated shapes dataset or a folder of your own images "
        "(--dataset shapes or --dataset folder; D in the app)"
    )
    md5 = hashlib.md5()
    timeout = min(timeout, STALL_SECONDS)  # a read that waits longer than that is a stall already
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise DataError(
            f"could not download CIFAR-10 into {root} from {url}: HTTP {exc.code} {exc.reason}; {offline}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DataError(f"could not download CIFAR-10 into {root} from {url} ({reason}); {offline}") from None
    with response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        reporter = Reporter("downloading CIFAR-10", total, progress)
        read = getattr(response, "read1", response.read)  # read1: what has come, without waiting for a full chunk
        window_start, window_done = time.monotonic(), 0
        try:
            with open(dest, "wb") as f:
                while True:
                    block = read(_CHUNK)
                    if not block:
                        break
                    f.write(block)
                    md5.update(block)
                    reporter.add(len(block))
                    window_done += len(block)
                    now = time.monotonic()
                    if now - window_start >= STALL_SECONDS:
                        if window_done < STALL_BYTES:
                            raise _stalled(url, reporter.done)
                        window_start, window_done = now, 0
        except TimeoutError:
            raise _stalled(url, reporter.done) from None
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise _space_error(dest.parent) from None
            if isinstance(exc, (urllib.error.URLError, ConnectionError)) or exc.errno is None:
                raise DataError(f"the download from {url} broke off after {reporter.done:,} bytes ({exc}); try again") from None
            raise _os_error("write", dest, exc) from None
        except DataError:  # a stall, or LoadCancelled from the progress callback
            raise
        except Exception as exc:  # http.client.IncompleteRead and friends: the connection broke
            raise DataError(f"the download from {url} broke off after {reporter.done:,} bytes ({type(exc).__name__}); try again") from None
    if total is not None and reporter.done != total:
        raise DataError(f"the download from {url} broke off after {reporter.done:,} of {total:,} bytes; try again")
    reporter.finish()
    return md5.hexdigest()


def _extract(archive: Path, into: Path) -> Path:
    """Unpack the batch files of a CIFAR-10 archive into `into`; returns the batches folder."""
    folder = into / CIFAR10_FOLDER
    folder.mkdir(parents=True)
    wanted = set(CIFAR10_FILE_MD5) | {"batches.meta", "readme.html"}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = member.name.replace("\\", "/").lstrip("./").split("/")
                # Only the known plain files of the known folder: nothing may land outside `into`.
                if len(parts) != 2 or parts[0] != CIFAR10_FOLDER or parts[1] not in wanted or not member.isfile():
                    continue
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, open(folder / parts[1], "wb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _space_error(into.parent) from None
        if exc.errno is not None:
            raise _os_error("unpack into", into.parent, exc) from None
        raise DataError(f"the CIFAR-10 archive is corrupt ({exc}); try the download again") from None
    except (tarfile.TarError, EOFError) as exc:
        raise DataError(f"the CIFAR-10 archive is corrupt ({exc}); try the download again") from None
    missing = [name for name in CIFAR10_FILE_MD5 if not (folder / name).is_file()]
    if missing:
        raise DataError(f"the CIFAR-10 archive lacks {', '.join(missing)}; is the URL right? ({cifar10_url()})")
    return folder


def _last_touched(folder: Path) -> float:
    """The latest modification time of a folder and what it holds (a download writes every few seconds)."""
    latest = 0.0
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in (dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)):
            try:
                latest = max(latest, os.lstat(name).st_mtime)
            except OSError:
                pass
    return latest


def clean_leftovers(root: Path) -> None:
    """Remove the temporary folders that killed downloads left in `root`.

    A folder is a leftover when the process named in it is gone, or when nothing in it changed
    for LEFTOVER_AGE seconds (its process id may belong to another program by now); a download
    going on writes more often than that, or gives up (STALL_SECONDS).
    """
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX) or entry.is_symlink() or not entry.is_dir():
            continue
        pid = entry.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        running = pid.isdigit() and int(pid) != os.getpid() and pid_alive(int(pid))
        if running and time.time() - _last_touched(entry) < LEFTOVER_AGE:
            continue
        shutil.rmtree(entry, ignore_errors=True)


def download_cifar10(
    root: str | Path,
    *,
    url: str | None = None,
    md5: str | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download CIFAR-10 into `root`/cifar-10-batches-py and return that folder.

    Checks the archive's MD5, unpacks beside the target and renames into place: on any failure
    (DataError) or interruption nothing is left behind and nothing already there is touched.
    """
    root = check_root(Path(root).expanduser())
    url = url or cifar10_url()
    md5 = md5 or CIFAR10_MD5
    target = root / CIFAR10_FOLDER
    if target.exists():
        raise DataError(f"{target} already exists; remove it first to download again")
    # The highest folder this call creates: on failure everything from root up to it goes again.
    created = next((p for p in reversed((root, *root.parents)) if not p.exists()), None)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error("create the data folder", root, exc) from None
    clean_leftovers(root)
    try:
        work = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=root))
    except OSError as exc:
        raise _os_error("write to", root, exc) from None
    done = False
    try:
        archive = work / "cifar-10-python.tar.gz"
        got = _fetch(url, archive, progress, timeout, root)
        if got != md5:
            raise DataError(
                f"the CIFAR-10 download from {url} is corrupt (MD5 {got}, expected {md5}); nothing was kept; try again"
            )
        folder = _extract(archive, work / "unpacked")
        archive.unlink()
        try:
            os.rename(folder, target)  # one step: the dataset is either all there or not at all
        except OSError as exc:
            if target.exists():
                raise DataError(f"{target} appeared while downloading; remove it first to download again") from None
            raise _os_error("move the download into", target, exc) from None
        # The archive's MD5 vouches for the files in it: record that, so loading need not hash them.
        record_verified(target)
        done = True
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if created is not None and not done:
            for folder in (root, *root.parents):  # only empty ones: folders this call made and nothing else used
                try:
                    folder.rmdir()
                except OSError:
                    break
                if folder == created:
                    break
    return target
