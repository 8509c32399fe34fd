"""tools/predict_images.py: ids and order of the input, class names, top-k, sorting, trust."""
from __future__ import annotations

import csv
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from custom_modules.apis import ImagePredictor
from custom_modules.utils.cli import run_cli
from tests.conftest import CreatesFileWhenUnpickled
from tests.predictor_fixtures import IMAGE_CLASSES, IMAGE_CONFIG
from tools import predict_images


def main(args: list) -> int:
    return run_cli(predict_images.main, [str(a) for a in args], prog='predict_images')


def read(path: Path) -> list[dict]:
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def reference_probs(data: Path, files: list[str]) -> np.ndarray:
    """One image at a time through the same model: what each row must hold."""
    predictor = ImagePredictor(IMAGE_CONFIG, data / 'model.pth', device='cpu')
    return np.concatenate([predictor.predict([predictor.load(data / 'img' / f)]) for f in files])


def test_csv_ids_order_names_and_topk(image_data, tmp_path):
    out = tmp_path / 'preds.csv'
    code = main([IMAGE_CONFIG, image_data / 'model.pth', '--csv', image_data / 'test.csv',
                 '--image-dir', image_data / 'img', '--out', out, '--topk', '2',
                 '--batch-size', '2', '--npz', tmp_path / 'p.npz', '--no-progress'])
    assert code == 0
    rows = read(out)
    assert [r['image_id'] for r in rows] == ['e', 'sub/c.jpg', 'a', 'd', 'b.jpg']
    assert list(rows[0]) == ['image_id', 'label', 'top1_label', 'top1_prob', 'top2_label',
                             'top2_prob']
    expected = reference_probs(image_data, ['e.jpg', 'sub/c.jpg', 'a.jpg', 'd.png', 'b.jpg'])
    for row, probs in zip(rows, expected):
        assert row['label'] == row['top1_label'] == IMAGE_CLASSES[int(probs.argmax())]
        assert float(row['top1_prob']) == pytest.approx(probs.max(), abs=1e-5)
        assert float(row['top1_prob']) >= float(row['top2_prob'])
    saved = np.load(tmp_path / 'p.npz')
    assert saved['ids'].tolist() == [r['image_id'] for r in rows]
    np.testing.assert_allclose(saved['probs'], expected, atol=1e-5)


def test_folder_and_list_inputs(image_data, tmp_path):
    out = tmp_path / 'folder.csv'
    assert main([IMAGE_CONFIG, image_data / 'model.pth', '--images', image_data / 'img',
                 '--out', out, '--no-progress']) == 0
    assert [r['image_id'] for r in read(out)] == ['a.jpg', 'b.jpg', 'd.png', 'e.jpg',
                                                  'sub/c.jpg']
    (tmp_path / 'test.txt').write_text('sub/c.jpg -1\nd.png -1\n')
    (tmp_path / 'ids.txt').write_text('id_c\nid_d\n')
    out = tmp_path / 'list.csv'
    assert main([IMAGE_CONFIG, image_data / 'model.pth', '--list', tmp_path / 'test.txt',
                 '--image-dir', image_data / 'img', '--ids', tmp_path / 'ids.txt',
                 '--out', out, '--no-progress']) == 0
    assert [r['image_id'] for r in read(out)] == ['id_c', 'id_d']


@pytest.mark.parametrize('mode', ['symlink', 'copy'])
def test_sort_into_class_folders(image_data, tmp_path, mode):
    out, sorted_dir = tmp_path / 'preds.csv', tmp_path / 'sorted'
    assert main([IMAGE_CONFIG, image_data / 'model.pth', '--csv', image_data / 'test.csv',
                 '--image-dir', image_data / 'img', '--out', out, '--sort-into', sorted_dir,
                 '--sort-mode', mode, '--no-progress']) == 0
    files = {p.relative_to(sorted_dir).as_posix(): p for p in sorted_dir.rglob('*')
             if p.is_file()}
    expected = {'e': 'e.jpg', 'sub/c.jpg': 'sub__c.jpg', 'a': 'a.jpg', 'd': 'd.png',
                'b.jpg': 'b.jpg'}
    assert set(files) == {f'{r["label"]}/{expected[r["image_id"]]}' for r in read(out)}
    target = files[next(k for k in files if k.endswith('sub__c.jpg'))]
    assert target.is_symlink() == (mode == 'symlink')
    if mode == 'symlink':
        assert Path(os.readlink(target)) == (image_data / 'img' / 'sub' / 'c.jpg').resolve()
    assert target.read_bytes() == (image_data / 'img' / 'sub' / 'c.jpg').read_bytes()
    # a second run never overwrites what is there
    assert main([IMAGE_CONFIG, image_data / 'model.pth', '--images', image_data / 'img',
                 '--out', tmp_path / 'x.csv', '--sort-into', sorted_dir, '--no-progress']) == 2
    assert not (tmp_path / 'x.csv').exists()


def test_bad_inputs_are_named_and_nothing_is_written(image_data, tmp_path, capsys):
    (tmp_path / 'img').mkdir()
    (tmp_path / 'img' / 'broken.jpg').write_bytes(b'not a jpeg at all')
    out = tmp_path / 'preds.csv'
    assert main([IMAGE_CONFIG, image_data / 'model.pth', '--images', tmp_path / 'img',
                 '--out', out, '--no-progress']) == 2
    assert 'broken.jpg' in capsys.readouterr().err
    assert not out.exists()
    assert main([IMAGE_CONFIG, image_data / 'model.pth', '--images', tmp_path / 'img',
                 '--topk', '4', '--out', out, '--no-progress']) == 2
    assert '--topk 4 but only 3 classes' in capsys.readouterr().err


def test_untrusted_pickle_checkpoint_is_refused(image_data, tmp_path, capsys):
    marker = tmp_path / 'pwned'
    state = torch.load(image_data / 'model.pth', weights_only=True)
    state['meta']['evil'] = CreatesFileWhenUnpickled(str(marker))
    torch.save(state, tmp_path / 'evil.pth', pickle_protocol=pickle.DEFAULT_PROTOCOL)
    classes = tmp_path / 'classes.txt'
    classes.write_text('\n'.join(IMAGE_CLASSES) + '\n')
    out = tmp_path / 'preds.csv'
    assert main([IMAGE_CONFIG, tmp_path / 'evil.pth', '--images', image_data / 'img',
                 '--classes', classes, '--out', out, '--no-progress']) == 2
    assert 'Refusing to unpickle' in capsys.readouterr().err
    assert not marker.exists() and not out.exists()
