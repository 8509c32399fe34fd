"""tools/data/download_images.py against a local HTTP server: good, broken, slow, oversize,
non-image, flaky and duplicate responses; resumption; safe names."""
from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from custom_modules.utils.atomic import file_mode
from custom_modules.utils.cli import run_cli
from tools.data.download_images import main, parse_size


def image_bytes(fmt: str, seed: int, size: int = 24) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format=fmt)
    return buf.getvalue()


GOOD_JPG, GOOD_PNG = image_bytes('JPEG', 0), image_bytes('PNG', 1)
BIG = image_bytes('PNG', 2, size=200)  # ~120 kB, over the test's 50 kB cap
LIMIT = 50_000


class Handler(BaseHTTPRequestHandler):
    hits: Counter = Counter()
    flaky_left = 2

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass

    def send(self, body: bytes, ctype: str, length: bool = True, code: int = 200) -> None:
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        if length:
            self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        path = self.path.split('?')[0]
        Handler.hits[path] += 1
        if path in ('/good.jpg', '/copy-of-good.jpg'):
            self.send(GOOD_JPG, 'image/jpeg')
        elif path == '/good.png':
            self.send(GOOD_PNG, 'image/png', length=False)  # no length: read to the end
        elif path == '/broken.jpg':
            self.send(GOOD_JPG[:len(GOOD_JPG) // 2], 'image/jpeg')  # truncated JPEG
        elif path == '/fake.jpg':
            self.send(b'<html>an error page</html>', 'image/jpeg')  # says image, is not
        elif path == '/page.html':
            self.send(b'<html>hello</html>', 'text/html')
        elif path == '/slow.jpg':
            time.sleep(1.5)
            self.send(GOOD_JPG, 'image/jpeg')
        elif path == '/big.png':
            self.send(BIG, 'image/png')  # honest length, over the cap
        elif path == '/big-streamed.png':
            self.send(BIG, 'image/png', length=False)  # no length: the cap stops the stream
        elif path == '/flaky.png':
            if Handler.flaky_left > 0:
                Handler.flaky_left -= 1
                self.send(b'busy', 'text/plain', code=503)
            else:
                self.send(image_bytes('PNG', 3), 'image/png')
        elif path in ('/to-file', '/to-ftp'):
            self.send_response(302)
            self.send_header('Location', 'file:///etc/passwd' if path == '/to-file'
                             else 'ftp://127.0.0.1/x.jpg')
            self.end_headers()
        else:
            self.send(b'not found', 'text/plain', code=404)


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # the downloader hangs up on slow and oversized replies: expected here


@pytest.fixture
def server():
    Handler.hits = Counter()
    Handler.flaky_left = 2
    httpd = QuietServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown()
    httpd.server_close()


def url_lists(tmp_path: Path, base: str) -> Path:
    urls = tmp_path / 'urls'
    urls.mkdir()
    (urls / 'cat.urls').write_text('\n'.join([
        '# comments and blank lines are skipped', '',
        f'{base}/good.jpg', f'{base}/good.png', f'{base}/copy-of-good.jpg',
        f'{base}/broken.jpg', f'{base}/fake.jpg', f'{base}/page.html', f'{base}/slow.jpg',
        f'{base}/big.png', f'{base}/big-streamed.png', f'{base}/flaky.png',
        f'{base}/missing.jpg', f'{base}/to-file', f'{base}/to-ftp',
        f'{base}/../../etc/passwd.jpg']) + '\n')
    (urls / 'dog.urls').write_text(f'{base}/good.jpg\n')
    return urls


def report(out: Path) -> dict[str, dict]:
    with open(out / 'download_report.csv', newline='') as f:
        return {row['url'].rsplit('/', 1)[-1]: row for row in csv.DictReader(f)}


def test_every_case(server, tmp_path, capsys):
    urls, out = url_lists(tmp_path, server), tmp_path / 'out'
    args = [str(urls), str(out), '--workers', '4', '--timeout', '0.5', '--retries', '2',
            '--backoff', '0.05', '--max-bytes', str(LIMIT), '--no-progress']
    assert main(args) == 1  # some URLs failed
    rows = report(out)
    assert rows['good.jpg']['status'] == 'ok' and rows['good.png']['status'] == 'ok'
    assert rows['copy-of-good.jpg']['status'] == 'duplicate'
    assert 'label conflict' in rows['good.jpg']['reason']  # also listed under dog
    assert rows['flaky.png']['status'] == 'ok' and rows['flaky.png']['attempts'] == '3'
    expect = {'broken.jpg': 'not a decodable image', 'fake.jpg': 'not a decodable image',
              'page.html': 'not an image: Content-Type text/html', 'slow.jpg': 'timed out',
              'big.png': 'too large: Content-Length', 'big-streamed.png': 'more than 50000 '
              'bytes streamed', 'missing.jpg': 'HTTP 404', 'to-ftp': 'non-http URL',
              'to-file': "Redirection to url 'file:///etc/passwd' is not allowed",
              'passwd.jpg': 'HTTP 404'}
    for name, reason in expect.items():
        assert rows[name]['status'] == 'failed', name
        assert reason in rows[name]['reason'], (name, rows[name]['reason'])
    assert rows['slow.jpg']['attempts'] == '3'  # a timeout is retried
    assert rows['missing.jpg']['attempts'] == '1' and Handler.hits['/missing.jpg'] == 1
    assert Handler.hits['/big.png'] == 1 and Handler.hits['/page.html'] == 1
    err = capsys.readouterr().err
    assert 'cat.urls:9: ' in err and 'slow.jpg' in err  # the failure report names file:line
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob('*') if p.is_file())
    kept = [f for f in files if not f.startswith('download_')]
    assert len(kept) == 4  # cat: good.jpg, good.png, flaky.png; dog: good.jpg
    for rel in kept:
        assert rel.split('/')[0] in ('cat', 'dog') and len(rel.split('/')) == 2
        Image.open(out / rel).load()  # every kept file is a whole image
        assert (out / rel).stat().st_mode & 0o777 == file_mode()  # the umask's, not private
    assert not list(out.rglob('.*'))  # no temporary left behind

    # resume: what is there is not fetched again; failures are tried again
    hits = Handler.hits.copy()
    assert main(args) == 1
    assert Handler.hits['/good.jpg'] == hits['/good.jpg']
    assert Handler.hits['/good.png'] == hits['/good.png']
    assert Handler.hits['/missing.jpg'] == hits['/missing.jpg'] + 1
    assert report(out)['good.png']['status'] == 'skipped'


def test_bad_lists_exit_2_and_create_nothing(tmp_path, capsys):
    (tmp_path / 'ok.urls').write_text('file:///etc/passwd\n')
    assert run_cli(main, [str(tmp_path), str(tmp_path / 'out'), '--no-progress'],
                   prog='download_images') == 2
    assert 'ok.urls:1: not an http(s) URL' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_sizes():
    assert parse_size('20MB') == 20 * 1024 ** 2
    assert parse_size('512k') == 512 * 1024
    assert parse_size('1000') == 1000
