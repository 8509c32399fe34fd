"""OOF tables: atomic write, read back with the same values, every bad row named with its line."""
import re

import numpy as np
import pytest

from custom_modules.predictions import (
    OofPredictions,
    PredictionError,
    check_coverage,
    read_oof,
    write_oof,
)
from custom_modules.utils.validation import DataError

CLASSES = ['cat', 'dog', 'fish']


def _table():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [1 / 3, 1 / 3, 1 / 3]])
    return ['a', 'b', 'c', 'd'], [0, 0, 1, 1], ['cat', 'dog', 'cat', 'fish'], probs


def test_write_then_read_round_trip(tmp_path):
    ids, folds, labels, probs = _table()
    path = write_oof(tmp_path / 'run' / 'oof.csv', ids, folds, labels, probs, CLASSES)
    assert path.read_text().splitlines()[0] == 'sample_id,fold,label,cat,dog,fish'
    oof = read_oof(path)
    assert isinstance(oof, OofPredictions)
    assert oof.ids == ids and oof.labels == labels and oof.classes == CLASSES
    assert oof.folds.tolist() == folds and oof.folds.dtype == np.int64
    assert oof.probs.dtype == np.float64
    np.testing.assert_allclose(oof.probs, probs, atol=1e-8)
    assert oof.targets.tolist() == [0, 1, 0, 2]
    assert oof.fold_ids == [0, 1]
    assert oof.fold(1).ids == ['c', 'd']
    assert oof.select(['d', 'a']).labels == ['fish', 'cat']
    assert list(tmp_path.joinpath('run').iterdir()) == [path]  # no temporary left behind


def test_write_refuses_bad_tables_and_keeps_the_old_file(tmp_path):
    ids, folds, labels, probs = _table()
    path = write_oof(tmp_path / 'oof.csv', ids, folds, labels, probs, CLASSES)
    before = path.read_text()
    with pytest.raises(PredictionError, match=r"more than once: \['a'\]"):
        write_oof(path, ['a', 'a', 'c', 'd'], folds, labels, probs, CLASSES)
    with pytest.raises(PredictionError, match='not among the classes'):
        write_oof(path, ids, folds, ['cat', 'cow', 'cat', 'fish'], probs, CLASSES)
    with pytest.raises(PredictionError, match='shape'):
        write_oof(path, ids, folds, labels, probs[:, :2], CLASSES)
    assert path.read_text() == before


def test_read_names_file_and_line_of_every_bad_row(tmp_path):
    path = tmp_path / 'oof.csv'
    path.write_text('sample_id,fold,label,cat,dog\n'
                    'a,0,cat,0.9,0.1\n'
                    'a,1,dog,0.2,0.8\n'
                    'b,x,cat,0.5,0.5\n'
                    'c,0,cow,0.5,0.5\n'
                    'd,0,cat,0.5\n'
                    'e,1,dog,nan,0.5\n')
    with pytest.raises(DataError) as err:
        read_oof(path)
    text = str(err.value)
    assert f"{path}:3: sample_id 'a' repeated (first on line 2)" in text
    assert f"{path}:4: fold 'x'" in text
    assert f"{path}:5: label 'cow'" in text
    assert f'{path}:6: 4 cells, expected 5' in text
    assert f'{path}:7: probabilities must be finite' in text


def test_read_bad_header_and_missing_file(tmp_path):
    path = tmp_path / 'oof.csv'
    path.write_text('id,label,cat\na,cat,1\n')
    head = re.escape(f'{path}:1: header must be sample_id,fold,label')
    with pytest.raises(DataError, match=head):
        read_oof(path)
    with pytest.raises(DataError, match='not found'):
        read_oof(tmp_path / 'none.csv')


def test_check_coverage_names_missing_duplicate_and_extra_ids():
    check_coverage(['b', 'a'], ['a', 'b'], 'run1')
    with pytest.raises(PredictionError) as err:
        check_coverage(['a', 'a', 'z'], ['a', 'b'], 'run1', folds=[0, 1])
    text = str(err.value)
    assert "more than one fold: ['a']" in text
    assert "1 training id(s) in no validation fold (folds trained: [0, 1]): ['b']" in text
    assert "not in the training data: ['z']" in text
