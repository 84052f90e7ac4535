"""The app in a real browser: Debian's Chromium, driven by Playwright, draws on the canvas with the mouse, uploads
files and switches direction, and each result shown is what Translator gives for what the page sent. A run trained
on photos on both sides (handbags <-> shoes) opens with an upload zone and examples instead of the drawing pad.

`python -m discogan.app` runs in a subprocess with the tiny models trained in the test session, the sketch one or
DISCOGAN_APP_CHECKPOINT; DISCOGAN_APP_SCREENSHOT=path also saves the screenshot of a drawn bag there (docs/app.png
is made this way with the demo model). `pytest -s` shows the time from a stroke's end to its result.
"""
import contextlib
import base64
import io
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from discogan.data.image_io import read_image, save_image
from discogan.inference.translator import Translator
from tests.conftest import TINY_OPTIONS
from tests.test_app import object_photo, write_photo_dataset

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)",
                allow_module_level=True)
pytest.importorskip("pytest_playwright", reason="browser tests need Playwright: pip install -e '.[test,browser]'")
from playwright.sync_api import expect  # noqa: E402 (after the skips)

# Headless, and nothing of Chromium's own on the network: on a closed network its background connections are refused.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LATENCY_BOUND = 3.0  # seconds from a stroke's end to its result; the issue asks 0.5 s on 2 cores, CI may be busier
# A handbag in canvas fractions, one stroke each, shaped like the demo's sketches: body, handle, flap, clasp.
BAG_STROKES = [
    [(0.18, 0.88), (0.82, 0.88), (0.74, 0.45), (0.26, 0.45), (0.18, 0.88)],
    [(0.5 - 0.18 * math.cos(angle), 0.45 - 0.27 * math.sin(angle)) for angle in np.linspace(0, math.pi, 16)],
    [(0.26, 0.45), (0.5, 0.64), (0.74, 0.45)],
    [(0.5 + 0.025 * math.cos(angle), 0.66 + 0.025 * math.sin(angle)) for angle in np.linspace(0, 2 * math.pi, 10)],
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch, on Debian's Chromium (Playwright's own browser download is not reachable)."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1180, "height": 900}}


@contextlib.contextmanager
def serving(checkpoint_dir, log):
    """(address, checkpoint folder) of `python -m discogan.app --port 0`, run as a user runs it."""
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "discogan.app", "--checkpoint_dir", str(checkpoint_dir),
                                    "--port", "0"], stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not (address := re.search(r"open (http://\S+)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield address.group(1), checkpoint_dir
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 143, log.read_text()  # SIGTERM stops it like any discogan command
    assert log.read_text().splitlines()[-1] == "stopped"  # and no line per request


@contextlib.contextmanager
def both_translators(checkpoint_dir):
    translators = {direction: Translator.from_checkpoint(checkpoint_dir, direction) for direction in ("AtoB", "BtoA")}
    yield translators
    for translator in translators.values():
        translator.close()


@contextlib.contextmanager
def loaded(page, address):
    """The app's page at `address`, loaded; fails the test on any uncaught script error."""
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(address)
    page.wait_for_selector("body[data-ready=true]")
    yield page
    assert not errors


@pytest.fixture(scope="module")
def served(request, tmp_path_factory):
    """The sketch <-> bag run (or DISCOGAN_APP_CHECKPOINT) served."""
    checkpoint_dir = os.environ.get("DISCOGAN_APP_CHECKPOINT") or request.getfixturevalue("tiny_run").checkpoint_dir
    with serving(checkpoint_dir, tmp_path_factory.mktemp("app") / "app.log") as address_and_run:
        yield address_and_run


@pytest.fixture(scope="module")
def translators(served):
    with both_translators(served[1]) as translators:
        yield translators


@pytest.fixture
def app(page, served):
    with loaded(page, served[0]) as app_page:
        yield app_page


@pytest.fixture(scope="module")
def photo_run(tmp_path_factory):
    """A tiny model trained on photos on both sides, handbags <-> shoes; yields its checkpoint folder."""
    from discogan.train import process_main
    dataset = write_photo_dataset(tmp_path_factory.mktemp("photos") / "handbags2shoes")
    work = tmp_path_factory.mktemp("photo_run")
    process_main(dataset_dir=str(dataset), **TINY_OPTIONS,
                 **{folder: str(work / folder) for folder in ("checkpoint_dir", "sample_dir", "log_dir")})
    return work / "checkpoint_dir" / dataset.name


@pytest.fixture(scope="module")
def served_photos(photo_run, tmp_path_factory):
    with serving(photo_run, tmp_path_factory.mktemp("photo_app") / "app.log") as address_and_run:
        yield address_and_run


def answer_to(page, action):
    """Run `action`, which changes what the page translates, and wait until the page shows the answer (or an error).
    What it changes may change later: a click on an example fetches the example first."""
    before = page.evaluate("app.state.version")
    action()
    page.wait_for_function(f"app.state.version > {before} && app.state.shownVersion === app.state.version "
                           f"&& !app.state.inFlight", timeout=30_000)


def draw(page, points, tool="pen"):
    """One stroke with the mouse through canvas fractions `points`; returns seconds from mouse up to its result."""
    if page.is_checked(f"input[name=tool][value={tool}]") is False:
        page.click(f"label:has(input[value={tool}])")
    box = page.locator("#canvas").bounding_box()
    to_page = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.move(*to_page[0])
    page.mouse.down()
    for point in to_page[1:]:
        page.mouse.move(*point, steps=4)
    started = time.perf_counter()
    page.mouse.up()
    version = page.evaluate("app.state.version")
    page.wait_for_function(f"app.shown && app.shown.version >= {version}", timeout=30_000)
    return time.perf_counter() - started


def data_url_pixels(url):
    """HxWx3 uint8 of an image file in a data: URL, read as the app reads uploads."""
    return read_image(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))[0]


def check_shown(page, translators):
    """The result and the network input shown are Translator's for the file the page sent; returns the result."""
    shown = page.evaluate("({direction: app.shown.direction, thicken: app.shown.thicken})")
    translator = translators[shown["direction"]]
    prepared = translator.prepare(data_url_pixels(page.evaluate("app.sentDataURL()")), shown["thicken"])
    expected = translator.translate(prepared[None])[0]
    result = data_url_pixels(page.get_attribute("#result", "src"))
    assert page.is_visible("#result") and page.is_visible("#model-input")
    assert np.abs(result.astype(int) - expected).max() <= 1
    assert np.abs(data_url_pixels(page.get_attribute("#model-input", "src")).astype(int) - prepared).max() <= 1
    return result


def test_drawing_shows_its_translation_at_each_strokes_end(app, translators, tmp_path):
    assert page_state(app) == {"result": False, "placeholder": True}
    latencies = []
    for stroke in BAG_STROKES:
        latencies.append(draw(app, stroke))
        result = check_shown(app, translators)
        # Not blank: the network saw the pen's lines and its answer is a picture (the tiny model's is a near-even grey).
        assert data_url_pixels(app.get_attribute("#model-input", "src")).min() < 100
        assert app.evaluate("document.getElementById('result').naturalWidth") == result.shape[1] == 64
        assert result.mean() < 250 and result.max() > result.min()
        assert app.evaluate("app.shown.direction") == "AtoB"
    print(f"\nsketch app: stroke end to result shown, {len(latencies)} strokes: median "
          f"{statistics.median(latencies):.3f} s, max {max(latencies):.3f} s")
    assert statistics.median(latencies) < LATENCY_BOUND
    app.screenshot(path=tmp_path / "app.png")
    if os.environ.get("DISCOGAN_APP_SCREENSHOT"):
        app.screenshot(path=os.environ["DISCOGAN_APP_SCREENSHOT"])
    print(f"screenshot: {tmp_path / 'app.png'}")
    answer_to(app, lambda: app.click("#thicken"))
    assert app.evaluate("app.shown.thicken") is True
    check_shown(app, translators)
    with app.expect_download() as download:
        app.click("#download")
    assert download.value.suggested_filename == app.evaluate("app.state.settings.domains.B") + ".png"
    np.testing.assert_array_equal(np.asarray(Image.open(download.value.path()).convert("RGB")),
                                  data_url_pixels(app.get_attribute("#result", "src")))
    assert app.evaluate("getComputedStyle(document.getElementById('result')).imageRendering") == "auto"
    assert app.locator("#result").bounding_box()["width"] == 384  # scaled up smoothly
    app.click("#original")
    assert app.locator("#result").bounding_box()["width"] == 64 + 2  # the network's pixels, inside the border
    assert app.get_attribute("#original", "aria-pressed") == "true"
    app.click("#original")
    assert app.locator("#result").bounding_box()["width"] == 384


def page_state(page):
    return {"result": page.is_visible("#result"), "placeholder": page.is_visible("#result-placeholder")}


def sketch_file(path):
    """A designer's scan: grayscale, 500x400, a bag outline."""
    image = Image.new("L", (500, 400), 255)
    pen = ImageDraw.Draw(image)
    pen.rectangle((100, 150, 400, 360), outline=0, width=8)
    pen.arc((170, 40, 330, 260), 180, 360, fill=0, width=8)
    image.save(path)
    return path


def test_an_upload_translates_both_ways_and_bad_files_get_a_message(app, translators, tmp_path):
    answer_to(app, lambda: app.set_input_files("#upload", sketch_file(tmp_path / "scan.png")))
    assert app.is_visible("#upload-view") and not app.is_visible("#canvas")
    sketch_to_bag = check_shown(app, translators)
    answer_to(app, lambda: app.click("#label-BtoA"))
    assert app.evaluate("app.shown.direction") == "BtoA"
    assert not np.array_equal(check_shown(app, translators), sketch_to_bag)
    assert not app.is_visible("#back-to-drawing")  # bags are photos: nothing to draw in this direction
    app.click("#label-AtoB")
    app.click("#back-to-drawing")
    dropped = app.evaluate_handle("""(bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], "dropped.png", {type: "image/png"}));
        return transfer;
    }""", list((tmp_path / "scan.png").read_bytes()))
    answer_to(app, lambda: app.dispatch_event("#input-panel", "drop", {"dataTransfer": dropped}))
    expect(app.locator("#upload-note")).to_have_text("Uploaded: dropped.png")
    check_shown(app, translators)

    (tmp_path / "notes.txt").write_text("not a picture\n")
    huge = Image.new("1", (6000, 5000))  # 30 megapixels in a 4 KB file
    huge.save(tmp_path / "huge.png")
    (tmp_path / "heavy.png").write_bytes(b"\0" * 8_000_001)
    for upload, message in [("notes.txt", "This file is not an image that can be read (PNG, JPEG, WebP, BMP, GIF, TIFF)."),
                            ("huge.png", "The image is 6000x5000 pixels (30.0 megapixels); the limit is 25 megapixels."),
                            ("heavy.png", "The file is 8.0 MB; the limit is 8 MB.")]:
        app.set_input_files("#upload", tmp_path / upload)
        expect(app.locator("#message")).to_have_text(message)
        assert page_state(app) == {"result": False, "placeholder": True}
    app.click("#back-to-drawing")
    expect(app.locator("#message")).to_be_hidden()
    assert app.is_visible("#canvas")


def test_examples_undo_eraser_and_clear(app, translators, served):
    answer_to(app, lambda: app.click("#examples-B button >> nth=0"))
    assert app.is_checked("input[name=direction][value=BtoA]")
    check_shown(app, translators)
    assert app.evaluate("app.sentDataURL()").startswith("data:image/png;base64,")
    assert not app.is_visible("#canvas") and not app.is_visible("#drawing-tools")

    app.click("#label-AtoB")
    app.click("#back-to-drawing")
    draw(app, BAG_STROKES[0])
    body_only = check_shown(app, translators)
    draw(app, BAG_STROKES[1])
    answer_to(app, lambda: app.click("#undo"))
    np.testing.assert_array_equal(check_shown(app, translators), body_only)
    draw(app, [(0.1, 0.88), (0.9, 0.88)], tool="eraser")
    check_shown(app, translators)
    app.click("#clear")
    assert page_state(app) == {"result": False, "placeholder": True}
    answer_to(app, lambda: app.keyboard.press("Control+z"))
    check_shown(app, translators)
    answer_to(app, lambda: app.click("#label-BtoA"))  # a drawing is not a bag photo: an upload zone, no result
    assert app.is_visible("#drop-zone") and not app.is_visible("#canvas")
    assert page_state(app) == {"result": False, "placeholder": True}
    answer_to(app, lambda: app.click("#label-AtoB"))
    check_shown(app, translators)


def assert_upload_only(page):
    """The input is a photo to upload, drop or pick: an upload zone and no drawing pad or its tools."""
    assert page.is_visible("#drop-zone") and page.is_visible("label:has(#upload)")
    for drawing_only in ("#canvas", "#drawing-tools", "#undo", "#clear", "#thicken-option", "#back-to-drawing"):
        assert not page.is_visible(drawing_only), drawing_only


def test_a_photo_run_opens_as_handbag_to_shoe_with_upload_and_examples(page, served_photos, tmp_path):
    with loaded(page, served_photos[0]) as app, both_translators(served_photos[1]) as translators:
        expect(app.locator("#label-AtoB")).to_have_text("handbag \u2192 shoe")
        expect(app.locator("#label-BtoA")).to_have_text("shoe \u2192 handbag")
        expect(app.locator("#input-title")).to_have_text("Input: handbag")
        assert_upload_only(app)
        app.click("#label-BtoA")
        assert_upload_only(app)
        assert page_state(app) == {"result": False, "placeholder": True}
        expect(app.locator("#result-placeholder")).to_have_text("Upload or drop a picture, or pick an example below.")

        save_image(tmp_path / "my_shoe.jpg", np.asarray(Image.fromarray(object_photo("shoe", 99)).resize((300, 200))))
        answer_to(app, lambda: app.set_input_files("#upload", tmp_path / "my_shoe.jpg"))
        assert app.is_visible("#upload-view") and not app.is_visible("#drop-zone")
        assert app.evaluate("app.shown.direction") == "BtoA"
        check_shown(app, translators)
        answer_to(app, lambda: app.click("#examples-A button >> nth=2"))
        assert app.evaluate("app.shown.direction") == "AtoB"
        expect(app.locator("#upload-note")).to_have_text("Example 3 of the dataset's handbag images")
        check_shown(app, translators)
        assert not app.is_visible("#canvas") and not app.is_visible("#back-to-drawing")
