"""tools/analysis/best_worst.py: galleries from a submission CSV, ranked by score (no truth)."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import REPO_ROOT, run_cli
from tests.custom_modules.visualization.test_best_worst import make_case


@pytest.mark.slow
def test_cli_with_a_submission_csv_and_no_truth(tmp_path):
    _, images, _, _ = make_case(tmp_path)
    csv = tmp_path / 'submission.csv'
    pd.DataFrame({'image_id': ['a', 'b', 'c'], 'label': ['disc', 'sq', 'disc'],
                  'score': [0.9, 0.6, 0.99], 'xmin': 0, 'ymin': 0, 'xmax': 5,
                  'ymax': 5}).to_csv(csv, index=False)
    (tmp_path / 'classes.txt').write_text('disc\nsq\n')
    out = run_cli(['python', str(REPO_ROOT / 'tools/analysis/best_worst.py'), str(csv),
                   '--images', str(images), '--classes', str(tmp_path / 'classes.txt'),
                   '--out-dir', str(tmp_path / 'g'), '--k', '3'], timeout=120)
    assert out.returncode == 0, out.stdout
    assert (tmp_path / 'g' / 'top3_confident.png').is_file()
    assert (tmp_path / 'g' / 'top3_least_confident.png').is_file()


@pytest.mark.slow
def test_cli_missing_predictions_is_one_clear_error(tmp_path):
    out = run_cli(['python', str(REPO_ROOT / 'tools/analysis/best_worst.py'),
                   str(tmp_path / 'nope.csv'), '--images', str(tmp_path)], timeout=120)
    assert out.returncode == 2, out.stdout
    assert 'nope.csv: cannot read as CSV' in out.stdout and 'Traceback' not in out.stdout
