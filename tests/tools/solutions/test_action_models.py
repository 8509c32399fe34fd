"""One training iteration and one test pass of the action solution's real models on CPU."""
from __future__ import annotations

import pickle

import pytest
import torch

from tests.conftest import REPO_ROOT, run_cli
from tools.solutions.action import wiring
from tools.solutions.launch import cfg_options_args

pytestmark = pytest.mark.slow


def one_iteration_then_dump(run, paths, tmp_path, extra):
    options = {**wiring(run, paths, 0), **extra}
    for split in ('train', 'test'):
        options.update({f'{split}_dataloader.num_workers': 0,
                        f'{split}_dataloader.persistent_workers': False,
                        f'{split}_dataloader.batch_size': 1})
    options.update({'train_dataloader.dataset.indices': 1, 'test_dataloader.dataset.indices': 2,
                    'train_cfg.max_epochs': 1, 'val_cfg': None, 'val_dataloader': None,
                    'val_evaluator': None})
    work_dir = tmp_path / run.name
    out = run_cli(['python', str(REPO_ROOT / 'tools/train.py'), str(run.config), '--work-dir',
                   str(work_dir), *cfg_options_args(options)], timeout=600)
    assert out.returncode == 0, out.stdout[-4000:]
    assert 'Epoch(train) [1][1/1]' in out.stdout
    dump = tmp_path / f'{run.name}.pkl'
    out = run_cli(['python', str(REPO_ROOT / 'tools/test.py'), str(run.config),
                   str(work_dir / 'epoch_1.pth'), '--work-dir', str(work_dir), '--dump', str(dump),
                   *cfg_options_args(options)], timeout=600)
    assert out.returncode == 0, out.stdout[-4000:]
    return pickle.loads(dump.read_bytes())


def test_tsm_r50_trains_and_predicts(demo_manifest, tmp_path):
    from tools.solutions.manifest import load_manifest

    manifest, paths = demo_manifest
    tsm = load_manifest('action', env={}).runs[0]  # the real TSM-R50 config, no pretrained file
    preds = one_iteration_then_dump(tsm, paths, tmp_path, {})
    assert len(preds) == 2
    assert preds[0]['pred_score'].shape == (len(paths.classes()), )
    test_stems = (paths.lists / 'test_ids.txt').read_text().split()[:2]
    assert [p['frame_dir'].rstrip('/').split('/')[-1] for p in preds] == [
        s.rsplit('.', 1)[0] for s in test_stems]


@pytest.mark.ops
def test_faster_rcnn_r50_trains_and_predicts(demo_manifest, tmp_path):
    from tools.solutions.manifest import load_manifest

    manifest, paths = demo_manifest
    detector = load_manifest('action', env={}).runs[2]
    small = {'train_dataloader.dataset.pipeline.2.scale': (320, 320),
             'test_dataloader.dataset.pipeline.1.scale': (320, 320)}
    preds = one_iteration_then_dump(detector, paths, tmp_path, small)
    assert len(preds) == 2
    instances = preds[0]['pred_instances']
    assert set(instances) >= {'bboxes', 'scores', 'labels'}
    assert preds[0]['img_path'].endswith('img_00001.jpg')
    n = len(instances['labels'])
    assert len(instances['bboxes']) == len(instances['scores']) == n
    assert all(0 <= int(label) < len(paths.det_classes()) for label in instances['labels'])
    # the wiring gave the model the dataset's classes (the config's own are the origin's) and
    # sized its classifier for them (+1 background): the label check above cannot pass on a
    # mis-wired model that happened to detect nothing
    ckpt = torch.load(tmp_path / detector.name / 'epoch_1.pth', map_location='cpu',
                      weights_only=False)
    assert list(ckpt['meta']['dataset_meta']['classes']) == paths.det_classes()
    assert paths.det_classes() != ['ride_kick', 'fall_down']
    fc_cls = ckpt['state_dict']['roi_head.bbox_head.fc_cls.weight']
    assert fc_cls.shape[0] == len(paths.det_classes()) + 1
