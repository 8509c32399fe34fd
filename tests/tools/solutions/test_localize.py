"""`bash train.sh 1 localize_demo && bash inference.sh 1 localize_demo` on generated images.

The task must be learnable: the submission's mean IoU on the hidden SYNTHETIC test boxes is
compared with a constant-box baseline (the mean training box, in relative coordinates, placed
on every test image).
"""
from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest

from custom_modules.evaluation.localize_metric import box_iou
from tests.conftest import REPO_ROOT, run_cli, stage_status

BOX = ['xmin', 'ymin', 'xmax', 'ymax']


def constant_box_baseline(data, fold: int = 0) -> float:
    """mIoU on the test images of the mean training box (relative to each image's size)."""
    ann = pd.read_csv(data / 'lists' / 'annotations.csv')
    mean = ann[ann['fold'] != fold][[f'{b}_n' for b in BOX]].mean().to_numpy()
    test = pd.read_csv(data / 'lists' / 'test.csv').merge(
        pd.read_csv(data / 'test_boxes_synthetic.csv'), on='image_id')
    size = test[['width', 'height', 'width', 'height']].to_numpy()
    return float(box_iou(mean * size, test[BOX].to_numpy()).mean())


@pytest.mark.slow
def test_localize_demo_end_to_end(tmp_path):
    t0 = time.monotonic()
    data, work = tmp_path / 'data', tmp_path / 'work'
    env = {'DATA_ROOT': str(data), 'WORK_DIR': str(work)}
    train = run_cli(['bash', str(REPO_ROOT / 'train.sh'), '1', 'localize_demo'], env=env,
                    timeout=600)
    assert train.returncode == 0, train.stdout[-5000:]
    for stage in ('generate demo data', 'prepare folds', 'train tiny fold0',
                  'validate tiny fold0'):
        assert stage_status(train.stdout, stage) == 'ran'
    run = work / 'tiny' / 'fold0'
    for name in ('curves.png', 'top3_best.png', 'top3_worst.png'):
        assert (run / name).is_file(), name
    log = (run / 'podium_train.log').read_text()
    # TinyConvNet has no pretrained weights: trained whole from the start (issue 16)
    assert 'ProgressiveUnfreezeHook: backbone loads no pretrained weights' in log
    assert 'backbone trainable: last 0 of 4 stages' not in log
    val_miou = float(re.search(r'^validate tiny fold0 .*\bmIoU=([\d.]+)', train.stdout,
                               re.MULTILINE).group(1))
    # metrics.json scores fold 0's images, and its mIoU is the stage table's (4 digits there)
    metrics = json.loads((run / 'metrics.json').read_text())
    val_ids = pd.read_csv(data / 'lists' / 'annotations.csv', dtype={'image_id': str})
    val_ids = val_ids.loc[val_ids['fold'] == 0, 'image_id']
    assert set(metrics) == {'fold', 'images', 'mIoU', 'accuracy', 'IoU@0.5', 'IoU@0.75'}
    assert metrics['fold'] == 0 and metrics['images'] == len(val_ids)
    assert metrics['mIoU'] == pytest.approx(val_miou, abs=1e-4)
    assert 0 <= metrics['IoU@0.75'] <= metrics['IoU@0.5'] <= 1 and 0 <= metrics['accuracy'] <= 1
    val_preds = pd.read_csv(run / 'val_predictions.csv', dtype={'image_id': str})
    assert list(val_preds.columns) == ['image_id', 'label', 'score', *BOX]
    assert sorted(val_preds['image_id']) == sorted(val_ids)

    infer = run_cli(['bash', str(REPO_ROOT / 'inference.sh'), '1', 'localize_demo'], env=env,
                    timeout=600)
    assert infer.returncode == 0, infer.stdout[-5000:]
    submission = work / 'submission.csv'
    assert infer.stdout.strip().splitlines()[-1] == str(submission)
    assert (work / 'top3_best.png').is_file() and (work / 'top3_worst.png').is_file()
    sub = pd.read_csv(submission)
    test = pd.read_csv(data / 'lists' / 'test.csv')
    assert list(sub.columns) == ['image_id', 'label', 'score', *BOX]
    assert sub['image_id'].tolist() == test['image_id'].tolist()
    assert set(sub['label']) <= {'disc', 'square'}
    assert sub['score'].between(0.5, 1).all()
    assert (sub['xmin'] < sub['xmax']).all() and (sub['ymin'] < sub['ymax']).all()
    assert (sub['xmin'] >= 0).all() and (sub['xmax'] <= test['width']).all()
    assert (sub['ymin'] >= 0).all() and (sub['ymax'] <= test['height']).all()

    # Scored here from the files, independently of the flow's own figures.
    truth = pd.read_csv(data / 'test_boxes_synthetic.csv')
    merged = sub.merge(truth, on='image_id', suffixes=('', '_gt'))
    assert len(merged) == len(sub)
    test_miou = float(box_iou(merged[BOX].to_numpy(),
                              merged[[f'{b}_gt' for b in BOX]].to_numpy()).mean())
    test_acc = float((merged['label'] == merged['cls']).mean())
    baseline = constant_box_baseline(data)
    reported = float(re.search(r'test_mIoU=([\d.]+)', infer.stdout).group(1))
    assert abs(reported - test_miou) < 2e-3  # the CSV's boxes are rounded to 0.01 px
    print(f'localize_demo: val mIoU {val_miou:.3f}; test mIoU {test_miou:.3f} vs constant-box '
          f'baseline {baseline:.3f}; test accuracy {test_acc:.3f}; '
          f'{time.monotonic() - t0:.0f} s')
    assert test_miou >= 0.6 and test_miou >= baseline + 0.3
    assert test_acc >= 0.9


def test_missing_data_and_missing_weights_are_clear_errors(tmp_path, capsys, monkeypatch):
    from custom_modules.demo_data.localize_demo import LocalizeDemoParams, generate
    from custom_modules.utils.errors import InputError
    from tools.run_solution import main
    from tools.solutions.localize import train_all
    from tools.solutions.manifest import load_manifest
    from tools.solutions.stages import Pipeline

    monkeypatch.setenv('DATA_ROOT', str(tmp_path / 'nothing'))
    monkeypatch.setenv('WORK_DIR', str(tmp_path / 'work'))
    assert main(['train', '--solution', 'localize']) == 2
    err = capsys.readouterr().err  # the preflight names both folders and the weights at once
    assert f'{tmp_path / "nothing" / "train"}: folder not found' in err
    assert f'{tmp_path / "nothing" / "test"}: folder not found' in err
    assert 'efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth' in err

    # Real recipe, real-looking data, no ImageNet weights on disk: says what to put where.
    # 16 images: each class has at least 5, as many as the recipe's folds
    generate(tmp_path / 'data', p=LocalizeDemoParams(n_train=16, n_test=2))
    manifest = load_manifest('localize', env={'DATA_ROOT': str(tmp_path / 'data'),
                                              'WORK_DIR': str(tmp_path / 'work')})
    # The weights file is moved to a folder that cannot hold it, so that the check does not
    # depend on whether this checkout has the weights installed.
    weights = 'efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth'
    run = manifest.runs[0]
    assert run.pretrained['file'] == f'checkpoints/{weights}'
    absent = tmp_path / 'no_checkpoints' / weights
    run.pretrained = {**run.pretrained, 'file': str(absent)}
    with pytest.raises(InputError) as err:
        train_all(manifest, 1, Pipeline())
    message = str(err.value)
    assert f'at {absent} ' in message and 'no step downloads it' in message
    assert (tmp_path / 'data' / 'lists' / 'annotations.csv').is_file()  # prepared first


def test_folds_are_averaged_by_image_id():
    from tools.solutions.localize import average_predictions
    from tools.solutions.stages import StageFailed

    a = pd.DataFrame({'image_id': ['x', 'y'], 'prob_0': [0.9, 0.2], 'prob_1': [0.1, 0.8],
                      'xmin': [0, 10], 'ymin': [0, 10], 'xmax': [10, 20], 'ymax': [10, 20]})
    b = pd.DataFrame({'image_id': ['y', 'x'], 'prob_0': [0.7, 0.3], 'prob_1': [0.3, 0.7],
                      'xmin': [20, 4], 'ymin': [10, 4], 'xmax': [40, 14], 'ymax': [20, 14]})
    out = average_predictions([a, b], [1.0, 3.0], ['x', 'y']).set_index('image_id')
    assert out.loc['x', 'label'] == 1 and out.loc['x', 'score'] == pytest.approx(0.55)
    assert out.loc['y', 'label'] == 0 and out.loc['y', 'score'] == pytest.approx(0.575)
    assert out.loc['x', BOX].tolist() == pytest.approx([3, 3, 13, 13])
    assert out.loc['y', BOX].tolist() == pytest.approx([17.5, 10, 35, 20])
    with pytest.raises(StageFailed, match="misses 1 test images, e.g. \\['z'\\]"):
        average_predictions([a], [1.0], ['x', 'z'])
