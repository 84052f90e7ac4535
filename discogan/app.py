"""Sketch in the browser: a local web page that translates a drawing while you draw it.

    python -m discogan.app                                         # the newest run under checkpoint/
    python -m discogan.app --checkpoint_dir checkpoint/edges2handbags --port 8000

The page (app_page.html, one static file) posts the canvas or an uploaded file as an image file to
/api/translate and shows the translation beside the 64x64 input the network saw. The standard library's threaded
HTTP server answers, so the core install serves the app without a web framework. It listens on 127.0.0.1 unless
--host says otherwise and has no authentication (docs/use.md: running it on a server, calling it from a script).
"""
import base64
import json
import mimetypes
import socket
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from discogan.app_model import (MAX_PIXELS, MAX_UPLOAD_BYTES, SketchModel, UploadError, check_upload_size,
                                newest_run)
from discogan.cli import UserError, run
from discogan.config import TrainConfig
from discogan.inference import SKETCH_SCALE

PAGE = Path(__file__).with_name("app_page.html")
PEN_WIDTH = 1.25  # the page's starting pen, in model pixels: the demo's sketch lines are 1 to 1.6 pixels wide
TRUE_WORDS = ("1", "true", "yes", "on")
DISCARD_LIMIT = 8 * MAX_UPLOAD_BYTES  # a refused upload up to this size is read, so its client gets the message


class NoModel(OSError):
    """No trained model to serve: what the machine lacks, not a mistake in the command (exit status 1)."""


class AppServer(ThreadingHTTPServer):
    """The HTTP server with the model and the page's settings; one thread per request, the model serialises them."""
    daemon_threads = True

    def __init__(self, host, port):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), AppHandler)
        except OSError as error:
            raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error} (--port and --host choose "
                          f"another address)") from error
        self.model, self.settings = None, {}

    def serve(self, model, thicken_sketch=False):
        """Answer requests with `model` until interrupted."""
        self.model = model
        self.settings = {
            "run": str(model.source), "domains": dict(zip("AB", model.domains)), "image_size": model.image_size,
            "canvas_size": SKETCH_SCALE * model.image_size, "pen_width": round(PEN_WIDTH * SKETCH_SCALE),
            "thicken_sketch": thicken_sketch, "examples": {domain: len(files) for domain, files in model.examples.items()},
            "max_upload_bytes": MAX_UPLOAD_BYTES, "max_pixels": MAX_PIXELS}
        self.serve_forever()

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def handle_error(self, request, client_address):
        """One line instead of a traceback; a browser that closed its connection early is not an error."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            print(f"app: request from {client_address[0]} failed: {error!r}", file=sys.stderr)


class AppHandler(BaseHTTPRequestHandler):
    """GET / (the page), /api/settings, /examples/<A|B>/<n>; POST /api/translate?direction=AtoB&thicken_sketch=1
    with an image file as the body, answered with JSON (or the translation's PNG for `Accept: image/png`)."""
    server_version = "discogan-app"

    def do_GET(self):
        path = urlsplit(self.path).path
        parts = path.strip("/").split("/")
        if path == "/":
            self.reply(HTTPStatus.OK, PAGE.read_bytes(), "text/html; charset=utf-8")
        elif path == "/api/settings":
            self.reply_json(HTTPStatus.OK, self.server.settings)
        elif len(parts) == 3 and parts[0] == "examples" and parts[2].isdigit() \
                and int(parts[2]) < len(self.server.model.examples.get(parts[1], [])):
            example = self.server.model.examples[parts[1]][int(parts[2])]
            self.reply(HTTPStatus.OK, example.read_bytes(),
                       mimetypes.guess_type(example.name)[0] or "application/octet-stream")
        else:
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"no page {path}"})

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path != "/api/translate":
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"no endpoint {url.path}"})
            return
        query = parse_qs(url.query)
        length = self.headers.get("Content-Length", "")
        try:
            if not length.isdigit():
                raise UploadError("Send the image file as the request body, with its Content-Length.")
            check_upload_size(int(length))
        except UploadError as error:
            if length.isdigit() and int(length) <= DISCARD_LIMIT:
                self.discard_body(int(length))
            self.close_connection = True
            self.reply_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE if length.isdigit() else HTTPStatus.LENGTH_REQUIRED,
                            {"error": str(error)})
            return
        try:
            translation, model_input = self.server.model.translate(
                self.rfile.read(int(length)), query.get("direction", ["AtoB"])[0],
                query.get("thicken_sketch", [""])[0].lower() in TRUE_WORDS)
        except ValueError as error:  # UploadError, or a direction that is not AtoB or BtoA
            self.reply_json(HTTPStatus.BAD_REQUEST, {"error": str(error)})
            return
        if self.headers.get("Accept") == "image/png":
            self.reply(HTTPStatus.OK, translation, "image/png")
        else:
            self.reply_json(HTTPStatus.OK, {"translation": base64.b64encode(translation).decode(),
                                            "model_input": base64.b64encode(model_input).decode()})

    def discard_body(self, length):
        """Read a refused upload and drop it: a client still sending when the answer comes gets a broken pipe instead."""
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)

    def reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status, value):
        self.reply(status, json.dumps(value).encode(), "application/json")

    def log_message(self, format, *args):
        """Quiet: no line per request (errors are reported by AppServer.handle_error)."""


def main(checkpoint_dir=None, saved_model=None, host="127.0.0.1", port=7860, thicken_sketch=False):
    """Serve the sketch app until Ctrl-C.

    Args:
      checkpoint_dir: a run's checkpoint folder, a checkpoint prefix or a SavedModel folder; without it (and without
        --saved_model) the newest run under checkpoint/.
      saved_model: a SavedModel folder written by discogan.export (instead of --checkpoint_dir).
      host: the address to listen on: 127.0.0.1 serves this machine only; 0.0.0.0 every network, with no
        authentication (docs/use.md).
      port: the port to listen on (0: any free one).
      thicken_sketch: start with "thicken sketch" ticked, for a model trained on sketches split with --thicken_sketch.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise UserError(f"--port must be a whole number from 0 to 65535, got {port!r}")
    if checkpoint_dir is None and saved_model is None:
        checkpoint_dir = newest_run()
        if checkpoint_dir is None:
            raise NoModel(f"no trained model in {TrainConfig.checkpoint_dir}/: train the demo with `python -m "
                          f"discogan.train process_main --demo` (about 4 minutes), or pass --checkpoint_dir")
        print(f"using the newest run, {checkpoint_dir} (--checkpoint_dir chooses another)", flush=True)
    server = AppServer(host, port)
    try:
        with SketchModel(checkpoint_dir, saved_model) as model:
            print(f"sketch app on {model.source} ({' <-> '.join(model.domains)}): open {server.url}  (Ctrl-C stops it)",
                  flush=True)
            if server.server_address[0] not in ("127.0.0.1", "::1", "localhost"):
                print(f"listening on {host}: anyone who can reach this machine can use the app, which has no "
                      f"authentication (docs/use.md)", flush=True)
            server.serve(model, thicken_sketch)
    finally:
        server.server_close()


if __name__ == "__main__":
    run(main, interrupted="stopped")
