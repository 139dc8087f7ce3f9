"""Is this CIFAR-10 the official one? Each batch's MD5 checked on the very bytes that are read.

Hashing 180 MB by MD5 takes about a second, so the sums already computed are remembered, keyed by
the files' SHA-256 (about three times faster): by what the files hold, never by their size and
time, which anyone can set. The verdict cache lives in babytui's cache, never in the user's data.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import DataError
from .base import cache_dir, sweep_temp_files

CIFAR10_FILE_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
"""MD5 of each official batch file (the sums torchvision checks)."""
VERDICTS_FILE = "verified.json"
"""The remembered sums, in babytui's cache folder: {sha256: md5}."""
MAX_VERDICTS = 256
"""Sums remembered at most (the oldest are forgotten): a few copies of CIFAR-10's six files."""


def _cache_path() -> Path:
    return cache_dir() / VERDICTS_FILE


def _read_verdicts() -> dict[str, str]:
    """The remembered {sha256: md5}; empty when there are none or the file is damaged."""
    try:
        saved = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    sums = saved.get("md5_by_sha256") if isinstance(saved, dict) else None
    if not isinstance(sums, dict):
        return {}
    return {k: v for k, v in sums.items() if isinstance(k, str) and isinstance(v, str)}


def _remember(pairs: dict[str, str]) -> None:
    """Add {sha256: md5} to the remembered sums, written with one rename; no cache is only slower."""
    verdicts = _read_verdicts()
    if all(verdicts.get(k) == v for k, v in pairs.items()):
        return
    verdicts.update(pairs)
    kept = dict(list(verdicts.items())[-MAX_VERDICTS:])
    path = _cache_path()
    sweep_temp_files(path.parent, f".{VERDICTS_FILE}.*.tmp", 3600.0)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"md5_by_sha256": kept}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def md5_of(blob: bytes) -> str:
    """The MD5 of these bytes: remembered by their SHA-256 when hashed before, else computed (and remembered)."""
    sha = hashlib.sha256(blob).hexdigest()
    return _known_md5(sha) or _computed_md5(sha, blob)


def _known_md5(sha256: str) -> str | None:
    return _read_verdicts().get(sha256)


def _computed_md5(sha256: str, blob: bytes) -> str:
    md5 = _md5(blob)
    _remember({sha256: md5})
    return md5


def _md5(blob: bytes) -> str:
    return hashlib.md5(blob).hexdigest()


class HashingReader:
    """A file read through, its SHA-256 taken of every byte that passes (the unpickler reads through it)."""

    def __init__(self, file) -> None:
        self.file = file
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.file.readline(size)
        self.digest.update(data)
        return data

    def finish(self) -> str:
        """The SHA-256 of the whole file, the bytes the unpickler left unread included."""
        for block in iter(lambda: self.file.read(1 << 20), b""):
            self.digest.update(block)
        return self.digest.hexdigest()


def check_read(path: Path, sha256: str, expected: dict[str, str] | None = None) -> None:
    """DataError unless the file just read from `path`, of this SHA-256, is the official CIFAR-10 file.

    A content hashed for the first time is read again for its MD5, and must still be the same.
    """
    want = (expected or CIFAR10_FILE_MD5).get(path.name)
    if want is None:
        return
    got = _known_md5(sha256)
    if got is None:
        blob = read_file(path)
        if hashlib.sha256(blob).hexdigest() != sha256:
            raise DataError(f"CIFAR-10 file {path} changed while it was being read; try again")
        got = _computed_md5(sha256, blob)
    _mismatch(path, got, want)


def _mismatch(path: Path, got: str, want: str) -> None:
    if got != want:
        raise DataError(
            f"CIFAR-10 file {path} does not match the official copy (MD5 {got}, expected {want}); "
            "if you trust this copy, set trust data to yes (--trust-data)"
        )


def check_official(path: Path, blob: bytes, expected: dict[str, str] | None = None) -> None:
    """DataError unless these bytes, read from `path`, are the official CIFAR-10 file of that name."""
    want = (expected or CIFAR10_FILE_MD5).get(path.name)
    if want is not None:
        _mismatch(path, md5_of(blob), want)


def read_file(path: Path) -> bytes:
    """A batch file's bytes, or a DataError saying why they cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"CIFAR-10 file {path} is missing") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


def verify_cifar10(folder: str | Path, *, expected: dict[str, str] | None = None) -> None:
    """Check every batch file in `folder` against the official MD5 sums, or raise DataError."""
    folder = Path(folder)
    for name in expected or CIFAR10_FILE_MD5:
        path = folder / name
        check_official(path, read_file(path), expected)


def record_verified(folder: Path) -> None:
    """Remember that the batch files in `folder` are the official ones (an archive with the official MD5 held them)."""
    pairs = {}
    for name, md5 in CIFAR10_FILE_MD5.items():
        try:
            pairs[hashlib.sha256((folder / name).read_bytes()).hexdigest()] = md5
        except OSError:
            return  # they are hashed when first read instead
    _remember(pairs)
