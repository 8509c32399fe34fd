"""bench/dry_run.py: its dataset builder and one dry run on a small set."""
from __future__ import annotations

import csv

import pytest

from tests.bench.conftest import load_bench
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow  # a real dry run (a subprocess that imports the stack)


def test_small_set_is_sports_shaped_and_passes_the_dry_run(tmp_path):
    bench = load_bench('dry_run')
    from custom_modules.demo_data.sports_demo import generate

    generate(tmp_path / 'demo')
    # 60: every class at least 4 times, as the manifest's 4 folds need.
    bench.make_set(tmp_path / 'set', tmp_path / 'demo', 60)
    with open(tmp_path / 'set' / 'train.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 60 and len(list((tmp_path / 'set' / 'train').iterdir())) == 60
    assert len(list((tmp_path / 'set' / 'test').iterdir())) == 6
    manifest = tmp_path / 'user.py'
    manifest.write_text(f"_base_ = {str(REPO_ROOT / 'configs/solutions/sports_demo.py')!r}\n"
                        'demo_data = False\n')
    seconds, out = bench.dry_run(tmp_path / 'set', tmp_path / 'work', manifest)
    assert 'all checks passed' in out and 'train tiny fold0: will run' in out
    assert seconds > 0
    assert not (tmp_path / 'set' / 'lists').exists()  # a dry run writes no lists
