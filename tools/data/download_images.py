"""Download class-labelled images safely: ``URL_DIR/<class>.urls`` -> ``OUT_DIR/<class>/``.

    python tools/data/download_images.py URL_DIR OUT_DIR [--workers 8] [--timeout 15]
        [--retries 3] [--backoff 1.0] [--max-bytes 20MB]

``URL_DIR`` holds one ``<class>.urls`` file per class, one URL a line (blank lines and ``#``
comments skipped). Every URL is fetched in a thread pool (``--workers``) with:

- only ``http``/``https`` (no ``file://``, no other schemes);
- a per-request time limit (``--timeout`` seconds for connecting, each read and the whole
  transfer);
- retries with exponential backoff (``--backoff`` x 2^attempt) for connection errors,
  timeouts, HTTP 429 and 5xx; a 404, a non-image or an oversized file is not retried;
- a size cap (``--max-bytes``, default 20 MB) checked on ``Content-Length`` and enforced while
  streaming, so a server that lies or sends no length cannot fill the disk;
- a content check: the ``Content-Type`` must be ``image/*`` (when sent) and the bytes must fully
  decode as an image (Pillow); anything else is rejected and never written;
- safe names: the file is ``<first 16 hex of SHA-256>.<format's extension>``, so neither the URL
  nor the server chooses a path (no traversal), and the same content within a class is kept
  once (``duplicate``); the same content in two classes is reported as a label conflict;
- atomic files (written to a hidden temp file, renamed when complete) and a log
  ``OUT_DIR/download_log.jsonl`` appended as URLs finish: a rerun (after Ctrl-C or a crash)
  skips URLs already downloaded and tries the failed ones again.

At the end ``OUT_DIR/download_report.csv`` lists every URL with its status (``ok``,
``duplicate``, ``skipped`` or ``failed``), file, size and the reason of each failure, and the
failures are printed. Exit code 0, or 1 when some URLs failed (``--allow-failures``: 0).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ''):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

LOG_NAME = 'download_log.jsonl'
REPORT_NAME = 'download_report.csv'
USER_AGENT = 'podium-download-images/1.0'
CHUNK = 64 * 1024
FORMAT_EXTS = {'JPEG': '.jpg', 'PNG': '.png', 'GIF': '.gif', 'WEBP': '.webp', 'BMP': '.bmp',
               'TIFF': '.tif', 'PPM': '.ppm'}
CLASS_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9 _.+-]*$')


class Permanent(Exception):
    """A failure that another attempt would not fix (404, not an image, too large)."""


class Transient(Exception):
    """A failure worth retrying (timeout, connection reset, 429, 5xx)."""


@dataclass
class Job:
    """One URL to fetch: its class, its place in the class's file, the URL."""

    cls: str
    line: int
    url: str


@dataclass
class Result:
    """What happened to one URL (a row of the report and of the log)."""

    cls: str
    line: int
    url: str
    status: str  # ok | duplicate | skipped | failed
    file: str = ''
    bytes: int = 0
    sha256: str = ''
    attempts: int = 0
    reason: str = ''


@dataclass
class Options:
    """How to fetch (see the module docstring)."""

    timeout: float = 15.0
    retries: int = 3
    backoff: float = 1.0
    max_bytes: int = 20 * 1024 * 1024
    user_agent: str = USER_AGENT


@dataclass
class Summary:
    """Counts and the failed results of a run."""

    results: list[Result] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == 'failed']


def parse_size(text: str) -> int:
    """``20MB``, ``512k``, ``1048576`` -> bytes."""
    match = re.fullmatch(r'\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*', text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f'bad size {text!r}: use e.g. 20MB, 512k or 1048576')
    return int(float(match.group(1)) * 1024 ** ' kmg'.index(match.group(2) or ' '))


def read_jobs(url_dir: str | Path) -> list[Job]:
    """Every URL of ``URL_DIR/*.urls``; bad class names and bad URLs raise with file:line."""
    from tools.data.common import Problems

    url_dir = Path(url_dir)
    problems = Problems()
    files = sorted(url_dir.glob('*.urls')) if url_dir.is_dir() else []
    if not files:
        problems.add(url_dir, None, 'no <class>.urls files found')
    jobs = []
    for path in files:
        cls = path.stem
        if not CLASS_NAME.match(cls) or cls in ('.', '..'):
            problems.add(path, None, f'class name {cls!r} is not a safe folder name (letters, '
                         'digits, space, _ . + -; not starting with . or -)')
            continue
        for number, raw in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            url = raw.strip()
            if not url or url.startswith('#'):
                continue
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ('http', 'https') or not parts.netloc:
                problems.add(path, number, f'not an http(s) URL: {url[:100]!r}')
                continue
            jobs.append(Job(cls, number, url))
    problems.raise_if_any()
    return jobs


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow one to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ('http', 'https'):
            raise Permanent(f'redirected to a non-http URL {newurl[:100]}')
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def _open(url: str, opts: Options):
    request = urllib.request.Request(url, headers={'User-Agent': opts.user_agent,
                                                   'Accept': 'image/*'})
    try:
        return _OPENER.open(request, timeout=opts.timeout)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 429 or err.code >= 500:
            raise Transient(f'HTTP {err.code} {err.reason}') from None
        raise Permanent(f'HTTP {err.code} {err.reason}') from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, 'reason', err)
        if isinstance(reason, TimeoutError):
            raise Transient(f'timed out after {opts.timeout:g} s (connect)') from None
        raise Transient(f'connection failed: {reason}') from None


def fetch(url: str, opts: Options) -> bytes:
    """The body of ``url``, checked for type and size; raises Permanent or Transient."""
    deadline = time.monotonic() + opts.timeout
    with _open(url, opts) as response:
        ctype = response.headers.get('Content-Type', '').split(';')[0].strip().lower()
        if ctype and not ctype.startswith('image/'):
            raise Permanent(f'not an image: Content-Type {ctype}')
        length = response.headers.get('Content-Length')
        if length and length.isdigit() and int(length) > opts.max_bytes:
            raise Permanent(f'too large: Content-Length {int(length)} > {opts.max_bytes} bytes')
        body = bytearray()
        while True:
            if time.monotonic() > deadline:
                raise Transient(f'timed out after {opts.timeout:g} s (transfer too slow)')
            try:
                chunk = response.read1(CHUNK)  # what has arrived: a trickle meets the deadline
            except TimeoutError:
                raise Transient(f'timed out after {opts.timeout:g} s (read)') from None
            except OSError as err:
                raise Transient(f'connection broken: {err}') from None
            if not chunk:
                break
            body += chunk
            if len(body) > opts.max_bytes:
                raise Permanent(f'too large: more than {opts.max_bytes} bytes streamed')
        if length and length.isdigit() and len(body) < int(length):
            raise Transient(f'truncated: {len(body)} of {length} bytes')
    return bytes(body)


def decode_check(data: bytes) -> str:
    """The file extension of ``data`` if it fully decodes as an image; raises Permanent."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise Permanent('empty body')
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = im.format
            im.load()  # decodes every pixel: truncated or corrupt data fails here
            if im.width < 1 or im.height < 1:
                raise Permanent('image has no pixels')
    except Permanent:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as err:
        raise Permanent(f'not a decodable image ({err})') from None
    if fmt not in FORMAT_EXTS:
        raise Permanent(f'unsupported image format {fmt}')
    return FORMAT_EXTS[fmt]


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.', suffix='.part', dir=path.parent)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Downloader:
    """Fetches jobs into ``out_dir``, keeps the log, dedupes by content (thread-safe)."""

    def __init__(self, out_dir: str | Path, opts: Options) -> None:
        self.out_dir = Path(out_dir)
        self.opts = opts
        self.lock = threading.Lock()
        self.log_path = self.out_dir / LOG_NAME

    def previous(self) -> dict[tuple[str, str], Result]:
        """Successful results of earlier runs whose files are still there, by (class, url)."""
        done: dict[tuple[str, str], Result] = {}
        if not self.log_path.is_file():
            return done
        for line in self.log_path.read_text(encoding='utf-8').splitlines():
            try:
                result = Result(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line cut by a crash
            if result.status in ('ok', 'duplicate') and (self.out_dir / result.file).is_file():
                done[(result.cls, result.url)] = result
        return done

    def clean_partials(self) -> None:
        """Temp files left by an interrupted run."""
        for part in self.out_dir.glob('*/.*.part'):
            part.unlink(missing_ok=True)

    def run(self, job: Job) -> Result:
        attempts, reason = 0, ''
        for attempt in range(self.opts.retries + 1):
            attempts = attempt + 1
            try:
                data = fetch(job.url, self.opts)
                ext = decode_check(data)
                return self._store(job, data, ext, attempts)
            except Permanent as err:
                reason = str(err)
                break
            except Transient as err:
                reason = str(err)
                if attempt < self.opts.retries:
                    time.sleep(self.opts.backoff * 2 ** attempt)
            except Exception as err:  # an odd server reply must not stop the other downloads
                reason = f'{type(err).__name__}: {err}'
                break
        return self._log(Result(job.cls, job.line, job.url, 'failed', attempts=attempts,
                                reason=reason))

    def _store(self, job: Job, data: bytes, ext: str, attempts: int) -> Result:
        digest = hashlib.sha256(data).hexdigest()
        rel = f'{job.cls}/{digest[:16]}{ext}'
        path = self.out_dir / rel
        with self.lock:  # one writer per name: the second of two equal images is a duplicate
            status = 'duplicate' if path.is_file() else 'ok'
            if status == 'ok':
                _write_atomic(path, data)
        return self._log(Result(job.cls, job.line, job.url, status, rel, len(data), digest,
                                attempts, '' if status == 'ok' else 'same content as ' + rel))

    def _log(self, result: Result) -> Result:
        with self.lock, open(self.log_path, 'a', encoding='utf-8') as log:
            log.write(json.dumps(asdict(result)) + '\n')
        return result


def download(url_dir: str | Path, out_dir: str | Path, opts: Options | None = None,
             workers: int = 8, progress: bool = True) -> Summary:
    """Fetch every URL of ``url_dir`` into ``out_dir`` and write the report (module docstring)."""
    from tqdm import tqdm

    opts = opts or Options()
    jobs = read_jobs(url_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    loader = Downloader(out_dir, opts)
    loader.clean_partials()
    done = loader.previous()
    results: dict[int, Result] = {}
    todo = []
    for k, job in enumerate(jobs):
        old = done.get((job.cls, job.url))
        if old is not None:
            results[k] = Result(job.cls, job.line, job.url, 'skipped', old.file, old.bytes,
                                old.sha256, 0, f'downloaded by an earlier run ({old.status})')
        else:
            todo.append((k, job))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool, \
            tqdm(total=len(todo), desc='download', unit='url', disable=not progress) as bar:
        futures = {pool.submit(loader.run, job): k for k, job in todo}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            bar.update(1)
    summary = Summary([results[k] for k in range(len(jobs))])
    _first_copy_wins(summary)
    _conflicts(summary)
    write_report(out_dir / REPORT_NAME, summary.results)
    return summary


def _first_copy_wins(summary: Summary) -> None:
    """Of equal images in one class, report the first listed as ``ok``, the rest ``duplicate``.

    Threads finish in any order, so which copy was written first is chance; the report
    must not be (a file kept by an earlier run stays the first).
    """
    first = {r.file: r for r in summary.results if r.status == 'skipped' and r.file}
    for r in summary.results:
        if r.status not in ('ok', 'duplicate') or not r.file:
            continue
        keeper = first.setdefault(r.file, r)
        if keeper is r and r.status == 'duplicate':
            r.status, r.reason = 'ok', ''
        elif keeper is not r and r.status == 'ok':
            r.status, r.reason = 'duplicate', 'same content as ' + r.file


def _conflicts(summary: Summary) -> None:
    """Note, on each result, content that is also kept under another class."""
    classes_of: dict[str, set[str]] = {}
    for r in summary.results:
        if r.sha256 and r.status != 'failed':
            classes_of.setdefault(r.sha256, set()).add(r.cls)
    for r in summary.results:
        others = sorted(classes_of.get(r.sha256, set()) - {r.cls})
        if others:
            note = f'same image also in class {", ".join(others)} (label conflict)'
            r.reason = f'{r.reason}; {note}' if r.reason else note


def write_report(path: Path, results: list[Result]) -> None:
    from tools.data.common import atomic_write_text

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    columns = list(asdict(results[0])) if results else [f for f in Result.__dataclass_fields__]
    writer.writerow(columns)
    for r in results:
        writer.writerow([getattr(r, c) for c in columns])
    atomic_write_text(path, buf.getvalue())


def _iter_failures(summary: Summary) -> Iterator[str]:
    for r in summary.failed:
        yield f'  {r.cls}.urls:{r.line}: {r.url[:120]}: {r.reason} ({r.attempts} attempt(s))'


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Download class-labelled images safely')
    parser.add_argument('url_dir', help='folder of <class>.urls files, one URL a line')
    parser.add_argument('out_dir', help='images go to OUT_DIR/<class>/')
    parser.add_argument('--workers', type=int, default=8, help='parallel downloads')
    parser.add_argument('--timeout', type=float, default=15.0, help='seconds per request')
    parser.add_argument('--retries', type=int, default=3, help='extra attempts for transient '
                        'errors (timeouts, 429, 5xx)')
    parser.add_argument('--backoff', type=float, default=1.0,
                        help='first retry delay in seconds, doubled each time')
    parser.add_argument('--max-bytes', type=parse_size, default=20 * 1024 * 1024,
                        help='size cap per image, e.g. 20MB (default)')
    parser.add_argument('--allow-failures', action='store_true', help='exit 0 even if some '
                        'URLs failed (they stay in the report)')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if args.workers < 1 or args.timeout <= 0 or args.retries < 0 or args.backoff < 0:
        parser.error('--workers >= 1, --timeout > 0, --retries >= 0, --backoff >= 0')
    return args


def main(argv: list[str] | None = None) -> int:
    from tools.data.common import DataError

    args = parse_args(argv)
    opts = Options(timeout=args.timeout, retries=args.retries, backoff=args.backoff,
                   max_bytes=args.max_bytes)
    try:
        summary = download(args.url_dir, args.out_dir, opts, args.workers, not args.no_progress)
    except DataError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'{len(summary.results)} URLs: {summary.count("ok")} downloaded, '
          f'{summary.count("duplicate")} duplicates, {summary.count("skipped")} already there, '
          f'{summary.count("failed")} failed; report: {Path(args.out_dir) / REPORT_NAME}')
    if summary.failed:
        print('failures:\n' + '\n'.join(_iter_failures(summary)), file=sys.stderr)
    return 0 if args.allow_failures or not summary.failed else 1


if __name__ == '__main__':
    sys.exit(main())
