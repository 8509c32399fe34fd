"""utils/image_check.py: truncated images fail, a pool finds every bad file, reruns are cached."""
from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import ImageFile

from custom_modules.utils import image_check
from custom_modules.utils.image_check import check_images, decode_reason, report_unreadable
from custom_modules.utils.validation import Problems


def write_image(path: Path, seed: int = 0, side: int = 48) -> Path:
    img = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), img)
    return path


def truncate(path: Path, keep: float = 0.6) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    return path


@pytest.mark.parametrize('ext', ['.png', '.jpg'])
def test_a_truncated_image_fails_the_decode_but_passes_the_header(tmp_path, ext, monkeypatch):
    bad = truncate(write_image(tmp_path / f'bad{ext}'))
    assert check_images([bad], decode=False).reasons[bad] is None  # today's default check
    assert 'truncated' in decode_reason(bad) or 'unreadable' in decode_reason(bad)
    monkeypatch.setattr(ImageFile, 'LOAD_TRUNCATED_IMAGES', True)  # as some libraries set it
    assert decode_reason(bad) is not None and ImageFile.LOAD_TRUNCATED_IMAGES is True
    assert decode_reason(write_image(tmp_path / f'good{ext}')) is None


def test_pool_reports_every_bad_file_and_a_rerun_decodes_nothing(tmp_path, monkeypatch):
    paths = [write_image(tmp_path / f'{i:02d}{".png" if i % 2 else ".jpg"}', i, 16)
             for i in range(24)]
    bad = {truncate(paths[3]), truncate(paths[10]), truncate(paths[17])}
    cache = tmp_path / 'lists' / 'decode_check.json'
    first = check_images(paths, cache_file=cache, workers=2, inline_below=0)
    assert set(first.bad) == bad and first.decoded == 24 and first.cached == 0
    entries = json.loads(cache.read_text())['images']
    assert len(entries) == 24 and entries[str(paths[3])][2]

    def no_decoding(paths):
        raise AssertionError('decoded again')

    monkeypatch.setattr(image_check, '_decode_chunk', no_decoding)
    again = check_images(paths, cache_file=cache, workers=2, inline_below=0)
    assert again.reasons == first.reasons and again.cached == 24 and again.decoded == 0
    monkeypatch.undo()
    write_image(paths[3], 3, 16)  # replaced: size and mtime change, decoded again
    os.utime(paths[3], ns=(1, 1))
    third = check_images(paths, cache_file=cache, inline_below=100)
    assert third.decoded == 1 and set(third.bad) == bad - {paths[3]}


def test_a_damaged_cache_is_ignored(tmp_path):
    good = write_image(tmp_path / 'a.png')
    cache = tmp_path / 'decode_check.json'
    cache.write_text('{not json')
    assert check_images([good], cache_file=cache).reasons == {good: None}
    assert json.loads(cache.read_text())['version'] == image_check.CACHE_VERSION


def test_report_names_the_csv_row_or_the_image(tmp_path):
    bad = truncate(write_image(tmp_path / 'x.jpg'))
    problems = Problems()
    report_unreadable([(bad, tmp_path / 'train.csv', 7), (bad, bad, None)], problems)
    first, second = (str(p) for p in problems.items)
    assert first.startswith(f'{tmp_path / "train.csv"}:7: {bad}: ')
    assert second.startswith(f'{bad}: ') and str(bad) not in second[len(str(bad)) + 2:]
