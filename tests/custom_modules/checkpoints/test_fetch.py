"""The verified, resumable download against a local server that misbehaves on request."""
from __future__ import annotations

import hashlib

import pytest

from custom_modules.checkpoints import (
    ChecksumMismatch,
    FetchError,
    FetchOptions,
    download,
    part_path,
    with_mirror,
)
from custom_modules.compat.checkpoint import is_trusted
from tests.zoo_server import CUT, DATA, NAME, SHA, zoo_server  # noqa: F401 (fixture)

QUIET = dict(progress=False, backoff=0.01)


def test_good_file_is_verified_moved_and_trusted(zoo_server, tmp_path):  # noqa: F811
    target = tmp_path / 'checkpoints' / NAME
    assert download(f'{zoo_server}/good/{NAME}', target, opts=FetchOptions(**QUIET)) == target
    assert target.read_bytes() == DATA
    assert not part_path(target).exists()
    assert is_trusted(target)  # recorded in the ledger, so training accepts it
    download(f'{zoo_server}/good/{NAME}', target, opts=FetchOptions(**QUIET))
    assert len(zoo_server.log) == 1  # already here and verified: no second request


def test_full_sha256_and_untrusted_option(zoo_server, tmp_path):  # noqa: F811
    target = tmp_path / 'other.bin'
    download(f'{zoo_server}/good/x', target, sha256=SHA.upper(), opts=FetchOptions(**QUIET),
             trust=False)
    assert target.read_bytes() == DATA and not is_trusted(target)


def test_wrong_bytes_leave_nothing(zoo_server, tmp_path):  # noqa: F811
    target = tmp_path / NAME
    with pytest.raises(ChecksumMismatch) as err:
        download(f'{zoo_server}/wrong/{NAME}', target, opts=FetchOptions(**QUIET))
    assert SHA[:8] in str(err.value) and hashlib.sha256(DATA[::-1]).hexdigest() in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_resumes_from_the_part(zoo_server, tmp_path):  # noqa: F811
    target = tmp_path / NAME
    url = f'{zoo_server}/trunc/{NAME}'
    with pytest.raises(FetchError, match='closed after 30000 of 102400 bytes.*resumes'):
        download(url, target, opts=FetchOptions(retries=0, **QUIET))
    assert not target.exists() and part_path(target).stat().st_size == CUT
    download(url, target, opts=FetchOptions(retries=0, **QUIET))
    assert zoo_server.log[-1][1] == f'bytes={CUT}-'
    assert target.read_bytes() == DATA and not part_path(target).exists()


def test_retry_resumes_within_one_call(zoo_server, tmp_path):  # noqa: F811
    target = tmp_path / NAME
    download(f'{zoo_server}/trunc/{NAME}', target, opts=FetchOptions(retries=1, **QUIET))
    assert [r for _, r in zoo_server.log] == [None, f'bytes={CUT}-']
    assert target.read_bytes() == DATA


def test_server_ignoring_range_restarts_from_zero(zoo_server, tmp_path):  # noqa: F811
    target = tmp_path / NAME
    part_path(target).write_bytes(b'stale bytes of another file')
    download(f'{zoo_server}/norange/{NAME}', target, opts=FetchOptions(**QUIET))
    assert zoo_server.log[0][1] == 'bytes=27-'
    assert target.read_bytes() == DATA


def test_part_longer_than_the_file_restarts(zoo_server, tmp_path):  # noqa: F811
    target = tmp_path / NAME
    part_path(target).write_bytes(b'x' * (len(DATA) + 5))  # the server answers 416
    download(f'{zoo_server}/good/{NAME}', target, opts=FetchOptions(**QUIET))
    assert target.read_bytes() == DATA


@pytest.mark.parametrize('kind', ['huge', 'endless'])
def test_oversize_is_refused(zoo_server, tmp_path, kind):  # noqa: F811
    target = tmp_path / NAME
    with pytest.raises(FetchError, match='over the size cap'):
        download(f'{zoo_server}/{kind}/{NAME}', target,
                 opts=FetchOptions(max_bytes=1 << 20, **QUIET))
    assert list(tmp_path.iterdir()) == []


def test_404_is_a_clear_error(zoo_server, tmp_path):  # noqa: F811
    with pytest.raises(FetchError, match='HTTP 404'):
        download(f'{zoo_server}/gone/{NAME}', tmp_path / NAME, opts=FetchOptions(**QUIET))
    assert len(zoo_server.log) == 1  # not retried
    assert list(tmp_path.iterdir()) == []


def test_slow_server_times_out_after_retries(zoo_server, tmp_path):  # noqa: F811
    with pytest.raises(FetchError, match=r'timed out after 0.2 s.*after 2 attempts'):
        download(f'{zoo_server}/slow/{NAME}', tmp_path / NAME,
                 opts=FetchOptions(timeout=0.2, retries=1, **QUIET))
    assert len(zoo_server.log) == 2
    assert not (tmp_path / NAME).exists()


def test_mirror_replaces_scheme_and_host(zoo_server, tmp_path):  # noqa: F811
    url = f'https://download.example.invalid/good/{NAME}'
    target = tmp_path / NAME
    download(url, target, opts=FetchOptions(mirror=zoo_server, **QUIET))
    assert zoo_server.log == [(f'/good/{NAME}', None)] and target.read_bytes() == DATA
    assert with_mirror('https://a.org/v0/x.pth?y=1', 'http://m.lan:81/zoo/') == \
        'http://m.lan:81/zoo/v0/x.pth?y=1'
    with pytest.raises(FetchError, match='not an http'):
        with_mirror(url, 'm.lan')


def test_no_hash_to_verify_is_refused_before_downloading(zoo_server, tmp_path):  # noqa: F811
    with pytest.raises(FetchError, match='pass --sha256'):
        download(f'{zoo_server}/good/plain.pth', tmp_path / 'plain.pth', opts=FetchOptions(**QUIET))
    with pytest.raises(FetchError, match='not 8 to 64 hex'):
        download(f'{zoo_server}/good/plain.pth', tmp_path / 'plain.pth', sha256='xyz')
    assert zoo_server.log == []
