"""Fetching CIFAR-10 and checking it: a progress callback, MD5 sums, and no half-written data.

A download goes to a temporary folder beside the target and is moved into place with one
rename, so an interrupted or failed one leaves nothing the next try would trip over.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import DataError
from ..progress import ProgressCallback, Reporter
from .base import cache_dir

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
"""The official archive; $BABYTUI_CIFAR10_URL overrides it (for a mirror)."""
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
"""MD5 of the official archive."""
CIFAR10_FOLDER = "cifar-10-batches-py"
"""The folder the archive unpacks to, and torchvision's layout."""
CIFAR10_FILE_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
"""MD5 of each official batch file (the sums torchvision checks)."""
TEMP_PREFIX = ".babytui-download-"
"""Name start of the temporary folders a download works in."""
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


def _fetch(url: str, dest: Path, progress: ProgressCallback | None, timeout: float, root: Path) -> str:
    """Stream `url` into `dest`; returns the MD5 of what arrived. Raises DataError."""
    offline = (
        "to go on without the network, use the generated shapes dataset or a folder of your own images "
        "(--dataset shapes or --dataset folder; D in the app)"
    )
    md5 = hashlib.md5()
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
        try:
            with open(dest, "wb") as f:
                while True:
                    block = response.read(_CHUNK)
                    if not block:
                        break
                    f.write(block)
                    md5.update(block)
                    reporter.add(len(block))
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise _space_error(dest.parent) from None
            if isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError)) or exc.errno is None:
                raise DataError(f"the download from {url} broke off after {reporter.done:,} bytes ({exc}); try again") from None
            raise _os_error("write", dest, exc) from None
        except DataError:  # LoadCancelled from the progress callback
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


def _pid_alive(pid: int) -> bool:
    """True when a process with this id still runs (so its download is not a leftover)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_leftovers(root: Path) -> None:
    """Remove temporary folders that killed downloads left in `root` (not those still running)."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX) or not entry.is_dir():
            continue
        pid = entry.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and _pid_alive(int(pid)):
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
    root = Path(root).expanduser()
    url = url or cifar10_url()
    md5 = md5 or CIFAR10_MD5
    target = root / CIFAR10_FOLDER
    if root.exists() and not root.is_dir():
        raise DataError(f"data root {root} is a file, not a folder")
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


def _stamp_path(folder: Path) -> Path:
    """Where the cached checksum verdict of `folder` lives: in the cache, never in the user's data."""
    key = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "verified" / f"{key}.json"


def _file_key(path: Path) -> list[int]:
    """Size and modification time: what says a file is unchanged since it was hashed."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _md5_file(path: Path) -> str:
    """The MD5 of a file, read a megabyte at a time."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_stamp(folder: Path) -> dict:
    """The cached verdict for `folder`, or {} when there is none or it is unreadable."""
    try:
        with open(_stamp_path(folder), encoding="utf-8") as f:
            stamp = json.load(f)
        return stamp if isinstance(stamp, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_stamp(folder: Path, stamp: dict) -> None:
    """Save the verdict for `folder` with one rename, so a reader never sees half a file."""
    path = _stamp_path(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(stamp, f)
        os.replace(tmp, path)
    except OSError:
        pass  # no cache: the files are hashed again next time, which is only slower


def record_verified(folder: Path, names: tuple[str, ...] = tuple(CIFAR10_FILE_MD5)) -> None:
    """Remember that these files in `folder` are good as they are now (size and mtime)."""
    stamp = {name: _file_key(folder / name) + [CIFAR10_FILE_MD5[name]] for name in names}
    _write_stamp(folder, {"files": stamp, "verified_by": "archive"})


def verify_cifar10(folder: str | Path, *, expected: dict[str, str] | None = None) -> None:
    """Check the batch files in `folder` against the official MD5 sums, or raise DataError.

    The verdict is cached by size and modification time, so a second check hashes nothing.
    """
    folder = Path(folder)
    expected = expected or CIFAR10_FILE_MD5
    stamp = _read_stamp(folder).get("files", {})
    changed = False
    for name, want in expected.items():
        path = folder / name
        try:
            key = _file_key(path)
        except OSError as exc:
            raise _os_error("read", path, exc) from None
        cached = stamp.get(name)
        if isinstance(cached, list) and len(cached) == 3 and cached[:2] == key:
            got = cached[2]
        else:
            try:
                got = _md5_file(path)
            except OSError as exc:
                raise _os_error("read", path, exc) from None
            stamp[name] = key + [got]
            changed = True
        if got != want:
            if changed:
                _write_stamp(folder, {"files": stamp})
            raise DataError(
                f"CIFAR-10 file {path} does not match the official copy (MD5 {got}, expected {want}); "
                "if you trust this copy, set trust data to yes (--trust-data)"
            )
    if changed:
        _write_stamp(folder, {"files": stamp})


def is_verified(folder: str | Path) -> bool | None:
    """True when the cached verdict says every file matches, False when one does not, None if unknown."""
    folder = Path(folder)
    stamp = _read_stamp(folder).get("files", {})
    verdict: bool | None = True
    for name, want in CIFAR10_FILE_MD5.items():
        cached = stamp.get(name)
        try:
            key = _file_key(folder / name)
        except OSError:
            return False
        if not (isinstance(cached, list) and len(cached) == 3 and cached[:2] == key):
            verdict = None
        elif cached[2] != want:
            return False
    return verdict
