"""Data at the edges: trickling servers, leftovers, odd roots, huge images and damaged folder caches."""

from __future__ import annotations

import http.server
import os
import threading
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

from babytui.cli import main
from babytui.core.datasets import download, load_images
from babytui.core.datasets import folder as folder_module
from babytui.core.datasets.folder import folder_cache_dir, load_image_folder
from babytui.core.errors import DataError

torch.set_num_threads(1)
CPU = torch.device("cpu")


class _Trickle(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        try:
            for _ in range(200):  # a byte every 50 ms: the connection never goes quiet, and never gets anywhere
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def test_a_server_that_trickles_is_given_up_and_says_so(tmp_path: Path, monkeypatch) -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setattr(download, "STALL_SECONDS", 0.6)
    monkeypatch.setattr(download, "STALL_BYTES", 100)
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", f"http://127.0.0.1:{httpd.server_address[1]}/slow.tar.gz")
    root = tmp_path / "data"
    started = time.monotonic()
    try:
        with pytest.raises(DataError, match=r"stalled: less than 0 kB arrived in 1 s .*nothing was kept"):
            load_images("cifar10", str(root), CPU)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert time.monotonic() - started < 5
    assert not root.exists()


def test_leftovers_of_killed_downloads_are_swept_by_the_next_load(tiny_cifar: Path) -> None:
    dead = tiny_cifar / ".babytui-download-999999-abc"  # no such process
    stale = tiny_cifar / f".babytui-download-{os.getpid()}-def"  # a living id, but nothing touched it for long
    fresh = tiny_cifar / f".babytui-download-{os.getppid()}-ghi"  # a download going on in another process
    for folder in (dead, stale, fresh):
        (folder / "unpacked").mkdir(parents=True)
        (folder / "cifar-10-python.tar.gz").write_bytes(b"part of an archive")
    old = time.time() - 2 * download.LEFTOVER_AGE
    for path in (stale, stale / "unpacked", stale / "cifar-10-python.tar.gz"):
        os.utime(path, (old, old))
    load_images("cifar10", str(tiny_cifar), CPU, trust_data=True)
    assert not dead.exists() and not stale.exists() and fresh.exists()


@pytest.mark.parametrize("dataset", ["cifar10", "folder"])
def test_a_data_root_that_is_a_symlink_loop_or_leads_nowhere(tmp_path: Path, capsys, dataset) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    nowhere = tmp_path / "nowhere"
    nowhere.symlink_to(tmp_path / "gone")
    for root, message in ((loop, "is a loop of symbolic links"), (nowhere, f"symbolic link to {tmp_path / 'gone'}, which does not exist")):
        with pytest.raises(DataError, match=message):
            load_images(dataset, str(root), CPU)
        assert main(["data", "--data-root", str(root)]) == 1
        err = capsys.readouterr().err
        assert message in err and "File exists" not in err and len(err.strip().splitlines()) == 1
        assert main(["train", "--lesson", "10", "--dataset", dataset, "--data-root", str(root)]) == 2  # as typed
        assert "symbolic link that leads nowhere" in capsys.readouterr().err
    assert not (tmp_path / "gone").exists()


def test_data_with_a_missing_root_says_so(tmp_path: Path, capsys) -> None:
    assert main(["data", "--data-root", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert f"data root {tmp_path / 'missing'} does not exist" in err and "not downloaded" not in err
    assert not (tmp_path / "missing").exists()


def _classes(root: Path, per_class: int = 3) -> Path:
    for c, name in enumerate(("a", "b")):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.new("RGB", (32, 32), (100 * c, 30 * i, 7)).save(root / name / f"{i}.png")
    return root


def test_large_images_decode_within_a_bound_and_skips_are_counted_by_reason(tmp_path: Path, monkeypatch, recwarn) -> None:
    root = _classes(tmp_path / "pets")
    monkeypatch.setattr(folder_module, "MAX_DECODE_PIXELS", 2_000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)  # Pillow would warn about, or refuse, all of these
    Image.new("RGB", (256, 256), (200, 0, 0)).save(root / "a" / "big.jpg")  # a JPEG drafts at 1/8: 32x32 to decode
    Image.new("RGB", (256, 256), (200, 0, 0)).save(root / "a" / "big.png")  # a PNG cannot: 65,536 pixels, skipped
    (root / "b" / "broken.png").write_bytes(b"\x89PNG not really")
    real_open = Image.open

    def guarded(path, *args, **kwargs):
        if str(path).endswith("secret.png"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    Image.new("RGB", (8, 8)).save(root / "b" / "secret.png")
    monkeypatch.setattr(Image, "open", guarded)
    data = load_image_folder(root, CPU, cache=False)
    assert len(data.train_images) + len(data.test_images) == 7  # six small and the big JPEG
    assert data.warnings == (
        f"skipped 3 image files in {root}: 1 damaged or not an image, 1 too large to decode (over 0.002 megapixels), "
        "1 unreadable (no permission, or a read error)",
    )
    assert not [w for w in recwarn if "DecompressionBomb" in type(w.message).__name__]


def test_a_damaged_but_loadable_folder_cache_is_rebuilt(tmp_path: Path) -> None:
    root = _classes(tmp_path / "pets", per_class=5)
    first = load_image_folder(root, CPU)
    (cache,) = folder_cache_dir().glob("*.pt")
    saved = torch.load(cache, weights_only=True)
    for damage in (
        lambda s: s["tensors"]["train_labels"].fill_(99),  # the IndexError: Target 99 is out of bounds of old
        lambda s: s["tensors"].update(test_images=s["tensors"]["test_images"][:, :, :16]),
        lambda s: s.update(classes=["x", "y"]),
        lambda s: s.update(skipped={"/elsewhere.png": "damaged"}),
    ):
        broken = {**saved, "tensors": {k: v.clone() for k, v in saved["tensors"].items()}, "skipped": dict(saved["skipped"])}
        damage(broken)
        torch.save(broken, cache)
        again = load_image_folder(root, CPU)
        assert torch.equal(again.train_labels, first.train_labels) and torch.equal(again.test_images, first.test_images)
        events = list(__import__("babytui.core.train", fromlist=["train"]).train(
            __import__("babytui.core.lessons", fromlist=["get_lesson"]).get_lesson(12),
            __import__("babytui.core.lessons", fromlist=["get_lesson"]).get_lesson(12).settings({"max_steps": 2, "device": "cpu", "hidden": 4}),
            data=again,
        ))
        assert type(events[-1]).__name__ == "Finished"


def test_a_file_skipped_once_is_read_once_it_can_be(tmp_path: Path, monkeypatch) -> None:
    root = _classes(tmp_path / "pets", per_class=4)
    real = folder_module.read_image
    monkeypatch.setattr(folder_module, "read_image", lambda p, *lock: "unreadable" if p.endswith("a/0.png") else real(p, *lock))
    first = load_image_folder(root, CPU)
    assert len(first.train_images) + len(first.test_images) == 7 and "1 image file" in first.warnings[0]
    monkeypatch.setattr(folder_module, "read_image", real)  # the file can be read now (a chmod changes no size or time)
    second = load_image_folder(root, CPU)
    assert len(second.train_images) + len(second.test_images) == 8 and second.warnings == ()


def test_stale_temporary_caches_are_swept(tmp_path: Path) -> None:
    root = _classes(tmp_path / "pets")
    cache = folder_cache_dir()
    cache.mkdir(parents=True)
    dead = cache / ".0123.pt.999999.tmp"
    dead.write_bytes(b"half a cache")
    load_image_folder(root, CPU)
    assert not dead.exists() and len(list(cache.glob("*.pt"))) == 1
