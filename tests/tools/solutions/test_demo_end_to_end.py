"""`bash train.sh 1 demo && bash inference.sh 1 demo` on generated data, then resumption."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.conftest import REPO_ROOT, run_cli, stage_status

pytestmark = pytest.mark.slow


@pytest.mark.ops  # trains and runs the Faster R-CNN
def test_demo_train_and_inference(tmp_path):
    env = {'DATA_ROOT': str(tmp_path / 'demo'), 'WORK_DIR': str(tmp_path / 'work')}
    train = run_cli(['bash', str(REPO_ROOT / 'train.sh'), '1', 'demo'], env=env, timeout=1200)
    assert train.returncode == 0, train.stdout[-5000:]
    for stage in ('train tsm1 fold0', 'train tsm2 fold0', 'train detector fold0'):
        assert stage_status(train.stdout, stage) == 'ran'
    val_acc = float(re.search(r'^train tsm1 fold0 .*acc/top1=([\d.]+)', train.stdout,
                              re.MULTILINE).group(1))
    work = tmp_path / 'work'
    for run in ('tsm1', 'tsm2', 'detector'):
        assert (work / run / 'fold0' / 'curves.png').is_file()
    assert (work / 'tsm1' / 'fold0' / 'confusion_matrix.png').is_file()

    infer = run_cli(['bash', str(REPO_ROOT / 'inference.sh'), '1', 'demo'], env=env,
                    timeout=1200)
    assert infer.returncode == 0, infer.stdout[-5000:]
    submission = work / 'submission.csv'
    assert infer.stdout.strip().splitlines()[-1] == str(submission)
    sub = pd.read_csv(submission)
    sample = pd.read_csv(tmp_path / 'demo' / 'sample_submission.csv')
    assert list(sub.columns) == ['video_filename', 'class']
    assert sub['video_filename'].tolist() == sample['video_filename'].tolist()
    classes = (tmp_path / 'demo' / 'lists' / 'classes.txt').read_text().split()
    assert set(sub['class']) <= set(classes)
    test_acc = float(re.search(r'test_acc=([\d.]+)', infer.stdout).group(1))
    # 4 classes: chance is 0.25; the figures go to the README.
    print(f'demo: validation accuracy {val_acc:.3f}, test accuracy {test_acc:.3f}')
    assert val_acc >= 0.5 and test_acc >= 0.45

    # Nothing changed: a dry run plans to skip every training; one that lost its done marker
    # runs again, and resumes at its last epoch (a real resume after a kill: test_crash.py,
    # tests/tools/test_train_resume_exact.py).
    (work / 'tsm2' / 'fold0' / 'done.json').unlink()
    plan = run_cli(['bash', str(REPO_ROOT / 'train.sh'), '1', 'demo', '--dry-run'], env=env,
                   timeout=600)
    assert plan.returncode == 0, plan.stdout[-5000:]
    for stage, status in (('tsm1', 'will skip'), ('detector', 'will skip'), ('tsm2', 'will run')):
        assert f'[podium] train {stage} fold0: {status}' in plan.stdout, plan.stdout[-5000:]


def test_missing_data_is_a_clear_error(tmp_path):
    env = {'DATA_ROOT': str(tmp_path / 'nothing'), 'WORK_DIR': str(tmp_path / 'work')}
    out = run_cli(['bash', str(REPO_ROOT / 'train.sh'), '1', 'action'], env=env, timeout=120)
    assert out.returncode == 2  # bad input
    assert f'{tmp_path / "nothing" / "train.csv"}: file not found' in out.stdout
