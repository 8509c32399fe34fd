"""A verified, resumable download of one weights file.

The bytes stream into ``<target>.part`` beside the target; an interrupted transfer (timeout,
connection lost, 5xx) keeps the ``.part`` and the next attempt, or the next run, asks only for
the rest (HTTP ``Range``; a server that ignores it sends everything again). The file is moved
onto the target only after its sha256 matched, so a failed, oversized or tampered download
leaves nothing at the target, and a wrong or oversized one leaves no ``.part`` either.
"""
from __future__ import annotations

import hashlib
import logging
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..compat.checkpoint import record_trusted
from ..utils.atomic import move_into_place
from ..utils.errors import PodiumError
from ..utils.http import Permanent, Transient, open_url
from .sources import name_sha256_prefix

logger = logging.getLogger(__name__)
USER_AGENT = 'podium-checkpoints/1.0'
CHUNK = 1 << 20
_HEX = re.compile(r'^[0-9a-f]{8,64}$')


class FetchError(PodiumError):
    """A download that cannot be done, or did not finish (the message says which and why)."""


class ChecksumMismatch(FetchError):
    """The downloaded bytes are not the file the name or ``--sha256`` promises."""


@dataclass
class FetchOptions:
    """How to download.

    Args:
        timeout: Seconds for connecting and for each read.
        retries: Extra attempts after a transient failure (each resumes the ``.part``).
        backoff: First retry delay in seconds, doubled at each retry.
        max_bytes: Size cap, checked on ``Content-Length`` before and on the bytes while streaming.
        progress: Show a tqdm progress bar on stderr.
        mirror: A URL whose scheme, host (and path prefix) replace the source's.
    """

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    max_bytes: int | None = 4 << 30
    progress: bool = True
    mirror: str | None = None


def with_mirror(url: str, mirror: str | None) -> str:
    """``url`` with the mirror's scheme and host, and its path prepended to the source's path
    (``https://m.example/zoo`` + ``https://download.openmmlab.com/a/b.pth`` ->
    ``https://m.example/zoo/a/b.pth``)."""
    if not mirror:
        return url
    src, dst = urllib.parse.urlsplit(url), urllib.parse.urlsplit(mirror)
    if dst.scheme not in ('http', 'https') or not dst.netloc:
        raise FetchError(f'--mirror {mirror!r} is not an http(s) URL with a host')
    path = dst.path.rstrip('/') + src.path
    return urllib.parse.urlunsplit((dst.scheme, dst.netloc, path, src.query, ''))


def part_path(target: str | Path) -> Path:
    """Where the bytes of ``target`` collect until they are verified."""
    target = Path(target)
    return target.with_name(target.name + '.part')


def expected_sha256(target: str | Path, url: str, sha256: str | None) -> str:
    """The hash (full or a prefix of at least 8 hex digits) the file must have: ``sha256`` if
    given, else the one in the target's or the URL's file name."""
    if sha256 and not _HEX.match(sha256.lower()):
        raise FetchError(f'--sha256 {sha256!r} is not 8 to 64 hex digits')
    expected = (sha256 or name_sha256_prefix(Path(target).name)
                or name_sha256_prefix(urllib.parse.urlsplit(url).path) or '').lower()
    if not expected:
        raise FetchError(f'nothing to verify {Path(target).name} with: its name does not end in '
                         '-<8 hex digits of its sha256>.pth; pass --sha256 HEX')
    return expected


def sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(CHUNK), b''):
            sha.update(block)
    return sha.hexdigest()


def _open(url: str, offset: int, timeout: float):
    """The response for the body from ``offset`` on; None when the server refuses that range
    (416: the .part is not a prefix of its file, so the caller starts again from byte 0)."""
    headers = {'User-Agent': USER_AGENT}
    if offset:
        headers['Range'] = f'bytes={offset}-'
    try:
        return open_url(url, headers, timeout)
    except Permanent as err:
        if err.code == 416 and offset:
            return None
        raise FetchError(f'{url}: {err}') from None


def _too_large(url: str, size: int, cap: int) -> FetchError:
    return FetchError(f'{url} is {size / 2**20:.1f} MiB, over the size cap of '
                      f'{cap / 2**20:.1f} MiB (raise it with --max-mb)')


def _resume_offset(response, offset: int) -> int:
    """Where the body starts: ``offset`` for a 206 that continues the .part, else 0."""
    if not offset or response.status != 206:
        return 0
    match = re.match(r'bytes (\d+)-', response.headers.get('Content-Range', ''))
    return offset if match and int(match.group(1)) == offset else 0


def _attempt(url: str, part: Path, opts: FetchOptions) -> None:
    """One request: append the rest of the body to ``part`` (or rewrite it from byte 0)."""
    offset = part.stat().st_size if part.is_file() else 0
    response = _open(url, offset, opts.timeout)
    if response is None:
        part.unlink(missing_ok=True)
        offset, response = 0, _open(url, 0, opts.timeout)
    with response:
        offset = _resume_offset(response, offset)
        length = response.headers.get('Content-Length')
        total = offset + int(length) if length and length.isdigit() else None
        if opts.max_bytes is not None and total is not None and total > opts.max_bytes:
            part.unlink(missing_ok=True)
            raise _too_large(url, total, opts.max_bytes)
        from tqdm import tqdm

        bar = tqdm(total=total, initial=offset, unit='B', unit_scale=True, unit_divisor=1024,
                   desc=part.name[:-5][:40], disable=not opts.progress, file=sys.stderr,
                   leave=False)
        size = offset
        with bar, open(part, 'r+b' if offset else 'wb') as f:
            f.seek(offset)
            f.truncate()
            while True:
                try:
                    chunk = response.read(CHUNK)
                except TimeoutError:
                    raise Transient(f'timed out after {opts.timeout:g} s without data '
                                     f'({size} bytes so far)') from None
                except OSError as err:
                    raise Transient(f'connection lost after {size} bytes: {err}') from None
                if not chunk:
                    break
                size += len(chunk)
                if opts.max_bytes is not None and size > opts.max_bytes:
                    f.close()
                    part.unlink(missing_ok=True)
                    raise _too_large(url, size, opts.max_bytes)
                f.write(chunk)
                bar.update(len(chunk))
    if total is not None and size < total:
        raise Transient(f'connection closed after {size} of {total} bytes')


def download(url: str, target: str | Path, sha256: str | None = None,
             opts: FetchOptions | None = None, trust: bool = True) -> Path:
    """Downloads ``url`` to ``target`` and verifies it; returns the target.

    ``sha256`` is the full hash or a prefix; by default the 8 hex digits the file name ends
    with. A target already here with the right hash is kept without a download. ``trust``
    records the verified file in the checkpoint trust ledger
    (:func:`custom_modules.compat.checkpoint.record_trusted`), so training loads it even when
    its pickle needs more than weights-only loading (zoo files carry their training's meta).
    Raises :class:`FetchError` (or :class:`ChecksumMismatch`), leaving nothing at the target.
    """
    opts = opts or FetchOptions()
    target = Path(target)
    expected = expected_sha256(target, url, sha256)
    if target.is_file() and sha256_of(target).startswith(expected):
        logger.info('%s is already here and verified', target)
        return _trusted(target, trust)
    url = with_mirror(url, opts.mirror)
    part = part_path(target)
    part.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(opts.retries + 1):
        try:
            _attempt(url, part, opts)
            break
        except Transient as err:
            if attempt == opts.retries:
                kept = f'; {part.name} is kept and the next fetch resumes it' \
                    if part.is_file() and part.stat().st_size else ''
                raise FetchError(f'{url}: {err} (after {opts.retries + 1} attempts){kept}') \
                    from None
            delay = opts.backoff * 2 ** attempt
            logger.warning('%s: %s; retrying in %.1f s', url, err, delay)
            time.sleep(delay)
    actual = sha256_of(part)
    if not actual.startswith(expected):
        part.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f'{url}: the downloaded file has sha256 {actual}, expected '
            f'{expected}{"" if len(expected) == 64 else "..."}; it was deleted and '
            f'{target} was not written (a wrong mirror, a changed file or a tampered download)')
    return _trusted(move_into_place(part, target), trust)


def _trusted(path: Path, trust: bool) -> Path:
    if trust:
        record_trusted(path)
    return path
