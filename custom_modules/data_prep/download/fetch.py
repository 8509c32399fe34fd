"""One HTTP(S) fetch of an image: scheme, time, size and content checks.

A failure is :class:`Permanent` (another attempt would not fix it: 404, not an image, too
large) or :class:`Transient` (worth retrying: timeout, connection reset, 429, 5xx); the
downloader turns both into a row of its report, so neither reaches the user as an exception.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass

from custom_modules.utils.http import Permanent, Transient, open_url

USER_AGENT = 'podium-download-images/1.0'
CHUNK = 64 * 1024
FORMAT_EXTS = {'JPEG': '.jpg', 'PNG': '.png', 'GIF': '.gif', 'WEBP': '.webp', 'BMP': '.bmp',
               'TIFF': '.tif', 'PPM': '.ppm'}


@dataclass
class Options:
    """How to fetch.

    Args:
        timeout: Seconds for connecting, for each read and for the whole transfer.
        retries: Extra attempts after a :class:`Transient` failure.
        backoff: First retry delay in seconds, doubled at each retry.
        max_bytes: Size cap, checked on ``Content-Length`` and while streaming.
        user_agent: The ``User-Agent`` header sent.
    """

    timeout: float = 15.0
    retries: int = 3
    backoff: float = 1.0
    max_bytes: int = 20 * 1024 * 1024
    user_agent: str = USER_AGENT


def _open(url: str, opts: Options):
    return open_url(url, {'User-Agent': opts.user_agent, 'Accept': 'image/*'}, opts.timeout)


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


class FetchFailed(Exception):
    """Every attempt at a URL failed: the last reason and the number of attempts made."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


def fetch_image(url: str, opts: Options) -> tuple[bytes, str, int]:
    """Fetches and decodes ``url``, retrying :class:`Transient` failures with backoff.

    Returns:
        The body, its file extension and the number of attempts made.

    Raises:
        FetchFailed: The last failure; a permanent one (or an odd server reply) is not retried.
    """
    attempts, reason = 0, ''
    for attempt in range(opts.retries + 1):
        attempts = attempt + 1
        try:
            data = fetch(url, opts)
            return data, decode_check(data), attempts
        except Permanent as err:
            reason = str(err)
            break
        except Transient as err:
            reason = str(err)
            if attempt < opts.retries:
                time.sleep(opts.backoff * 2 ** attempt)
        except Exception as err:  # an odd server reply must not stop the other downloads
            reason = f'{type(err).__name__}: {err}'
            break
    raise FetchFailed(reason, attempts)
