"""The action flow without its optional boxes CSV: train.sh then inference.sh, end to end.

The detector run and the rule that needs its detections are off, each with a printed line and a
row in the summary; everything else runs and the submission is complete. Kept short: the demo's
data and models, one recognizer (every launch costs ~20 s of imports on 2 cores), one epoch.
"""
from __future__ import annotations

import time

import pandas as pd
import pytest

from custom_modules.demo_data.action_demo import generate
from tests.conftest import REPO_ROOT, run_cli, stage_status

pytestmark = pytest.mark.slow

ONE_EPOCH = {'train_cfg.max_epochs': 1}


def short_demo_manifest(path):
    """The demo manifest with its data already in place (no generation) and one-epoch runs."""
    path.write_text(f'''_base_ = {str(REPO_ROOT / 'configs/solutions/demo.py')!r}
solution = 'demo_without_boxes'
demo_data = False
runs = [
    dict(name='tsm1', kind='recognizer', cfg_options={ONE_EPOCH!r},
         config='configs/tsm/tsm_mobilenetv2_1xb8-1x1x8-step-20e_action-demo-rawframes-64px.py'),
    dict(name='detector', kind='detector', needs_boxes=True,
         config='configs/faster_rcnn/faster-rcnn_tinyconvnet_fpn_1xb8-step-4e_action-demo-frames-96px.py'),
]
''')
    return path


def test_action_flow_without_boxes(tmp_path):
    t0 = time.monotonic()
    data = tmp_path / 'data'
    generate(data)
    boxes = data / 'train_boxes.csv'
    boxes.unlink()
    manifest = short_demo_manifest(tmp_path / 'demo_without_boxes.py')
    work = tmp_path / 'work'
    env = {'DATA_ROOT': str(data), 'WORK_DIR': str(work)}

    train = run_cli(['bash', str(REPO_ROOT / 'train.sh'), '1', str(manifest)], env=env,
                    timeout=900)
    assert train.returncode == 0, train.stdout[-5000:]
    assert f'[podium] run detector: off, no boxes CSV ({boxes})' in train.stdout
    assert stage_status(train.stdout, 'train tsm1 fold0') == 'ran'

    infer = run_cli(['bash', str(REPO_ROOT / 'inference.sh'), '1', str(manifest)], env=env,
                    timeout=900)
    assert infer.returncode == 0, infer.stdout[-5000:]
    assert stage_status(infer.stdout, 'postprocess + submission') == 'ran'
    rule = ("detector_count(det_class='box', min_score=0.7, min_count=8, then='move_down', "
            "when_pred_in=['move_left', 'move_right', 'move_up'])")
    reason = f'no boxes CSV ({boxes}), so no detector run'
    assert f'[podium] rule #0 {rule}: off, {reason}\n' in infer.stdout  # when it is decided
    summary = infer.stdout[infer.stdout.index('\nstage '):]  # and in the summary
    assert 'rules_off=1' in summary
    row = next(line for line in summary.splitlines() if line.startswith('rule #0 '))
    assert row.split()[2] == 'off' and row.endswith(f'{rule}: {reason}')

    submission = work / 'submission.csv'
    sub = pd.read_csv(submission)
    sample = pd.read_csv(data / 'sample_submission.csv')
    assert list(sub.columns) == ['video_filename', 'class']
    assert sub['video_filename'].tolist() == sample['video_filename'].tolist()
    assert set(sub['class']) <= set((data / 'classes.txt').read_text().split())
    assert not (work / 'detector').exists()
    assert not any(work.rglob('*det*.pkl'))
    print(f'action flow without boxes: {time.monotonic() - t0:.0f} s')

