"""custom_modules.data_prep.download.downloader: URL lists, safe class names, temporaries."""
from __future__ import annotations

import pytest

from custom_modules.data_prep.download import Downloader, Options, read_jobs
from custom_modules.utils.validation import DataError


def test_bad_lists_are_named(tmp_path):
    (tmp_path / 'ok.urls').write_text('http://127.0.0.1:9/a.jpg\nfile:///etc/passwd\n'
                                      'ftp://x/y.jpg\n')
    (tmp_path / '..urls').write_text('http://127.0.0.1:9/a.jpg\n')  # stem '.': not a folder
    with pytest.raises(DataError) as info:
        read_jobs(tmp_path)
    text = str(info.value)
    assert 'ok.urls:2: not an http(s) URL' in text and 'ok.urls:3' in text
    assert "class name '.'" in text


def test_jobs_keep_class_and_line(tmp_path):
    (tmp_path / 'cat.urls').write_text('# a comment\n\nhttps://x/a.jpg\n  http://x/b.png  \n')
    jobs = read_jobs(tmp_path)
    assert [(j.cls, j.line, j.url) for j in jobs] == [('cat', 3, 'https://x/a.jpg'),
                                                      ('cat', 4, 'http://x/b.png')]
    with pytest.raises(DataError, match='no <class>.urls files found'):
        read_jobs(tmp_path / 'nowhere')


def test_partials_of_an_interrupted_run_are_cleaned(tmp_path):
    kept = tmp_path / 'cat' / 'abc.jpg'
    kept.parent.mkdir()
    kept.write_bytes(b'x')
    left = [tmp_path / 'cat' / '.abc.jpg.k3j2.tmp.jpg', tmp_path / 'cat' / '.x1y2.part']
    for path in left:
        path.write_bytes(b'partial')
    Downloader(tmp_path, Options()).clean_partials()
    assert kept.is_file() and not any(p.exists() for p in left)
