"""HTTP(S) requests the downloaders share (images, weights files).

Redirects are followed to http(s) URLs only (urllib would also follow one to ftp), and every
failure is sorted: :class:`Transient` when another attempt may fix it (timeout, connection
failed, 429, 5xx), :class:`Permanent` when it would not (404, a redirect elsewhere); each
downloader decides what a failure means for its own report or error.
"""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping


class Permanent(Exception):
    """A failure that another attempt would not fix; ``code`` is the HTTP status, if any."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Transient(Exception):
    """A failure worth retrying (timeout, connection reset, 429, 5xx)."""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ('http', 'https'):
            raise Permanent(f'redirected to a non-http URL {newurl[:100]}')
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def open_url(url: str, headers: Mapping[str, str], timeout: float):
    """The response to a GET of ``url``; raises :class:`Transient` or :class:`Permanent`."""
    try:
        return _OPENER.open(urllib.request.Request(url, headers=dict(headers)), timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 429 or err.code >= 500:
            raise Transient(f'HTTP {err.code} {err.reason}') from None
        raise Permanent(f'HTTP {err.code} {err.reason}', err.code) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, 'reason', err)
        if isinstance(reason, TimeoutError):
            raise Transient(f'timed out after {timeout:g} s (connect)') from None
        raise Transient(f'connection failed: {reason}') from None
