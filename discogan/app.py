"""Translate in the browser: a local web page that translates a drawing while you draw it, or an uploaded photo.

    python -m discogan.app                                         # the newest run under checkpoint/
    python -m discogan.app --checkpoint_dir checkpoint/edges2handbags --port 8000

The page (app_page.html, one static file) posts the canvas or an uploaded file as an image file to
/api/translate and shows the translation beside the 64x64 input the network saw; a domain of photos gets an upload
zone instead of the drawing pad. The standard library's threaded HTTP server answers, so the core install serves
the app without a web framework. It listens on 127.0.0.1 unless --host says otherwise, answers only requests
addressed to that name, and has no authentication (docs/use.md: running it on a server, calling it from a script).
"""
import base64
import email.policy
import io
import ipaddress
import json
import mimetypes
import re
import socket
import sys
import time
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from discogan.inference.app_model import (MAX_PIXELS, MAX_UPLOAD_BYTES, AppModel, UploadError, check_upload_size,
                                          newest_run)
from discogan.inference.translator import SKETCH_SCALE
from discogan.options.config import TrainConfig
from discogan.util.cli import UserError, run

PAGE = Path(__file__).with_name("app_page.html")
PEN_WIDTH = 1.25  # the page's starting pen, in model pixels: the demo's sketch lines are 1 to 1.6 pixels wide
TRUE_WORDS = ("1", "true", "yes", "on")
DISCARD_LIMIT = 8 * MAX_UPLOAD_BYTES  # a refused upload up to this size is read, so its client gets the message
LISTEN_BACKLOG = 128  # connections the system holds until they are accepted: many users at once queue, not reset
IDLE_SECONDS = 20  # a client silent this long mid-request is dropped
REQUEST_SECONDS = 120  # and every request must have arrived by then: 8 MB at 0.5 Mbit/s, not a byte at a time forever
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")
HOST_HEADER = re.compile(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::[0-9]+)?")
PRINTABLE_ASCII = re.compile(r"[!-~]+")
ALLOWED_METHODS = "GET, POST"
SINGLE_HEADERS = ("Host", "Content-Length")  # two of either could be read one way here, another by a proxy


class NoModel(OSError):
    """No trained model to serve: what the machine lacks, not a mistake in the command (exit status 1)."""


class RefusedRequest(Exception):
    """A request the app answers with `status` and a message for the page or the script."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class RequestReader(io.RawIOBase):
    """The bytes of one request from its socket, each wait at most `idle_seconds` and all of them within
    `request_seconds`: a client that stalls or trickles cannot hold a thread for longer (TimeoutError)."""

    def __init__(self, connection, idle_seconds, request_seconds):
        super().__init__()
        self.connection, self.idle_seconds = connection, idle_seconds
        self.deadline = time.monotonic() + request_seconds

    def readable(self):
        return True

    def readinto(self, buffer):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request took too long to arrive")
        self.connection.settimeout(min(self.idle_seconds, remaining))
        return self.connection.recv_into(buffer)


def served_names(host):
    """The Host header names a browser sends for this server: the loopback names and --host. Any other name may be
    a page of another site that a DNS record points at this machine (DNS rebinding); it is refused."""
    literal = f"[{host}]" if ":" in host else host
    names = {*LOOPBACK_NAMES, literal.lower()}
    if host in WILDCARD_HOSTS:  # every interface: the machine's own name too (an address is checked as one)
        names.add(socket.gethostname().lower())
    return names


class AppServer(ThreadingHTTPServer):
    """The HTTP server with the model and the page's settings; one thread per request, the model serialises them."""
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, host, port, idle_seconds=IDLE_SECONDS, request_seconds=REQUEST_SECONDS):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), AppHandler)
        except OSError as error:
            raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error} (--port and --host choose "
                          f"another address)") from error
        self.idle_seconds, self.request_seconds = idle_seconds, request_seconds
        self.names, self.any_address = served_names(host), host in WILDCARD_HOSTS
        self.model, self.settings = None, {}

    def serve(self, model, thicken_sketch=None):
        """Answer requests with `model` until interrupted; the page starts with "thicken sketch" ticked as
        `thicken_sketch` says, by default as the run's dataset was prepared."""
        self.model = model
        self.settings = {
            "run": str(model.source), "domains": dict(zip("AB", model.domains)), "drawable": model.drawable,
            "image_size": model.image_size, "canvas_size": SKETCH_SCALE * model.image_size,
            "pen_width": round(PEN_WIDTH * SKETCH_SCALE),
            "thicken_sketch": model.thickened if thicken_sketch is None else thicken_sketch,
            "examples": {domain: len(files) for domain, files in model.examples.items()},
            "max_upload_bytes": MAX_UPLOAD_BYTES, "max_pixels": MAX_PIXELS}
        self.serve_forever()

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def serves_host(self, header):
        """Whether a Host header names this server: one of its names (or, listening on every interface, any
        address), with any port or none, as an SSH tunnel's local port or a proxy's. Scripts that send no Host are
        answered."""
        if header is None:
            return True
        named = HOST_HEADER.fullmatch(header.strip())
        if not named:
            return False
        name = named.group(1).lower()
        return name in self.names or (self.any_address and is_address(name.strip("[]")))

    def handle_error(self, request, client_address):
        """One line instead of a traceback; a browser that closed its connection early is not an error."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            print(f"app: request from {client_address[0]} failed: {error!r}", file=sys.stderr)


def is_address(name):
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class AppHandler(BaseHTTPRequestHandler):
    """GET / (the page), /api/settings, /examples/<A|B>/<n>; POST /api/translate?direction=AtoB&thicken_sketch=1
    with an image file as the body (or a form's file field), answered with JSON (or the translation's PNG for
    `Accept: image/png`); other methods get 405."""
    server_version = "discogan-app"

    def setup(self):
        super().setup()
        self.rfile.close()  # the socket stays open: reads go through a RequestReader instead
        self.rfile = io.BufferedReader(RequestReader(self.connection, self.server.idle_seconds,
                                                     self.server.request_seconds))

    def parse_request(self):
        """http.server's parsing, then what it lets through: a path that is not ASCII, a Host that is not this
        server's."""
        if not super().parse_request():
            return False
        try:
            repeated = [name for name in SINGLE_HEADERS if len(self.headers.get_all(name, [])) > 1]
            if repeated:
                raise RefusedRequest(HTTPStatus.BAD_REQUEST, f"The request has more than one {repeated[0]} header.")
            if not PRINTABLE_ASCII.fullmatch(self.path):
                raise RefusedRequest(HTTPStatus.BAD_REQUEST, "The path must be printable ASCII (percent-encode "
                                                             "other characters).")
            if not self.server.serves_host(self.headers.get("Host")):
                raise RefusedRequest(HTTPStatus.FORBIDDEN, f"This app answers at {self.server.url}, not at host "
                                     f"{self.headers['Host']!r}; to serve it under that name, start it with --host "
                                     f"set to it.")
        except RefusedRequest as refused:
            self.close_connection = True
            self.reply_json(refused.status, {"error": str(refused)})
            return False
        return True

    def do_GET(self):
        path = self.path.partition("?")[0]
        example = self.example_file(path.strip("/").split("/"))
        if path == "/":
            self.reply(HTTPStatus.OK, PAGE.read_bytes(), "text/html; charset=utf-8")
        elif path == "/api/settings":
            self.reply_json(HTTPStatus.OK, self.server.settings)
        elif example:
            self.reply(HTTPStatus.OK, example.read_bytes(),
                       mimetypes.guess_type(example.name)[0] or "application/octet-stream")
        else:
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"no page {path}"})

    def refuse_method(self):
        """405 naming the methods the app answers, where http.server would send a 501 page of HTML; the connection
        closes, since a body sent with the request is not read."""
        self.close_connection = True
        self.reply_json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": f"The app answers {ALLOWED_METHODS} only."},
                        {"Allow": ALLOWED_METHODS})

    do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = refuse_method

    def example_file(self, parts):
        """The example that path parts examples/<A|B>/<n> name, or None."""
        if len(parts) != 3 or parts[0] != "examples":
            return None
        files = self.server.model.examples.get(parts[1], [])
        indices = [str(index) for index in range(len(files))]
        return files[indices.index(parts[2])] if parts[2] in indices else None

    def do_POST(self):
        path, _, query = self.path.partition("?")
        if path != "/api/translate":
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"no endpoint {path}"})
            return
        query = parse_qs(query)
        try:
            upload = form_file(self.read_upload(), self.headers.get("Content-Type", ""))
            translation, model_input = self.server.model.translate(
                upload, query.get("direction", ["AtoB"])[0],
                query.get("thicken_sketch", [""])[0].lower() in TRUE_WORDS)
        except RefusedRequest as refused:
            self.close_connection = True
            self.reply_json(refused.status, {"error": str(refused)})
            return
        except ValueError as error:  # UploadError, or a direction that is not AtoB or BtoA
            self.reply_json(HTTPStatus.BAD_REQUEST, {"error": str(error)})
            return
        if self.headers.get("Accept") == "image/png":
            self.reply(HTTPStatus.OK, translation, "image/png")
        else:
            self.reply_json(HTTPStatus.OK, {"translation": base64.b64encode(translation).decode(),
                                            "model_input": base64.b64encode(model_input).decode()})

    def read_upload(self):
        """The request's body; RefusedRequest when its Content-Length is missing, malformed or over the limit, or
        when it does not arrive in time."""
        length = self.headers.get("Content-Length")
        if length is None:
            raise RefusedRequest(HTTPStatus.LENGTH_REQUIRED,
                                 "Send the image file as the request body, with its Content-Length.")
        if not re.fullmatch(r"[0-9]+", length.strip()):
            raise RefusedRequest(HTTPStatus.BAD_REQUEST, "Content-Length must be the body's size in bytes, a whole "
                                                         "number.")
        size = int(length) if len(length.strip()) <= 15 else 10 ** 15  # a longer number is as refused, unread
        try:
            check_upload_size(size)
        except UploadError as error:
            if size <= DISCARD_LIMIT:
                self.discard_body(size)
            raise RefusedRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, str(error)) from None
        try:
            return self.rfile.read(size)
        except TimeoutError:
            raise RefusedRequest(HTTPStatus.REQUEST_TIMEOUT, f"The upload stalled: the app waits up to "
                                 f"{self.server.idle_seconds:g} s for the next bytes and "
                                 f"{self.server.request_seconds:g} s for a whole request.") from None

    def discard_body(self, length):
        """Read a refused upload and drop it: a client still sending when the answer comes gets a broken pipe instead."""
        try:
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 20))
                if not chunk:
                    break
                length -= len(chunk)
        except TimeoutError:
            pass  # the answer goes out anyway

    def reply(self, status, body, content_type, headers=None):
        self.connection.settimeout(self.server.idle_seconds)  # the request's deadline is for reading it, not this
        self.send_response(status)
        for name, value in {"Content-Type": content_type, "Content-Length": str(len(body)),
                            "Cache-Control": "no-store", **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":  # an answer to HEAD has headers only
            self.wfile.write(body)

    def reply_json(self, status, value, headers=None):
        self.reply(status, json.dumps(value).encode(), "application/json", headers)

    def log_message(self, format, *args):
        """Quiet: no line per request (errors are reported by AppServer.handle_error)."""


def form_file(body, content_type):
    """The file of a multipart/form-data upload (`curl -F file=@bag.jpg`, an HTML form), else `body` itself, which
    is then the image file."""
    if not content_type.lower().startswith("multipart/form-data"):
        return body
    form = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    for part in form.iter_parts() if form.is_multipart() else ():
        if part.get_filename():
            return part.get_payload(decode=True)
    raise UploadError("The form holds no file: send the image as a file field (curl -F file=@bag.jpg) or as the "
                      "request body itself.")


def main(checkpoint_dir=None, saved_model=None, host="127.0.0.1", port=7860, thicken_sketch=None):
    """Serve the app until Ctrl-C.

    Args:
      checkpoint_dir: a run's checkpoint folder, a checkpoint prefix or a SavedModel folder; without it (and without
        --saved_model) the newest run under checkpoint/.
      saved_model: a SavedModel folder written by discogan.export (instead of --checkpoint_dir).
      host: the address to listen on: 127.0.0.1 serves this machine only; 0.0.0.0 every network, with no
        authentication (docs/use.md). Browsers must reach it by this name (or localhost): other Host names are
        refused, as a page of another site would send.
      port: the port to listen on (0: any free one).
      thicken_sketch: start with "thicken sketch" ticked (--nothicken_sketch: unticked); by default as the run's
        dataset.json records its sketches, thickened by image_split --thicken_sketch or not.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise UserError(f"--port must be a whole number from 0 to 65535, got {port!r}")
    if checkpoint_dir is None and saved_model is None:
        checkpoint_dir = newest_run()
        if checkpoint_dir is None:
            raise NoModel(f"no trained model in {TrainConfig.checkpoint_dir}/: train the demo with `python -m "
                          f"discogan.train process_main --demo`, or pass --checkpoint_dir")
        print(f"using the newest run, {checkpoint_dir} (--checkpoint_dir chooses another)", flush=True)
    server = AppServer(host, port)
    try:
        with AppModel(checkpoint_dir, saved_model) as model:
            print(f"app on {model.source} ({' <-> '.join(model.domains)}): open {server.url}  (Ctrl-C stops it)",
                  flush=True)
            if server.server_address[0] not in ("127.0.0.1", "::1", "localhost"):
                print(f"listening on {host}: anyone who can reach this machine can use the app, which has no "
                      f"authentication (docs/use.md)", flush=True)
            server.serve(model, thicken_sketch)
    finally:
        server.server_close()


if __name__ == "__main__":
    run(main, interrupted="stopped")
