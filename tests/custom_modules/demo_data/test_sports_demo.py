"""demo_data/sports_demo.py: deterministic, complete, idempotent, never touches others."""
from __future__ import annotations

import pandas as pd
import pytest

from custom_modules.demo_data.sports_demo import CLASSES, TEST_PER_CLASS, TRAIN_COUNTS, generate


def test_layout_determinism_and_idempotence(tmp_path, dir_bytes):
    a, b = tmp_path / 'a', tmp_path / 'b'
    assert generate(a, seed=3) and generate(b, seed=3)
    assert dir_bytes(a) == dir_bytes(b)
    train, test = pd.read_csv(a / 'train.csv'), pd.read_csv(a / 'test.csv')
    assert train['label'].value_counts().to_dict() == dict(zip(CLASSES, TRAIN_COUNTS))
    assert len(test) == TEST_PER_CLASS * len(CLASSES) and list(test.columns) == ['image_id']
    truth = pd.read_csv(a / 'test_labels_synthetic.csv')
    assert truth['image_id'].tolist() == test['image_id'].tolist()
    assert (a / 'classes.txt').read_text().split() == list(CLASSES)
    assert 'SYNTHETIC' in (a / 'README_synthetic.txt').read_text()
    assert len(list((a / 'train').iterdir())) == sum(TRAIN_COUNTS)
    assert not generate(a, seed=3)  # complete: left alone
    (a / 'train.csv').write_text('changed')
    with pytest.raises(FileExistsError, match='was changed since'):
        generate(a, seed=3)  # changed by someone: refused
    assert generate(a, seed=3, force=True) and dir_bytes(a) == dir_bytes(b)  # forced


def test_foreign_folder_is_not_touched(tmp_path):
    (tmp_path / 'mine.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='not made by make_sports_demo'):
        generate(tmp_path)
    assert (tmp_path / 'mine.txt').read_text() == 'keep me'
