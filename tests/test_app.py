"""The sketch app without a browser: its translations are Translator's, bad uploads get a message, the newest run is
found, and the HTTP endpoint answers scripts (tests/test_app_browser.py drives the page in Chromium)."""
import base64
import io
import json
import os
import shutil
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.conftest import run_command, write_bad_files
from discogan import app
from discogan.app_model import (MAX_UPLOAD_BYTES, SketchModel, UploadError, decode_upload, domain_names,
                                example_files, newest_run)
from discogan.image_io import encode_png, load_rgb
from discogan.inference import Translator


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


@pytest.fixture(scope="module")
def model(tiny_run):
    with SketchModel(tiny_run.checkpoint_dir) as model:
        yield model


@pytest.fixture(scope="module")
def server(model):
    """The app's HTTP server on a free port of 127.0.0.1, in a thread; yields its address."""
    server = app.AppServer("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve, args=(model,), daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    server.server_close()


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
                      "process_main --demo` (about 4 minutes), or pass --checkpoint_dir"]


def test_a_port_in_use_is_one_line(monkeypatch, capsys, tiny_run):
    with app.AppServer("127.0.0.1", 0) as taken:
        port = taken.server_address[1]
        status, errors = run_command(monkeypatch, capsys, app.main, "--checkpoint_dir", tiny_run.checkpoint_dir,
                                     "--port", port)
    assert status == 1 and len(errors) == 1
    assert errors[0].startswith(f"error: cannot listen on 127.0.0.1:{port}: Address already in use")


@pytest.mark.parametrize("dataset_dir, names", [("/data/edges2handbags", ("edges", "handbags")),
                                                ("datasets/handbags2shoes", ("handbags", "shoes")),
                                                ("/home/me/.cache/discogan/demo_bags", ("sketch", "bag")),
                                                ("/data/bags", ("A", "B"))])
def test_domain_names_come_from_the_dataset_folder(dataset_dir, names):
    assert domain_names({"dataset_dir": dataset_dir}) == names
    assert domain_names(None) == ("A", "B")  # a SavedModel records no dataset


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
    assert settings == {"run": str(tiny_run.checkpoint_dir), "domains": {"A": "A", "B": "B"}, "image_size": 64,
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
    with SketchModel(saved_model=folder) as exported, SketchModel(tiny_run.checkpoint_dir) as trained:
        assert (exported.domains, exported.examples) == (("A", "B"), {"A": [], "B": []})
        served, expected = (pixels_of(model.translate(sketch, "BtoA")[0]) for model in (exported, trained))
    assert np.abs(served.astype(int) - expected).max() <= 1  # the export's graph is optimised on its own
