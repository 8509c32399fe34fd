"""tools/test.py --tta on the sports demo's TinyConvNet: one prediction a sample, flips averaged."""
from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import REPO_ROOT

SPORTS_TINY = REPO_ROOT / 'configs/sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py'
CLASSES = ['a', 'b', 'c']


def write_images(root: Path) -> list[str]:
    """Two left-right symmetric 64 x 64 images and two asymmetric ones; returns their names."""
    rng = np.random.default_rng(0)
    names = []
    for k in range(4):
        img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        if k < 2:
            img[:, 32:] = img[:, :32][:, ::-1]  # mirror image of itself
        name = f'{"sym" if k < 2 else "asym"}{k}.png'
        assert cv2.imwrite(str(root / name), img)
        names.append(name)
    return names


@pytest.fixture(scope='module')
def tested(tmp_path_factory) -> tuple[list, list, list[str]]:
    """The plain and the --tta dumps of one randomly initialised checkpoint on 4 images."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    import custom_modules  # noqa: F401  (registration)
    from tools import test as test_tool

    tmp = tmp_path_factory.mktemp('tta')
    images = tmp / 'images'
    images.mkdir()
    names = write_images(images)
    (tmp / 'classes.txt').write_text('\n'.join(CLASSES) + '\n')
    (tmp / 'val.txt').write_text(''.join(f'{n} {k % 3}\n' for k, n in enumerate(names)))
    cfg = Config.fromfile(str(SPORTS_TINY))
    cfg.model.head.num_classes = len(CLASSES)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = tmp / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    options = ['model.head.num_classes=3', 'data_preprocessor.num_classes=3',
               f'test_dataloader.dataset.ann_file={tmp / "val.txt"}',
               f'test_dataloader.dataset.data_prefix={images}',
               f'test_dataloader.dataset.classes={tmp / "classes.txt"}',
               f'test_evaluator.train_ann_file={tmp / "val.txt"}']
    dumps = []
    for extra in ([], ['--tta']):
        dump = tmp / f'preds{"_tta" if extra else ""}.pkl'
        assert test_tool.main([str(SPORTS_TINY), str(ckpt), '--work-dir', str(tmp / 'wd'),
                               '--dump', str(dump), *extra, '--cfg-options', *options]) == 0
        dumps.append(pickle.loads(dump.read_bytes()))
    return dumps[0], dumps[1], names


def test_tta_gives_one_prediction_per_sample(tested):
    plain, tta, names = tested
    assert len(plain) == len(tta) == len(names)
    assert sorted(Path(s['img_path']).name for s in tta) == sorted(names)
    for sample in tta:
        assert sample['pred_score'].shape == (3, )
        assert int(sample['pred_label'].reshape(-1)[0]) == int(sample['pred_score'].argmax())
        assert not sample['flip']  # the merged sample carries the plain view's metainfo


def test_flip_tta_of_a_symmetric_image_equals_the_plain_prediction(tested):
    plain, tta, _ = tested
    by_name = {Path(s['img_path']).name: s['pred_score'] for s in plain}
    changed = 0
    for sample in tta:
        name = Path(sample['img_path']).name
        if name.startswith('sym'):
            torch.testing.assert_close(sample['pred_score'], by_name[name], atol=1e-5, rtol=0)
        else:
            changed += not torch.allclose(sample['pred_score'], by_name[name], atol=1e-6)
    assert changed, 'flip TTA of asymmetric images should move their scores'
