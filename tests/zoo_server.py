"""A local HTTP server that misbehaves on request, for the checkpoint fetcher's tests.

Paths (the last part is any file name): ``/good/`` serves ``DATA`` with Range support,
``/wrong/`` other bytes, ``/trunc/`` closes after ``CUT`` bytes unless asked for a range,
``/norange/`` ignores Range, ``/huge/`` announces a terabyte, ``/endless/`` streams without a
length, ``/slow/`` waits before answering; anything else is a 404. Every request's path and
Range header are logged in ``server.log``.
"""
from __future__ import annotations

import hashlib
import http.server
import threading
import time

import pytest

DATA = bytes(range(256)) * 400  # 100 KiB
WRONG = DATA[::-1]
CUT = 30_000
SHA = hashlib.sha256(DATA).hexdigest()
NAME = f'tiny-net_in1k_20990101-{SHA[:8]}.pth'


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, body: bytes, honour_range: bool = True, length: int | None = None) -> None:
        start = 0
        asked = self.headers.get('Range')
        if asked and honour_range:
            start = int(asked.split('=')[1].split('-')[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            self.send_response(206)
            self.send_header('Content-Range', f'bytes {start}-{len(body) - 1}/{len(body)}')
        else:
            self.send_response(200)
        self.send_header('Content-Length', str(length or len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.log.append((self.path, self.headers.get('Range')))
        kind = self.path.strip('/').split('/')[0]
        try:
            if kind == 'good':
                self._send(DATA)
            elif kind == 'wrong':
                self._send(WRONG)
            elif kind == 'norange':
                self._send(DATA, honour_range=False)
            elif kind == 'trunc' and not self.headers.get('Range'):
                self.send_response(200)
                self.send_header('Content-Length', str(len(DATA)))
                self.end_headers()
                self.wfile.write(DATA[:CUT])
                self.close_connection = True
            elif kind == 'trunc':
                self._send(DATA)
            elif kind == 'huge':
                self._send(DATA, length=10**12)
                self.close_connection = True
            elif kind == 'endless':
                self.send_response(200)
                self.send_header('Connection', 'close')
                self.end_headers()
                for _ in range(50):
                    self.wfile.write(DATA)
                self.close_connection = True
            elif kind == 'slow':
                time.sleep(1.5)
                self._send(DATA)
            else:
                self.send_error(404, 'Not Found')
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a client that gave up: fine
        pass


@pytest.fixture
def zoo_server():
    """The server's base URL (``http://127.0.0.1:PORT``); ``zoo_server.log`` lists requests."""
    server = _Server(('127.0.0.1', 0), _Handler)
    server.log = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    class Base(str):
        log = server.log

    yield Base(f'http://127.0.0.1:{server.server_address[1]}')
    server.shutdown()
    server.server_close()
