"""demo_data/localize_demo.py: determinism, exact boxes, prepare_localize accepts it."""
from __future__ import annotations

import numpy as np
import pytest

from custom_modules.data_prep.localize_lists import prepare_localize
from custom_modules.demo_data.localize_demo import (
    CLASSES,
    MANIFEST_NAME,
    LocalizeDemoParams,
    generate,
    render,
    stale_reason,
)

SMALL = LocalizeDemoParams(n_train=12, n_test=4)


def test_render_box_is_the_drawn_object():
    p = LocalizeDemoParams(noise=0.0)
    for seed in range(20):
        img, cls, (x1, y1, x2, y2) = render(np.random.default_rng(seed), p)
        assert cls in CLASSES
        h, w = img.shape[:2]
        assert p.min_side <= min(h, w) and max(h, w) <= p.max_side
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        inside = img[y1:y2, x1:x2].astype(int)
        # the object's colour fills the box's centre row and column; outside it is background
        centre = inside[(y2 - y1) // 2, (x2 - x1) // 2]
        assert (np.abs(inside[(y2 - y1) // 2] - centre).max(axis=1) <= 1).all()
        assert (np.abs(inside[:, (x2 - x1) // 2] - centre).max(axis=1) <= 1).all()


def test_deterministic_idempotent_and_prepared(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    assert generate(a, seed=3, p=SMALL) and generate(b, seed=3, p=SMALL)
    for f in sorted(p.relative_to(a) for p in a.rglob('*') if p.is_file()):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert 'SYNTHETIC' in (a / 'README_synthetic.txt').read_text()
    assert generate(a, seed=3, p=SMALL) is False  # complete: left alone
    assert stale_reason(a, seed=4, p=SMALL) == 'made with seed 3, not 4'
    (a / 'train' / 'synthetic_train_000.txt').write_text('disc 0 0 1 1\n')
    assert 'changed' in stale_reason(a, seed=3, p=SMALL)
    with pytest.raises(FileExistsError, match='synthetic_train_000.txt'):
        generate(a, seed=3, p=SMALL)  # changed by someone: refused
    assert generate(a, seed=3, p=SMALL, force=True) is True  # forced: rebuilt
    table = prepare_localize(a / 'train', tmp_path / 'lists', classes=a / 'classes.txt',
                             folds=3, test_dir=a / 'test')
    assert len(table.table) == 12 and table.classes == list(CLASSES)
    assert (tmp_path / 'lists' / 'test.csv').read_text().count('\n') == 5


def test_foreign_folder_is_never_touched(tmp_path):
    (tmp_path / 'mine.txt').write_text('keep')
    with pytest.raises(FileExistsError, match=MANIFEST_NAME):
        generate(tmp_path, p=SMALL)
    assert (tmp_path / 'mine.txt').read_text() == 'keep'
