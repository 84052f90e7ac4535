"""The app without a browser: its translations are Translator's, bad uploads get a message, the newest run is found,
domains are named and told apart (sketches to draw, photos to upload), the HTTP endpoint answers scripts, and the
server holds under load: concurrent huge uploads, a burst of connections, slow and malformed requests, foreign Host
names (tests/test_app_browser.py drives the page in Chromium)."""
import base64
import contextlib
import io
import json
import os
import re
import select
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.conftest import run_command, write_bad_files, write_png
from discogan import app
from discogan.data.image_io import load_rgb
from discogan.inference.app_model import (MAX_UPLOAD_BYTES, AppModel, UploadError, decode_upload, domain_names,
                                          drawable_domains, example_files, newest_run)
from discogan.inference.translator import Translator


def drawing(size=256):
    """What the canvas sends: white with dark pen strokes (a bag's outline), RGBA with nothing transparent."""
    image = Image.new("RGBA", (size, size), "white")
    pen = ImageDraw.Draw(image)
    pen.polygon([(60, 220), (196, 220), (180, 110), (76, 110)], outline="black", width=5)
    pen.arc((90, 40, 166, 180), 180, 360, fill="black", width=5)
    pen.line([(76, 110), (128, 150), (180, 110)], fill="black", width=5)
    return image


def png_bytes(image):
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    return stream.getvalue()


def pixels_of(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def object_photo(kind, seed, size=64):
    """A product photo: a coloured handbag (body and handle) or shoe (sole and upper) with shading, on white."""
    rng = np.random.default_rng(seed)
    colour = tuple(int(c) for c in rng.integers(30, 226, 3))
    image = Image.new("RGB", (4 * size, 4 * size), "white")
    pen = ImageDraw.Draw(image)

    def jitter():
        return int(rng.integers(-12, 12))
    if kind == "handbag":
        pen.arc((80 + jitter(), 30, 176 + jitter(), 150), 180, 360, fill=(40, 40, 40), width=10)
        pen.polygon([(48, 228), (208, 228), (188 + jitter(), 96), (68 + jitter(), 96)], fill=colour)
    else:
        pen.polygon([(24, 150 + jitter()), (110, 110), (150, 150), (232, 170 + jitter()), (232, 206), (24, 206)],
                    fill=colour)
        pen.rectangle((24, 206, 232, 222), fill=(50, 45, 40))
    shade = np.linspace(1.0, 0.75, 4 * size)[:, None, None]
    pixels = np.asarray(image, np.float32)
    pixels = np.where(pixels.min(axis=-1, keepdims=True) < 250, pixels * shade, pixels)
    return np.asarray(Image.fromarray(pixels.astype(np.uint8)).resize((size, size), Image.LANCZOS))


def write_photo_dataset(folder, train=8, val=4):
    """A handbags <-> shoes dataset of photos on both sides, unpaired: `folder`/trainA bags, trainB shoes, and
    held-out valA/valB, 64x64 PNG."""
    for split, count in (("train", train), ("val", val)):
        for domain, kind in (("A", "handbag"), ("B", "shoe")):
            for index in range(count):
                write_png(folder / f"{split}{domain}" / f"{index:03d}_{kind}.png",
                          object_photo(kind, seed=[split == "val", domain == "B", index]))
    return folder


@pytest.fixture(scope="module")
def model(tiny_run):
    with AppModel(tiny_run.checkpoint_dir) as model:
        yield model


@contextlib.contextmanager
def serving(model):
    """The app's HTTP server for `model` on a free port of 127.0.0.1, in a thread; yields its address."""
    server = app.AppServer("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve, args=(model,), daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def server(model):
    with serving(model) as url:
        yield url


@pytest.mark.parametrize("direction", ["AtoB", "BtoA"])
@pytest.mark.parametrize("thicken_sketch", [False, True])
def test_a_drawing_translates_to_the_pixels_translator_gives(model, tiny_run, direction, thicken_sketch):
    sketch = drawing()
    translation, model_input = model.translate(png_bytes(sketch), direction, thicken_sketch)
    with Translator.from_checkpoint(tiny_run.checkpoint_dir, direction) as translator:
        prepared = translator.prepare(np.asarray(sketch.convert("RGB")), thicken_sketch)
        expected = translator.translate(prepared[None])[0]
    np.testing.assert_array_equal(pixels_of(model_input), prepared)
    np.testing.assert_array_equal(pixels_of(translation), expected)
    assert pixels_of(translation).shape == (64, 64, 3)


def test_uploads_of_every_mode_read_as_translate_reads_them_and_bad_ones_get_a_message(tmp_path):
    unreadable, convertible = write_bad_files(tmp_path)
    for name in convertible:
        np.testing.assert_array_equal(decode_upload((tmp_path / name).read_bytes()), load_rgb(tmp_path / name))
    messages = {}
    for name in unreadable:
        with pytest.raises(UploadError) as refused:
            decode_upload((tmp_path / name).read_bytes())
        messages[name] = str(refused.value)
    assert messages["text.jpg"] == messages["corrupt.jpg"] == (
        "This file is not an image that can be read (PNG, JPEG, WebP, BMP, GIF, TIFF).")
    assert messages["truncated.jpg"].startswith("This image cannot be read: ")


def test_too_many_pixels_are_refused_from_the_header_before_decoding():
    stream = io.BytesIO()
    Image.new("1", (6000, 5000)).save(stream, format="PNG")  # 30 megapixels in 4 KB
    header_only = stream.getvalue()[:100]  # no pixel data: decoding would fail as truncated, not as too large
    for data in (stream.getvalue(), header_only):
        with pytest.raises(UploadError, match=r"^The image is 6000x5000 pixels \(30.0 megapixels\); the limit is "
                                              r"25 megapixels\.$"):
            decode_upload(data)


def test_too_many_bytes_are_refused():
    with pytest.raises(UploadError, match=r"^The file is 8.0 MB; the limit is 8 MB\.$"):
        decode_upload(b"\0" * (MAX_UPLOAD_BYTES + 1))


def test_the_newest_run_is_the_one_whose_checkpoint_was_written_last(tiny_run, tmp_path):
    root = tmp_path / "checkpoint"
    for name in ("older", "newer", ".hidden"):
        shutil.copytree(tiny_run.checkpoint_dir, root / name)
    (root / "no_checkpoint").mkdir()
    shutil.copy(tiny_run.checkpoint_dir / "config.json", root / "no_checkpoint")
    (root / "a_file").write_text("")

    def write_times(**seconds):
        for name, when in seconds.items():
            for index in (root / name).glob("*.index"):
                os.utime(index, (when, when))

    write_times(older=1_000, newer=2_000, **{".hidden": 3_000})
    assert newest_run(root) == root / "newer"
    write_times(older=4_000)
    assert newest_run(root) == root / "older"
    assert newest_run(tmp_path / "missing") is None
    shutil.rmtree(root / "older"), shutil.rmtree(root / "newer")
    assert newest_run(root) is None


def test_without_a_model_the_command_says_how_to_get_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, errors = run_command(monkeypatch, capsys, app.main)
    assert status == 1
    assert errors == ["error: no trained model in checkpoint/: train the demo with `python -m discogan.train "
                      "process_main --demo`, or pass --checkpoint_dir"]


def test_a_port_in_use_is_one_line(monkeypatch, capsys, tiny_run):
    with app.AppServer("127.0.0.1", 0) as taken:
        port = taken.server_address[1]
        status, errors = run_command(monkeypatch, capsys, app.main, "--checkpoint_dir", tiny_run.checkpoint_dir,
                                     "--port", port)
    assert status == 1 and len(errors) == 1
    assert errors[0].startswith(f"error: cannot listen on 127.0.0.1:{port}: Address already in use")


@pytest.mark.parametrize("dataset_dir, names", [("/data/edges2handbags", ("sketch", "handbag")),
                                                ("datasets/handbags2shoes", ("handbag", "shoe")),
                                                ("data/Bags2Shoes", ("bag", "shoe")),
                                                ("data/day2night", ("day", "night")),
                                                ("/home/me/.cache/discogan/demo_bags", ("sketch", "bag")),
                                                ("/home/me/.cache/discogan/demo_shoes", ("handbag", "shoe")),
                                                ("/data/bags", ("A", "B")),
                                                ("/data/edges2handbags_mini", ("A", "B"))])
def test_domain_names_come_from_the_dataset_folder_one_image_each(dataset_dir, names):
    assert domain_names({"dataset_dir": dataset_dir}) == names
    assert domain_names(None) == ("A", "B")  # a SavedModel records no dataset


def test_a_bags_to_shoes_run_in_a_folder_called_x_opens_as_handbag_to_shoe(tmp_path):
    from discogan.make_unpaired import make_unpaired
    from discogan.train import process_main
    photos = write_photo_dataset(tmp_path / "photos", train=6, val=0)
    (photos / "trainA").rename(photos / "handbags")
    (photos / "trainB").rename(photos / "shoes")
    make_unpaired(photos / "handbags", photos / "shoes", tmp_path / "X", val_size=2, workers=1)
    process_main(dataset_dir=str(tmp_path / "X"), epochs=1, batch_size=2, gf=8, df=8, seed=0, print_freq=100,
                 save_freq=100, checkpoint_dir=str(tmp_path / "checkpoint"), sample_dir=str(tmp_path / "sample"),
                 log_dir=str(tmp_path / "logs"))
    with AppModel(tmp_path / "checkpoint" / "X") as model, serving(model) as url:
        with urllib.request.urlopen(f"{url}api/settings") as response:
            settings = json.load(response)
    assert settings["domains"] == {"A": "handbag", "B": "shoe"}  # the page's "handbag -> shoe"
    assert settings["drawable"] == {"A": False, "B": False} and settings["thicken_sketch"] is False


@pytest.mark.parametrize("dataset_dir", [5, ["/data/edges2handbags"], True, {"path": "x"}])
def test_a_config_json_whose_dataset_dir_is_not_a_path_serves_as_a_dataset_unknown(dataset_dir, tiny_run, tmp_path):
    run = shutil.copytree(tiny_run.checkpoint_dir, tmp_path / "run")
    record = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**record, "dataset_dir": dataset_dir}))
    with AppModel(tiny_run.checkpoint_dir) as original:
        recorded_names = original.domains  # named by the run's recorded dataset.json, not by the folder
    with AppModel(run) as model:
        assert (model.domains, model.examples) == (recorded_names, {"A": [], "B": []})


def test_sketches_are_drawn_and_photos_uploaded(tiny_dataset, tmp_path):
    assert drawable_domains(example_files({"dataset_dir": str(tiny_dataset)})) == {"A": True, "B": False}
    photos = write_photo_dataset(tmp_path / "handbags2shoes", train=0, val=4)
    assert drawable_domains(example_files({"dataset_dir": str(photos)})) == {"A": False, "B": False}
    assert drawable_domains(example_files(None)) == {"A": True, "B": True}  # nothing known: the pad stays


def test_examples_are_held_out_images_when_there_are_any(tiny_dataset, tmp_path):
    examples = example_files({"dataset_dir": str(tiny_dataset)})
    assert [path.parent.name for path in examples["A"] + examples["B"]] == ["valA"] * 4 + ["valB"] * 4
    shutil.copytree(tiny_dataset / "trainB", tmp_path / "data" / "trainB")
    assert example_files({"dataset_dir": str(tmp_path / "data")}) == {
        "A": [], "B": sorted((tmp_path / "data" / "trainB").iterdir())[:4]}
    assert example_files({"dataset_dir": str(tmp_path / "gone")}) == {"A": [], "B": []}


def post(url, data, headers=None):
    """(status, body) of a POST to the app."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {})) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_endpoint_answers_scripts_with_the_same_pixels(server, model):
    sketch = png_bytes(drawing())
    status, body = post(f"{server}api/translate?direction=BtoA&thicken_sketch=1", sketch)
    answer = json.loads(body)
    assert status == 200
    assert (base64.b64decode(answer["translation"]), base64.b64decode(answer["model_input"])) == model.translate(
        sketch, "BtoA", thicken_sketch=True)
    status, body = post(f"{server}api/translate", sketch, {"Accept": "image/png"})
    assert status == 200 and body == model.translate(sketch, "AtoB")[0]


def test_the_endpoint_refuses_bad_requests_with_a_message(server):
    assert post(f"{server}api/translate", b"hello\n") == (
        400, b'{"error": "This file is not an image that can be read (PNG, JPEG, WebP, BMP, GIF, TIFF)."}')
    assert post(f"{server}api/translate", b"\0" * (MAX_UPLOAD_BYTES + 1)) == (
        413, b'{"error": "The file is 8.0 MB; the limit is 8 MB."}')
    status, body = post(f"{server}api/translate?direction=sideways", png_bytes(drawing()))
    assert status == 400 and "AtoB or BtoA" in json.loads(body)["error"]
    assert post(f"{server}api/other", b"")[0] == 404


def test_the_page_its_settings_and_the_examples_are_served(server, model, tiny_run):
    with urllib.request.urlopen(server) as response:
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert b'<canvas id="canvas"' in response.read()
    with urllib.request.urlopen(f"{server}api/settings") as response:
        settings = json.load(response)
    assert settings == {"run": str(tiny_run.checkpoint_dir), "domains": {"A": "sketch", "B": "bag"},
                        "drawable": {"A": True, "B": False}, "image_size": 64,
                        "canvas_size": 256, "pen_width": 5, "thicken_sketch": False, "examples": {"A": 4, "B": 4},
                        "max_upload_bytes": 8_000_000, "max_pixels": 25_000_000}
    with urllib.request.urlopen(f"{server}examples/B/3") as response:
        assert response.read() == model.examples["B"][3].read_bytes()
    for missing in ("examples/B/4", "examples/C/0", "examples/../config.json", "nothing"):
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{server}{missing}")


def test_a_saved_model_serves_without_names_or_examples(tiny_run, tmp_path):
    from discogan.export import export
    folder = export(tiny_run.checkpoint_dir, tmp_path / "export")
    sketch = png_bytes(drawing())
    with AppModel(saved_model=folder) as exported, AppModel(tiny_run.checkpoint_dir) as trained:
        assert (exported.domains, exported.examples) == (("A", "B"), {"A": [], "B": []})
        served, expected = (pixels_of(model.translate(sketch, "BtoA")[0]) for model in (exported, trained))
    assert np.abs(served.astype(int) - expected).max() <= 1  # the export's graph is optimised on its own


def raw_request(url, data, timeout=10):
    """The status of the server's answer to raw request bytes; "closed" when it closed the connection without one,
    or the client's error ("ConnectionResetError", "TimeoutError")."""
    host, port = re.match(r"http://([^/]+):(\d+)/", url).groups()
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as connection:
            connection.sendall(data)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
    except OSError as error:
        return type(error).__name__
    return int(answer.split(b" ", 2)[1]) if answer else "closed"


def megabytes(field):
    """This process's VmRSS (now) or VmHWM (peak since the last reset) in MB."""
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux's peak-memory reset")
def test_huge_uploads_at_once_wait_their_turn_so_memory_stays_bounded(server):
    stream = io.BytesIO()
    Image.fromarray(np.zeros((5000, 4999), np.uint16)).save(stream, format="PNG")  # 49 KB, some 600 MB decoded
    bomb = stream.getvalue()
    statuses = []
    uploads = [threading.Thread(target=lambda: statuses.append(post(f"{server}api/translate", bomb)[0]))
               for _ in range(3)]
    Path("/proc/self/clear_refs").write_text("5")  # the peak counts from here
    before = megabytes("VmRSS")
    for upload in uploads:
        upload.start()
    for upload in uploads:
        upload.join(timeout=120)
    growth = megabytes("VmHWM") - before
    print(f"\nthree 25-megapixel 16-bit PNGs at once: peak memory +{growth:.0f} MB")
    assert statuses == [200] * 3
    assert growth < 1000  # one decoded at a time: some 650 MB; all three at once took 1.9 GB


def test_fifty_requests_at_once_queue_and_are_all_answered(model):
    server = app.AppServer("127.0.0.1", 0)
    answers = []
    clients = [threading.Thread(target=lambda: answers.append(
        raw_request(server.url, b"GET /api/settings HTTP/1.0\r\n\r\n", timeout=5))) for _ in range(50)]
    for client in clients:
        client.start()
    time.sleep(1)  # they all arrive while the server is busy: the system holds them until it accepts
    threading.Thread(target=server.serve, args=(model,), daemon=True).start()
    for client in clients:
        client.join(timeout=30)
    server.shutdown()
    server.server_close()
    assert answers == [200] * 50  # with a backlog of 5, 32 of them timed out


def handler_threads():
    return [thread for thread in threading.enumerate() if "process_request_thread" in thread.name]


def test_stalled_and_trickling_clients_are_let_go(model):
    server = app.AppServer("127.0.0.1", 0, idle_seconds=0.5, request_seconds=2)
    threading.Thread(target=server.serve, args=(model,), daemon=True).start()
    try:
        started = time.monotonic()
        assert raw_request(server.url, b"POST /api/translate HTTP/1.0\r\nContent-Length: 1000\r\n\r\n" + b"\0" * 10,
                           timeout=5) == 408
        assert raw_request(server.url, b"GET / HTTP/1.0\r\nHost: loc", timeout=5) == "closed"
        assert time.monotonic() - started < 3

        host, port = server.server_address
        with socket.create_connection((host, port), timeout=5) as connection:
            connection.sendall(b"POST /api/translate HTTP/1.0\r\nContent-Length: 1000\r\n\r\n")
            started = time.monotonic()
            try:
                while not select.select([connection], [], [], 0.2)[0]:  # a byte every 0.2 s, never idle
                    connection.sendall(b"\0")
                answer = connection.recv(100)
            except ConnectionError:
                answer = b"reset after the answer"
            assert 1.5 < time.monotonic() - started < 3.5  # cut at the request's deadline, 2 s
        assert answer.startswith((b"HTTP/1.0 408", b"reset"))
        deadline = time.monotonic() + 5
        while handler_threads() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not handler_threads()
    finally:
        server.shutdown()
        server.server_close()


def test_malformed_requests_get_an_answer_and_no_console_line(server, capsys):
    requests = {
        b"GET /examples/A/\xb2 HTTP/1.0\r\n\r\n": 400,  # a raw byte that Python reads as the digit two
        b"GET /\xff\xfe/settings HTTP/1.0\r\n\r\n": 400,
        b"GET /examples/A/" + b"9" * 5000 + b" HTTP/1.0\r\n\r\n": 404,  # well-formed: no such example
        b"POST /api/translate HTTP/1.0\r\nContent-Length: \xb2\r\n\r\n": 400,
        b"POST /api/translate HTTP/1.0\r\nContent-Length: 12abc\r\n\r\n": 400,
        b"POST /api/translate HTTP/1.0\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n": 413,
    }
    assert [raw_request(server, request) for request in requests] == list(requests.values())
    assert capsys.readouterr().err == ""


def test_only_requests_addressed_to_this_server_are_answered(server):
    port = int(server.rsplit(":", 1)[1].strip("/"))
    hosts = {None: 200, "localhost": 200, f"localhost:{port}": 200, f"127.0.0.1:{port}": 200, f"[::1]:{port}": 200,
             "LOCALHOST": 200, f"127.0.0.1:{port + 1}": 200,  # an SSH tunnel's local port
             f"evil.example:{port}": 403, "evil.example": 403, "localhost:http": 403,
             "127.0.0.1.evil.example": 403, "[::1": 403}
    answers = {host: raw_request(server, b"GET /api/settings HTTP/1.0\r\n"
                                 + (f"Host: {host}\r\n".encode() if host else b"") + b"\r\n") for host in hosts}
    assert answers == hosts
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(f"{server}api/translate", data=png_bytes(drawing()),
                                                      headers={"Host": f"rebound.example:{port}"}))
    assert refused.value.code == 403 and json.load(refused.value) == {"error": (
        f"This app answers at {server}, not at host 'rebound.example:{port}'; to serve it under that name, start "
        f"it with --host set to it.")}
    with app.AppServer("0.0.0.0", 0) as everywhere:  # every interface: reached at any of the machine's addresses
        assert everywhere.serves_host("192.168.1.20") and everywhere.serves_host("[fe80::1]:80")
        assert not everywhere.serves_host("rebound.example")


def test_a_repeated_host_or_content_length_is_refused(server):
    sketch = png_bytes(drawing())
    requests = {
        b"GET /api/settings HTTP/1.0\r\nHost: localhost\r\nHost: evil.example\r\n\r\n": 400,
        b"POST /api/translate HTTP/1.0\r\nContent-Length: %d\r\nContent-Length: 5\r\n\r\n" % len(sketch) + sketch: 400,
    }
    assert [raw_request(server, request) for request in requests] == list(requests.values())


@pytest.mark.parametrize("method", ["HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
def test_other_methods_are_not_allowed_and_say_which_are(server, method):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(f"{server}api/translate", data=b"x", method=method))
    assert refused.value.code == 405 and refused.value.headers["Allow"] == "GET, POST"


def multipart(fields, boundary="----discogan-test-boundary"):
    """A multipart/form-data body of (name, file name or None, bytes) fields, as `curl -F` sends; (body, headers)."""
    body = b""
    for name, filename, data in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += (f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_a_form_upload_translates_its_file_as_the_raw_body_would(server, model):
    sketch = png_bytes(drawing())
    body, headers = multipart([("note", None, b"mine"), ("file", "bag.png", sketch)])
    assert post(f"{server}api/translate", body, {**headers, "Accept": "image/png"}) == (
        200, model.translate(sketch, "AtoB")[0])
    body, headers = multipart([("note", None, b"mine")])
    status, answer = post(f"{server}api/translate", body, headers)
    assert status == 400 and json.loads(answer)["error"].startswith("The form holds no file")
