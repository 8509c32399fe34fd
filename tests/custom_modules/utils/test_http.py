"""custom_modules.utils.http: the failures the downloaders retry and those they do not."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from custom_modules.utils.http import Permanent, Transient, open_url


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        routes = {'/ok': (200, {}), '/gone': (404, {}), '/busy': (503, {}),
                  '/ftp': (302, {'Location': 'ftp://example.invalid/x'})}
        code, headers = routes[self.path]
        self.send_response(code)
        for key, value in {**headers, 'Content-Length': '2'}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(b'ok')

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def base_url():
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


def test_failures_are_sorted_by_whether_a_retry_may_help(base_url):
    with open_url(f'{base_url}/ok', {}, timeout=5) as response:
        assert response.read() == b'ok'
    with pytest.raises(Permanent, match='HTTP 404') as err:
        open_url(f'{base_url}/gone', {}, timeout=5)
    assert err.value.code == 404
    with pytest.raises(Transient, match='HTTP 503'):
        open_url(f'{base_url}/busy', {}, timeout=5)
    with pytest.raises(Permanent, match='non-http URL ftp://'):
        open_url(f'{base_url}/ftp', {}, timeout=5)
    with pytest.raises(Transient, match='connection failed'):
        open_url('http://127.0.0.1:9/nothing-listens-here', {}, timeout=5)
