"""tools/predict_images.py: ids and order of the input, class names, top-k, sorting, trust."""
from __future__ import annotations

import csv
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import REPO_ROOT, CreatesFileWhenUnpickled
from tools.data.make_sports_demo import render
from tools.predict_images import Predictor, items_from_csv, main

CONFIG = REPO_ROOT / 'configs/sports/tinyconvnet_1xb16-cos-30e_sports-64.py'
CLASSES = ['ant', 'bee', 'cow']


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> Path:
    """Five images (one in a sub-folder, one PNG), a shuffled test.csv and a checkpoint."""
    import cv2
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    root = tmp_path_factory.mktemp('predict')
    rng = np.random.default_rng(0)
    names = ['b.jpg', 'a.jpg', 'sub/c.jpg', 'd.png', 'e.jpg']
    for i, name in enumerate(names):
        (root / 'img' / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / 'img' / name), render(['disc', 'checker', 'h_stripes'][i % 3], rng))
    (root / 'test.csv').write_text('image_id\ne\nsub/c.jpg\na\nd\nb.jpg\n')
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.head.num_classes = len(CLASSES)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': tuple(CLASSES)}}}, root / 'model.pth')
    return root


def read(path: Path) -> list[dict]:
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def reference_probs(data: Path, files: list[str]) -> np.ndarray:
    """One image at a time through the same model: what each row must hold."""
    predictor = Predictor(CONFIG, data / 'model.pth', len(CLASSES))
    return np.concatenate([predictor.predict([predictor.load(data / 'img' / f)]) for f in files])


def test_csv_ids_order_names_and_topk(data, tmp_path):
    out = tmp_path / 'preds.csv'
    code = main([str(CONFIG), str(data / 'model.pth'), '--csv', str(data / 'test.csv'),
                 '--image-dir', str(data / 'img'), '--out', str(out), '--topk', '2',
                 '--batch-size', '2', '--npz', str(tmp_path / 'p.npz'), '--no-progress'])
    assert code == 0
    rows = read(out)
    assert [r['image_id'] for r in rows] == ['e', 'sub/c.jpg', 'a', 'd', 'b.jpg']
    assert list(rows[0]) == ['image_id', 'label', 'top1_label', 'top1_prob', 'top2_label',
                             'top2_prob']
    expected = reference_probs(data, ['e.jpg', 'sub/c.jpg', 'a.jpg', 'd.png', 'b.jpg'])
    for row, probs in zip(rows, expected):
        assert row['label'] == row['top1_label'] == CLASSES[int(probs.argmax())]
        assert float(row['top1_prob']) == pytest.approx(probs.max(), abs=1e-5)
        assert float(row['top1_prob']) >= float(row['top2_prob'])
    saved = np.load(tmp_path / 'p.npz')
    assert saved['ids'].tolist() == [r['image_id'] for r in rows]
    np.testing.assert_allclose(saved['probs'], expected, atol=1e-5)


def test_folder_and_list_inputs(data, tmp_path):
    out = tmp_path / 'folder.csv'
    assert main([str(CONFIG), str(data / 'model.pth'), '--images', str(data / 'img'),
                 '--out', str(out), '--no-progress']) == 0
    assert [r['image_id'] for r in read(out)] == ['a.jpg', 'b.jpg', 'd.png', 'e.jpg',
                                                  'sub/c.jpg']
    (tmp_path / 'test.txt').write_text('sub/c.jpg -1\nd.png -1\n')
    (tmp_path / 'ids.txt').write_text('id_c\nid_d\n')
    out = tmp_path / 'list.csv'
    assert main([str(CONFIG), str(data / 'model.pth'), '--list', str(tmp_path / 'test.txt'),
                 '--image-dir', str(data / 'img'), '--ids', str(tmp_path / 'ids.txt'),
                 '--out', str(out), '--no-progress']) == 0
    assert [r['image_id'] for r in read(out)] == ['id_c', 'id_d']


def test_sort_into_class_folders(data, tmp_path):
    out, sorted_dir = tmp_path / 'preds.csv', tmp_path / 'sorted'
    assert main([str(CONFIG), str(data / 'model.pth'), '--csv', str(data / 'test.csv'),
                 '--image-dir', str(data / 'img'), '--out', str(out), '--sort-into',
                 str(sorted_dir), '--no-progress']) == 0
    links = {p.relative_to(sorted_dir).as_posix(): p for p in sorted_dir.rglob('*')
             if p.is_symlink()}
    expected = {'e': 'e.jpg', 'sub/c.jpg': 'sub__c.jpg', 'a': 'a.jpg', 'd': 'd.png',
                'b.jpg': 'b.jpg'}
    assert set(links) == {f'{r["label"]}/{expected[r["image_id"]]}' for r in read(out)}
    target = links[next(k for k in links if k.endswith('sub__c.jpg'))]
    assert Path(os.readlink(target)) == (data / 'img' / 'sub' / 'c.jpg').resolve()
    # a second run never overwrites what is there
    assert main([str(CONFIG), str(data / 'model.pth'), '--images', str(data / 'img'),
                 '--out', str(tmp_path / 'x.csv'), '--sort-into', str(sorted_dir),
                 '--no-progress']) == 1
    assert not (tmp_path / 'x.csv').exists()


def test_bad_inputs_are_named_and_nothing_is_written(data, tmp_path, capsys):
    (tmp_path / 'test.csv').write_text('image_id\na\nmissing\n')
    with pytest.raises(Exception, match=r'test.csv:3: image .missing. not found'):
        items_from_csv(tmp_path / 'test.csv', data / 'img')
    (tmp_path / 'img').mkdir()
    (tmp_path / 'img' / 'broken.jpg').write_bytes(b'not a jpeg at all')
    out = tmp_path / 'preds.csv'
    assert main([str(CONFIG), str(data / 'model.pth'), '--images', str(tmp_path / 'img'),
                 '--out', str(out), '--no-progress']) == 1
    assert 'broken.jpg' in capsys.readouterr().err
    assert not out.exists()


def test_untrusted_pickle_checkpoint_is_refused(data, tmp_path, capsys):
    marker = tmp_path / 'pwned'
    state = torch.load(data / 'model.pth', weights_only=True)
    state['meta']['evil'] = CreatesFileWhenUnpickled(str(marker))
    torch.save(state, tmp_path / 'evil.pth', pickle_protocol=pickle.DEFAULT_PROTOCOL)
    out = tmp_path / 'preds.csv'
    assert main([str(CONFIG), str(tmp_path / 'evil.pth'), '--images', str(data / 'img'),
                 '--classes', str(_classes(tmp_path)), '--out', str(out), '--no-progress']) == 1
    assert 'Refusing to unpickle' in capsys.readouterr().err
    assert not marker.exists() and not out.exists()


def _classes(tmp_path: Path) -> Path:
    path = tmp_path / 'classes.txt'
    path.write_text('\n'.join(CLASSES) + '\n')
    return path


def test_sort_into_by_copy(data, tmp_path):
    out, sorted_dir = tmp_path / 'preds.csv', tmp_path / 'copies'
    assert main([str(CONFIG), str(data / 'model.pth'), '--csv', str(data / 'test.csv'),
                 '--image-dir', str(data / 'img'), '--out', str(out), '--sort-into',
                 str(sorted_dir), '--sort-mode', 'copy', '--no-progress']) == 0
    files = [p for p in sorted_dir.rglob('*') if p.is_file()]
    assert len(files) == len(read(out)) and not any(p.is_symlink() for p in files)
    copied = next(p for p in files if p.name == 'sub__c.jpg')
    assert copied.read_bytes() == (data / 'img' / 'sub' / 'c.jpg').read_bytes()
