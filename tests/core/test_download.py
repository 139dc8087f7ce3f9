"""Downloading CIFAR-10 from a local server: good, corrupt, truncated and missing archives."""

from __future__ import annotations

import errno
import hashlib
import http.server
import io
import os
import pickle
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from babytui.cli import main
from babytui.core.datasets import download, verify
from babytui.core.datasets import load_images
from babytui.core.errors import DataError, LoadCancelled

torch.set_num_threads(1)

NAMES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


class Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 strings, the way the original CIFAR-10 files are pickled."""

    def save_bytes(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[bytes] = save_bytes


def _py2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def make_batches(per_batch: int = 4, seed: int = 0) -> dict[str, bytes]:
    """The files of a tiny CIFAR-10 in the original format: a few random images per batch."""
    rng = np.random.default_rng(seed)
    files = {}
    for name in NAMES:
        batch = {
            b"batch_label": name.encode(),
            b"labels": rng.integers(0, 10, per_batch).tolist(),
            b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            b"filenames": [f"{i}.png".encode() for i in range(per_batch)],
        }
        files[name] = _py2_pickle(batch)
    files["batches.meta"] = _py2_pickle({b"label_names": [b"c%d" % i for i in range(10)], b"num_vis": 3072})
    return files


def make_archive(files: dict[str, bytes]) -> bytes:
    """cifar-10-python.tar.gz with these files under cifar-10-batches-py/."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, blob in files.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()


ARCHIVE = make_archive(make_batches())
ARCHIVE_MD5 = hashlib.md5(ARCHIVE).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/good.tar.gz":
            body, length = ARCHIVE, len(ARCHIVE)
        elif self.path == "/corrupt.tar.gz":
            body = bytearray(ARCHIVE)
            body[len(body) // 2] ^= 0xFF
            body, length = bytes(body), len(body)
        elif self.path == "/truncated.tar.gz":
            body, length = ARCHIVE[: len(ARCHIVE) // 2], len(ARCHIVE)  # promises more than it sends
        elif self.path == "/not-gzip.tar.gz":
            body = b"<html>a captive portal</html>"
            length = len(body)
        else:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Own cache folder, the tiny archive's MD5, and no real URL."""
    monkeypatch.setenv("BABYTUI_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BABYTUI_DATA", raising=False)
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", "http://127.0.0.1:9/nothing-here")
    monkeypatch.setattr(download, "CIFAR10_MD5", ARCHIVE_MD5)


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_a_good_archive_downloads_verifies_and_loads(server, tmp_path, monkeypatch):
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/good.tar.gz")
    root = tmp_path / "data"
    events = []
    data = load_images("cifar10", str(root), torch.device("cpu"), progress=events.append)
    assert data.train_images.shape == (20, 3, 32, 32) and data.test_images.shape == (4, 3, 32, 32)
    assert data.train_images.dtype == torch.uint8 and data.train_labels.dtype == torch.int64
    expected = pickle.loads(make_batches()["data_batch_1"], encoding="latin1")
    assert torch.equal(data.train_images[:4].flatten(1), torch.as_tensor(expected["data"]))
    assert events and events[-1].done == events[-1].total == len(ARCHIVE) and events[-1].fraction == 1.0
    assert _tree(root) == ["cifar-10-batches-py"] + [f"cifar-10-batches-py/{n}" for n in sorted(make_batches())]
    # The archive's MD5 vouched for the files: loading again hashes nothing and downloads nothing.
    monkeypatch.setattr(verify, "_md5", lambda blob: pytest.fail("hashed again"))
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/missing")
    assert load_images("cifar10", str(root), torch.device("cpu")).train_labels.tolist() == data.train_labels.tolist()


@pytest.mark.parametrize(
    "path, message",
    [
        ("/corrupt.tar.gz", r"is corrupt \(MD5"),
        ("/truncated.tar.gz", "broke off"),
        ("/missing.tar.gz", "HTTP 404"),
    ],
)
def test_a_bad_download_is_one_clear_error_and_leaves_nothing(server, tmp_path, monkeypatch, path, message):
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + path)
    fresh = tmp_path / "fresh"
    with pytest.raises(DataError, match=message):
        load_images("cifar10", str(fresh), torch.device("cpu"))
    assert not fresh.exists()  # made for the download, removed with it
    default = tmp_path / "cache"  # the default root keeps only what was there
    (default).mkdir(exist_ok=True)
    (default / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match=message):
        load_images("cifar10", "", torch.device("cpu"))
    assert _tree(default) == ["notes.txt"] and (default / "notes.txt").read_text() == "mine"


def test_not_an_archive_is_corrupt(server, tmp_path, monkeypatch):
    body = b"<html>a captive portal</html>"
    monkeypatch.setattr(download, "CIFAR10_MD5", hashlib.md5(body).hexdigest())
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/not-gzip.tar.gz")
    with pytest.raises(DataError, match="archive is corrupt"):
        load_images("cifar10", str(tmp_path / "d"), torch.device("cpu"))
    assert not (tmp_path / "d").exists()


def test_a_download_stopped_from_its_progress_callback_leaves_nothing(server, tmp_path, monkeypatch):
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/good.tar.gz")
    root = tmp_path / "data"
    heard = []

    def stop(progress):
        heard.append(progress)
        raise LoadCancelled("the download was stopped")

    with pytest.raises(LoadCancelled, match="stopped"):
        load_images("cifar10", str(root), torch.device("cpu"), progress=stop)
    assert len(heard) == 1 and not root.exists()  # the folder this call made went again


def test_no_network_names_the_offline_dataset(tmp_path, capsys):
    code = main(["train", "--lesson", "10", "--data-root", str(tmp_path / "d"), "--max-steps", "1"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "could not download CIFAR-10" in err and "--dataset shapes" in err


def test_no_space_while_extracting_keeps_what_was_there(server, tmp_path, monkeypatch):
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/good.tar.gz")
    root = tmp_path / "data"
    root.mkdir()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download.shutil, "copyfileobj", full)
    with pytest.raises(DataError, match="no space left"):
        download.download_cifar10(root)
    assert _tree(root) == []


def test_an_interrupted_download_leaves_nothing_and_the_next_try_is_clean(server, tmp_path, monkeypatch):
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/good.tar.gz")
    root = tmp_path / "data"

    def interrupt(event):
        raise KeyboardInterrupt

    monkeypatch.setattr(download, "_CHUNK", 512)  # many blocks, so progress is reported mid-way
    with pytest.raises(KeyboardInterrupt):
        download.download_cifar10(root, progress=interrupt)
    assert _tree(root) == []
    # A download killed outright leaves its temporary folder; the next one clears it away.
    (root / f"{download.TEMP_PREFIX}999999999-x").mkdir(parents=True)
    (root / f"{download.TEMP_PREFIX}999999999-x" / "cifar-10-python.tar.gz").write_bytes(b"half")
    folder = download.download_cifar10(root)
    assert _tree(root) == ["cifar-10-batches-py"] + [f"cifar-10-batches-py/{n}" for n in sorted(make_batches())]
    assert folder == root / "cifar-10-batches-py"


def test_an_existing_dataset_is_never_replaced(server, tmp_path, monkeypatch):
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/good.tar.gz")
    partial = tmp_path / "data" / "cifar-10-batches-py"
    partial.mkdir(parents=True)
    (partial / "data_batch_1").write_bytes(b"mine")
    with pytest.raises(DataError, match="incomplete: data_batch_2"):
        load_images("cifar10", str(tmp_path / "data"), torch.device("cpu"))
    with pytest.raises(DataError, match="already exists"):
        download.download_cifar10(tmp_path / "data")
    assert _tree(tmp_path / "data") == ["cifar-10-batches-py", "cifar-10-batches-py/data_batch_1"]
    assert (partial / "data_batch_1").read_bytes() == b"mine"


def test_a_root_full_of_other_things_is_not_downloaded_into(server, tmp_path, monkeypatch):
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/good.tar.gz")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "holiday.jpg").write_bytes(b"not really")
    with pytest.raises(DataError, match="no CIFAR-10 in"):
        load_images("cifar10", str(tmp_path / "photos"), torch.device("cpu"))
    assert _tree(tmp_path / "photos") == ["holiday.jpg"]


def _write_copy(root: Path) -> Path:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, blob in make_batches(seed=1).items():
        (folder / name).write_bytes(blob)
    return folder


def test_a_copy_with_other_checksums_needs_trust_data(tmp_path, monkeypatch):
    folder = _write_copy(tmp_path / "copy")
    with pytest.raises(DataError, match=r"data_batch_1 does not match the official copy .*--trust-data"):
        load_images("cifar10", str(tmp_path / "copy"), torch.device("cpu"))
    data = load_images("cifar10", str(tmp_path / "copy"), torch.device("cpu"), trust_data=True)
    assert len(data.train_images) == 20
    with pytest.raises(DataError, match="does not match"):
        verify.verify_cifar10(folder)
    assert _tree(tmp_path / "copy") == ["cifar-10-batches-py"] + [f"cifar-10-batches-py/{n}" for n in sorted(make_batches())]


def test_the_verdict_is_remembered_by_content_not_by_size_and_time(tmp_path, monkeypatch):
    folder = _write_copy(tmp_path / "copy")
    sums = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in NAMES}
    monkeypatch.setattr(verify, "CIFAR10_FILE_MD5", sums)
    hashed = []
    real = verify._md5
    monkeypatch.setattr(verify, "_md5", lambda blob: hashed.append(blob) or real(blob))
    load_images("cifar10", str(folder.parent), torch.device("cpu"))
    assert len(hashed) == len(NAMES)
    hashed.clear()
    load_images("cifar10", str(folder.parent), torch.device("cpu"))
    assert hashed == []  # remembered: no MD5 computed again
    # Another file of the same size, given the same time: still caught, for its content differs.
    path = folder / "test_batch"
    stat = path.stat()
    swapped = bytearray(path.read_bytes())
    swapped[-10] ^= 0xFF
    path.write_bytes(bytes(swapped))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    with pytest.raises(DataError, match="test_batch does not match"):
        load_images("cifar10", str(folder.parent), torch.device("cpu"))
    assert len(hashed) == 1


def test_cli_trust_data_flag_trains_on_the_copy(tmp_path, capsys):
    _write_copy(tmp_path / "copy")
    args = ["train", "--lesson", "10", "--device", "cpu", "--data-root", str(tmp_path / "copy"), "--max-steps", "3"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "--trust-data" in err and len(err.strip().splitlines()) == 1
    assert main([*args, "--trust-data", "--json"]) == 0


def test_cli_data_download_and_show(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", server + "/good.tar.gz")
    root = tmp_path / "data"
    assert main(["data", "download", "--data-root", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "CIFAR-10 is ready in" in out and "downloading CIFAR-10" in err
    assert main(["data", "--data-root", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"data root: {root}" in out and "verified" in out and "shapes:" in out
    (tmp_path / "file").write_text("x")
    assert main(["data", "--data-root", str(tmp_path / "file")]) == 1
    assert "is a file" in capsys.readouterr().err
