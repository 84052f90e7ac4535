"""The web app under load: N users at once drawing and uploading against `python -m discogan.app`, one JSON line.

    python benchmarks/bench_app_load.py                          # trains a tiny model first (under a minute)
    python benchmarks/bench_app_load.py --checkpoint_dir checkpoint/demo_bags --clients 50 --seconds 30

Each client behaves as a user of the page: a drawer posts a new 256x256 canvas PNG as soon as its last answer
lands, at most one in flight and no faster than the page's 150 ms throttle; an uploader posts a larger photo (a
1600x1200 JPEG) and looks at the result for a second. All start at once. The server runs in its own process, so its
peak memory (VmHWM) is the app's alone. A request is answered (200), refused (any other status), reset (the
connection reset or refused) or failed (no answer within --timeout).
"""
import http.client
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import fire
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from discogan.data.demo_data import make_demo_dataset  # noqa: E402

THROTTLE_SECONDS = 0.15  # the page's THROTTLE_MS: a drawer sends at most this often
LOOK_SECONDS = 1.0  # an uploader looks at its result this long before the next upload
TINY_TRAINING = ["--epochs", "2", "--batch_size", "2", "--gf", "8", "--df", "8"]


def processor_name():
    """lscpu's model name, the figure's context."""
    try:
        listing = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    named = re.search(r"^Model name:\s*(.+)$", listing, re.MULTILINE)
    return named.group(1).strip() if named else "unknown"


def train_tiny_model(work):
    """A model of 8 pairs and 2 epochs trained by the command line; returns its checkpoint folder."""
    dataset = make_demo_dataset(work / "data" / "bags", train_pairs=8, val_pairs=4)
    folders = {name: work / name for name in ("checkpoint_dir", "sample_dir", "log_dir")}
    subprocess.run([sys.executable, "-m", "discogan.train", "process_main", "--dataset_dir", str(dataset),
                    *TINY_TRAINING, *[f"--{name}={folder}" for name, folder in folders.items()]],
                   check=True, stdout=subprocess.DEVNULL)
    return folders["checkpoint_dir"] / dataset.name


def png(image):
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    return stream.getvalue()


def drawings(count, size=256, seed=0):
    """`count` canvas PNGs of a few black strokes on white, RGBA as the page's canvas sends them."""
    rng = np.random.default_rng(seed)
    files = []
    for _ in range(count):
        image = Image.new("RGBA", (size, size), "white")
        pen = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(2, 6))):
            pen.line([tuple(int(v) for v in rng.integers(20, size - 20, 2)) for _ in range(4)], fill="black", width=5)
        files.append(png(image))
    return files


def photo(width=1600, height=1200, seed=0):
    """A camera-sized JPEG: a shaded coloured object on a light background, with sensor noise."""
    rng = np.random.default_rng(seed)
    shade = np.linspace(0.6, 1.0, height)[:, None, None] * np.array([200, 90, 120])
    pixels = np.full((height, width, 3), 235.0)
    pixels[height // 4:, width // 4:3 * width // 4] = shade[height // 4:]
    pixels += rng.normal(0, 6, pixels.shape)
    stream = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(stream, format="JPEG", quality=90)
    return stream.getvalue()


class AppProcess:
    """`python -m discogan.app --port 0` in its own process; `address` once it listens, `memory_mb` from /proc."""

    def __init__(self, checkpoint_dir, log):
        self.log = log
        with open(log, "w") as output:
            self.process = subprocess.Popen([sys.executable, "-m", "discogan.app", "--checkpoint_dir",
                                             str(checkpoint_dir), "--port", "0"], stdout=output, stderr=output)
        deadline = time.monotonic() + 300
        while not (listening := re.search(r"open http://([^/]+):(\d+)/", log.read_text())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the app did not start:\n{log.read_text()}")
            time.sleep(0.2)
        self.address = listening.group(1), int(listening.group(2))

    def memory_mb(self, field):
        """VmRSS (now) or VmHWM (the peak so far) of the server process, in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return round(int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def post(address, body, timeout):
    """(outcome, seconds) of one POST /api/translate: "answered", "refused", "reset" or "failed"."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        connection.request("POST", "/api/translate?direction=AtoB", body, {"Accept": "image/png"})
        response = connection.getresponse()
        response.read()
        outcome = "answered" if response.status == 200 else "refused"
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError, http.client.RemoteDisconnected):
        outcome = "reset"
    except OSError:  # a timeout
        outcome = "failed"
    finally:
        connection.close()
    return outcome, time.perf_counter() - started


def client(address, bodies, pause, until, start, timeout, results):
    """One user: post `bodies` in turn until `until`, `pause` seconds apart at the least; appends (body kind,
    outcome, seconds)."""
    start.wait()
    index = 0
    while time.monotonic() < until:
        kind, body = bodies[index % len(bodies)]
        sent = time.monotonic()
        results.append((kind, *post(address, body, timeout)))
        index += 1
        time.sleep(max(0.0, sent + pause - time.monotonic()))


def milliseconds(seconds):
    """p50 and p95 of a list of seconds, in ms."""
    if not seconds:
        return {"p50": None, "p95": None}
    return {f"p{q}": round(1000 * float(np.percentile(seconds, q)), 1) for q in (50, 95)}


def bench(checkpoint_dir=None, clients=50, uploaders=10, seconds=30, timeout=60):
    """Print the load run's JSON: answered/refused/reset/failed counts, latency p50/p95 (all, drawing, upload)
    and the server's memory at the start and at its peak.

    Args:
      checkpoint_dir: the run to serve; without it a tiny model is trained first in a temporary folder.
      clients: users at once; `uploaders` of them upload photos, the others draw.
      seconds: how long the clients keep sending (requests in flight then are still counted).
      timeout: seconds a client waits for an answer before it counts the request as failed.
    """
    with tempfile.TemporaryDirectory(prefix="bench_app_load.") as work:
        work = Path(work)
        model = str(checkpoint_dir) if checkpoint_dir else "tiny, trained here (gf 8, 2 epochs)"
        server = AppProcess(checkpoint_dir or train_tiny_model(work), work / "app.log")
        try:
            start_rss = server.memory_mb("VmRSS")
            sketches = [("drawing", body) for body in drawings(20)]
            upload = [("upload", photo())]
            start, results = threading.Event(), []
            until = time.monotonic() + seconds
            threads = [threading.Thread(target=client, args=(
                server.address, upload if index < uploaders else sketches,
                LOOK_SECONDS if index < uploaders else THROTTLE_SECONDS, until, start, timeout, results))
                for index in range(clients)]
            for thread in threads:
                thread.start()
            began = time.monotonic()
            start.set()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
            peak_rss = server.memory_mb("VmHWM")
        finally:
            server.stop()
    outcomes = [outcome for _, outcome, _ in results]
    answered = {kind: [took for k, outcome, took in results if k == kind and outcome == "answered"]
                for kind in ("drawing", "upload")}
    print(json.dumps({
        "benchmark": "app_load", "clients": clients, "uploaders": uploaders, "seconds": round(elapsed, 1),
        "requests": len(results), **{outcome: outcomes.count(outcome) for outcome in
                                     ("answered", "refused", "reset", "failed")},
        "answered_per_s": round(outcomes.count("answered") / elapsed, 1),
        "latency_ms": milliseconds(answered["drawing"] + answered["upload"]),
        "drawing_latency_ms": milliseconds(answered["drawing"]), "upload_latency_ms": milliseconds(answered["upload"]),
        "upload_bytes": len(upload[0][1]), "server_rss_mb": {"start": start_rss, "peak": peak_rss},
        "model": model, "processor": processor_name(), "cpus": os.cpu_count()}), flush=True)


if __name__ == "__main__":
    fire.Fire(bench, serialize=lambda _: None)
