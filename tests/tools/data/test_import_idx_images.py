"""tools/data/import_idx_images.py: IDX files -> the sports layout, and its errors."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.custom_modules.data_prep.test_idx_images import write_idx
from tools.data import import_idx_images


def make_source(folder, n_train=40, n_test=20):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (('train', n_train), ('t10k', n_test)):
        write_idx(folder / f'{prefix}-images-idx3-ubyte',
                  rng.integers(0, 256, (n, 8, 8), dtype=np.uint8))
        write_idx(folder / f'{prefix}-labels-idx1-ubyte', np.arange(n, dtype=np.uint8) % 10)
    return folder


def test_import_subset(tmp_path, capsys):
    source = make_source(tmp_path / 'src')
    out = tmp_path / 'data'
    assert import_idx_images.main(['--source', str(source), '--out', str(out),
                                   '--train-size', '20', '--test-size', '10']) == 0
    train = pd.read_csv(out / 'train.csv')
    assert len(train) == 20 and train.label.value_counts().tolist() == [2] * 10
    assert set(train.label) == set(import_idx_images.FASHION_MNIST_CLASSES)
    assert len(list((out / 'test').glob('*.png'))) == 10
    assert 'wrote' in capsys.readouterr().out


def test_missing_source_names_the_file(tmp_path, capsys):
    status = import_idx_images.run_cli(import_idx_images.main, [
        '--source', str(tmp_path), '--out', str(tmp_path / 'out')], prog='import_idx_images')
    assert status == 2
    assert 'train-images-idx3-ubyte(.gz) not found' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_class_list_too_short(tmp_path, capsys):
    source = make_source(tmp_path / 'src')
    classes = tmp_path / 'classes.txt'
    classes.write_text('a\nb\n')
    status = import_idx_images.run_cli(import_idx_images.main, [
        '--source', str(source), '--classes', str(classes), '--out', str(tmp_path / 'out'),
        '--train-size', '10', '--test-size', '5'], prog='import_idx_images')
    assert status == 2
    assert 'train-labels-idx1-ubyte.gz:3: label 2 is outside the 2 classes' in \
        capsys.readouterr().err
    assert not (tmp_path / 'out').exists()
