"""The download script against a local HTTP server and tarball; the real dataset address is never used."""
import importlib.util
import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "download_dataset.py"
spec = importlib.util.spec_from_file_location("download_dataset", SCRIPT)
download_dataset = importlib.util.module_from_spec(spec)
spec.loader.exec_module(download_dataset)

PAYLOAD = bytes(range(256)) * 5000


class RangeHandler(BaseHTTPRequestHandler):
    """Serves PAYLOAD, honouring `Range: bytes=N-` like the dataset server."""

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()

    def do_GET(self):
        start = int(self.headers.get("Range", "bytes=0-")[6:-1])
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.send_header("Content-Length", str(len(PAYLOAD) - start))
        self.end_headers()
        self.wfile.write(PAYLOAD[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/edges2shoes.tar.gz"
    server.shutdown()
    server.server_close()


def test_download_resumes_a_part_file(tmp_path, url):
    archive = tmp_path / "edges2shoes.tar.gz"
    (tmp_path / "edges2shoes.tar.gz.part").write_bytes(PAYLOAD[:1000])
    download_dataset.download(url, archive)
    assert archive.read_bytes() == PAYLOAD
    assert not (tmp_path / "edges2shoes.tar.gz.part").exists()


def test_size_and_digest_checks(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"12345")
    download_dataset.check_size(path, 5)
    with pytest.raises(download_dataset.DownloadError, match="run again to resume"):
        download_dataset.check_size(path, 9)
    with pytest.raises(download_dataset.DownloadError, match=f"expected {'0' * 64}; kept it as {path}.sha256-mismatch"):
        download_dataset.check_sha256(path, "0" * 64)
    assert not path.exists() and (tmp_path / "file.sha256-mismatch").read_bytes() == b"12345"


@pytest.mark.parametrize("digest", ["abc", "g" * 64, "0" * 63, ""])
def test_a_malformed_digest_is_refused_before_anything_is_fetched_or_removed(digest, tmp_path, monkeypatch, capsys):
    archive = tmp_path / "edges2shoes.tar.gz"
    archive.write_bytes(b"hours of download")
    monkeypatch.setattr(download_dataset, "download", lambda *args: pytest.fail("downloaded"))
    with pytest.raises(SystemExit) as stop:
        download_dataset.main(["edges2shoes", "--out", str(tmp_path), "--sha256", digest])
    assert stop.value.code == 2 and f"{digest!r} is not a SHA-256 digest" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edges2shoes.tar.gz"]
    assert archive.read_bytes() == b"hours of download"


def test_a_mismatching_digest_keeps_the_archive_aside_and_says_so(tmp_path):
    archive = tmp_path / "edges2shoes.tar.gz"
    make_tarball(archive, {"edges2shoes/train/1_AB.jpg": b"a"})
    contents = archive.read_bytes()
    with pytest.raises(SystemExit) as stop:
        download_dataset.main(["edges2shoes", "--out", str(tmp_path), "--sha256", "A" * 64])
    assert f"kept it as {archive}.sha256-mismatch" in str(stop.value.code)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edges2shoes.tar.gz.sha256-mismatch"]
    assert (tmp_path / "edges2shoes.tar.gz.sha256-mismatch").read_bytes() == contents


def test_an_out_folder_that_cannot_be_made_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(SystemExit) as stop:
        download_dataset.main(["edges2shoes", "--out", str(tmp_path / "file" / "datasets")])
    assert str(stop.value.code).startswith("error: ") and "file/datasets" in str(stop.value.code)

    def read_only(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(SystemExit) as stop:
        download_dataset.main(["edges2shoes", "--out", str(tmp_path / "read-only" / "datasets")])
    assert stop.value.code == f"error: [Errno 13] Permission denied: '{tmp_path / 'read-only' / 'datasets'}'"


def make_tarball(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_unpack_creates_the_dataset_folder_once(tmp_path):
    archive = tmp_path / "edges2shoes.tar.gz"
    make_tarball(archive, {"edges2shoes/train/1_AB.jpg": b"a", "edges2shoes/val/1_AB.jpg": b"b"})
    folder = download_dataset.unpack(archive, tmp_path, "edges2shoes")
    assert (folder / "train" / "1_AB.jpg").read_bytes() == b"a"
    (folder / "val" / "1_AB.jpg").write_bytes(b"kept")
    download_dataset.unpack(archive, tmp_path, "edges2shoes")
    assert (folder / "val" / "1_AB.jpg").read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edges2shoes", "edges2shoes.tar.gz"]


def test_unpack_refuses_paths_outside_the_folder(tmp_path):
    archive, out = tmp_path / "edges2shoes.tar.gz", tmp_path / "out"
    make_tarball(archive, {"../evil.txt": b"x"})
    out.mkdir()
    with pytest.raises(download_dataset.DownloadError, match="cannot unpack"):
        download_dataset.unpack(archive, out, "edges2shoes")
    assert not (tmp_path / "evil.txt").exists() and list(out.iterdir()) == []
