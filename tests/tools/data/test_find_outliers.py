"""tools/data/find_outliers.py: planted outliers rank first, rows stay with their images
(the scoring itself: tests/custom_modules/apis/test_outliers.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from custom_modules.demo_data.sports_demo import render
from custom_modules.utils.cli import run_cli
from tests.conftest import REPO_ROOT
from tools.data import find_outliers

CONFIG = REPO_ROOT / 'configs/sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py'
CLASSES = ['disc', 'h_stripes', 'v_stripes']
# a training disc again, labelled as stripes (a wrong label, as scraped data has); diagonal
# stripes, which no class has (junk)
PLANTED = {'x_wrong': 'h_stripes', 'x_diagonal': 'v_stripes'}


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> Path:
    """36 generated images + 2 planted outliers in a shuffled train.csv, and a model trained
    on them for a few seconds (its embeddings know the classes)."""
    import cv2
    from mmengine.config import Config
    from mmengine.dataset import Compose, pseudo_collate
    from mmpretrain.registry import MODELS, TRANSFORMS

    import custom_modules  # noqa: F401

    root = tmp_path_factory.mktemp('outliers')
    (root / 'train').mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for cls in CLASSES:
        for i in range(12):
            image_id = f'{cls}_{i:02d}'
            cv2.imwrite(str(root / 'train' / f'{image_id}.jpg'), render(cls, rng))
            rows.append((image_id, cls))
    yy, xx = np.mgrid[0:90, 0:90]
    diagonal = np.where((xx + yy) % 20 < 10, 230, 30).astype(np.uint8)
    cv2.imwrite(str(root / 'train' / 'x_diagonal.png'), np.dstack([diagonal] * 3))
    cv2.imwrite(str(root / 'train' / 'x_wrong.jpg'),
                cv2.imread(str(root / 'train' / 'disc_03.jpg')))
    rows += list(PLANTED.items())
    order = rng.permutation(len(rows))
    pd.DataFrame([rows[i] for i in order], columns=['image_id', 'label']).to_csv(
        root / 'train.csv', index=False)

    cfg = Config.fromfile(str(CONFIG))
    cfg.model.head.num_classes = len(CLASSES)
    torch.manual_seed(0)
    model = MODELS.build({**cfg.model, 'data_preprocessor': cfg.data_preprocessor})  # as Runner
    model.init_weights()
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.test_pipeline])
    clean = [(i, c) for i, c in rows if i not in PLANTED]
    batch = pseudo_collate([pipeline({'img_path': str(root / 'train' / f'{i}.jpg'),
                                      'gt_label': CLASSES.index(c)}) for i, c in clean])
    optim = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(40):
        data = model.data_preprocessor(batch, True)
        loss = model.loss(data['inputs'], data['data_samples'])['loss']
        optim.zero_grad()
        loss.backward()
        optim.step()
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': tuple(CLASSES)}}}, root / 'model.pth')
    return root


@pytest.mark.slow
def test_planted_outliers_rank_first_with_their_own_rows(data, tmp_path):
    out = tmp_path / 'out'
    assert run_cli(find_outliers.main, [
        str(CONFIG), str(data / 'model.pth'), '--csv', str(data / 'train.csv'), '--image-dir',
        str(data / 'train'), '--out-dir', str(out), '--top', '4', '--no-progress']) == 0
    table = pd.read_csv(out / 'outliers.csv')
    assert set(table['image_id'].head(2)) == set(PLANTED)
    assert table.loc[table['iforest_z'].idxmax(), 'image_id'] == 'x_diagonal'  # junk: the forest
    assert len(table) == 38 and table['rank'].tolist() == list(range(1, 39))
    # every row describes its own image: id, label from train.csv and path agree
    labels = dict(pd.read_csv(data / 'train.csv').values)
    for row in table.itertuples():
        assert Path(row.path).stem == row.image_id
        assert row.label == labels[row.image_id]
    wrong = table.set_index('image_id').loc['x_wrong']
    assert wrong['nearest_class'] == 'disc' and bool(wrong['closer_to_other'])
    assert (out / 'contact_sheet.png').stat().st_size > 1000
    emb = np.load(out / 'embeddings.npz')
    assert emb['embeddings'].shape[0] == 38
    assert len(list((data / 'train').iterdir())) == 38  # nothing deleted

