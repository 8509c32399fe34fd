"""The real-image localisation set: deterministic, tight boxes, balanced, in the localize contract.

The objects come from IDX files written here (grey blobs on black, shaped like Fashion-MNIST's
images) so the builder is tested everywhere; one test builds from the real Debian package and is
skipped where ``dataset-fashion-mnist`` is not installed. The backgrounds are the real photos that
scikit-learn and matplotlib ship (both in the lock).
"""
from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custom_modules.data_prep.localize_lists import prepare_localize
from custom_modules.data_prep.real_localize import (
    FASHION_MNIST_DIR,
    MARKER,
    RealLocalizeParams,
    build_real_localize,
    bundled_backgrounds,
    compose,
    object_mask,
)
from custom_modules.utils.errors import InputError
from tests.custom_modules.data_prep.test_idx_images import write_idx

SMALL = RealLocalizeParams(n_train=8, n_test=4, long_side=64, background_side=160)


def blob(rng: np.random.Generator, tall: bool) -> np.ndarray:
    """A 28 x 28 grey object on black: a filled ellipse, tall or wide, with a dark hole."""
    yy, xx = np.mgrid[:28, :28]
    ry, rx = (12, 6) if tall else (6, 12)
    cy, cx = 14 + rng.integers(-1, 2), 14 + rng.integers(-1, 2)
    inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    img = np.where(inside, rng.integers(80, 255, (28, 28)), 0).astype(np.uint8)
    img[cy, cx] = 0  # a hole: filled in the mask
    return img


def make_source(folder: Path, per_class: int = 10) -> Path:
    """Fashion-MNIST-like IDX files: labels 7 (sneaker, wide), 9 (ankle boot, tall), 0."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix in ('train', 't10k'):
        labels = np.array([7, 9, 0] * per_class, np.uint8)
        images = np.stack([blob(rng, tall=label == 9) for label in labels])
        write_idx(folder / f'{prefix}-images-idx3-ubyte', images)
        write_idx(folder / f'{prefix}-labels-idx1-ubyte', labels)
    return folder


@pytest.fixture(scope='module')
def source(tmp_path_factory) -> Path:
    return make_source(tmp_path_factory.mktemp('fmnist'))


def build(out: Path, source: Path, **kwargs) -> dict:
    return build_real_localize(out, source=source, params=kwargs.pop('params', SMALL), **kwargs)


def boxes_of(out: Path) -> pd.DataFrame:
    rows = [[t.stem, *t.read_text().split()] for t in sorted((out / 'train').glob('*.txt'))]
    return pd.DataFrame(rows, columns=['image_id', 'cls', 'xmin', 'ymin', 'xmax', 'ymax'])


def test_same_seed_same_bytes_other_seed_other_set(tmp_path, source):
    build(tmp_path / 'a', source, seed=3)
    build(tmp_path / 'b', source, seed=3)
    build(tmp_path / 'c', source, seed=4)
    names = sorted(p.relative_to(tmp_path / 'a') for p in (tmp_path / 'a').rglob('*')
                   if p.is_file())
    assert len(names) == 8 * 2 + 4 + 3  # train pairs, test images, test_boxes, classes, marker
    for name in names:
        assert filecmp.cmp(tmp_path / 'a' / name, tmp_path / 'b' / name, shallow=False), name
    assert not filecmp.cmp(tmp_path / 'a/test_boxes.csv', tmp_path / 'c/test_boxes.csv',
                           shallow=False)


def test_box_is_tight_around_the_pasted_mask():
    rng = np.random.default_rng(1)
    bg = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    for tall in (True, False):
        img, mask, box = compose(bg, blob(rng, tall), rng, RealLocalizeParams())
        ys, xs = np.nonzero(mask)
        assert box == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        assert (img[~mask] == bg[~mask]).all()  # only the object's pixels changed
        assert (img[mask] == img[mask][:, :1]).all()  # the object is grey
        w, h = box[2] - box[0], box[3] - box[1]
        assert (h > w) == tall  # the object's shape survives the scaling
        assert 0.3 * 90 - 2 <= max(w, h) <= 0.85 * 90 + 2


def test_mask_drops_stray_pixels_and_fills_holes():
    obj = np.zeros((10, 10), np.uint8)
    obj[2:8, 3:7] = 200
    obj[4, 4] = 0  # a hole
    obj[0, 9] = 255  # a stray pixel away from the object
    mask = object_mask(obj, 10)
    assert mask[4, 4] and not mask[0, 9] and mask.sum() == 24


def test_balanced_and_read_back_by_the_list_builder(tmp_path, source):
    out = tmp_path / 'set'
    build(out, source)
    train = boxes_of(out)
    assert train.cls.value_counts().to_dict() == {'sneaker': 4, 'ankle_boot': 4}
    hidden = pd.read_csv(out / 'test_boxes.csv')
    assert hidden.cls.value_counts().to_dict() == {'sneaker': 2, 'ankle_boot': 2}
    assert (out / 'classes.txt').read_text().split() == ['sneaker', 'ankle_boot']
    table = prepare_localize(out / 'train', tmp_path / 'lists', classes=out / 'classes.txt',
                             folds=2, test_dir=out / 'test')
    assert len(table.table) == 8 and table.classes == ['sneaker', 'ankle_boot']
    assert ((table.table.xmax <= table.table.width) & (table.table.xmin >= 0)).all()
    assert max(table.table.width.max(), table.table.height.max()) == 64
    assert sorted(pd.read_csv(tmp_path / 'lists/test.csv').image_id) == sorted(hidden.image_id)
    # the wide class has wide boxes, the tall one tall boxes: boxes follow the objects
    wide = train.astype({c: int for c in ('xmin', 'ymin', 'xmax', 'ymax')})
    ratio = (wide.xmax - wide.xmin) / (wide.ymax - wide.ymin)
    assert (ratio[wide.cls == 'sneaker'] > 1).all() and (ratio[wide.cls == 'ankle_boot'] < 1).all()


def test_refuses_a_foreign_folder_and_keeps_a_current_one(tmp_path, source):
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'mine.txt').write_text('keep')
    with pytest.raises(InputError, match='not empty'):
        build(foreign, source)
    assert [p.name for p in foreign.iterdir()] == ['mine.txt']
    out = tmp_path / 'set'
    build(out, source)
    stamp = (out / MARKER).stat().st_mtime_ns
    build(out, source)  # same spec: kept
    assert (out / MARKER).stat().st_mtime_ns == stamp
    build(out, source, seed=1)  # another spec: rebuilt whole
    assert (out / MARKER).stat().st_mtime_ns != stamp


def test_bad_requests_name_the_problem(tmp_path, source):
    with pytest.raises(InputError, match='not found'):
        build(tmp_path / 'a', tmp_path / 'nowhere')
    with pytest.raises(InputError, match='distinct names'):
        build(tmp_path / 'b', source, classes=('sneaker', 'robot'))
    with pytest.raises(InputError, match='evenly'):
        build(tmp_path / 'c', source, params=RealLocalizeParams(n_train=7, n_test=4))
    with pytest.raises(InputError, match='objects'):  # 10 sneakers in the fixture
        build(tmp_path / 'd', source, params=RealLocalizeParams(n_train=40, n_test=4))
    assert not any((tmp_path / n).exists() for n in 'abcd')


def test_bundled_backgrounds_are_photos():
    import cv2

    for path in bundled_backgrounds():
        img = cv2.imread(str(path))
        assert img is not None and min(img.shape[:2]) >= 400, path
        assert img.std() > 30  # a photograph, not a flat fill


@pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(),
                    reason='Debian package dataset-fashion-mnist not installed '
                    '(apt-get install dataset-fashion-mnist)')
def test_builds_from_the_real_fashion_mnist(tmp_path):
    out = tmp_path / 'real'
    build_real_localize(out, params=SMALL)
    assert boxes_of(out).cls.value_counts().to_dict() == {'sneaker': 4, 'ankle_boot': 4}
    assert len(list((out / 'test').glob('*.jpg'))) == 4
