"""tools/analysis/plot_curves.py: one PNG per work_dir; a bad work_dir is reported, not fatal."""
from __future__ import annotations

import pytest

from tests.custom_modules.visualization.test_curves import train, val, write_run
from tools.analysis.plot_curves import main


def test_cli_one_png_per_work_dir(tmp_path):
    work_dirs = [tmp_path / 'a', tmp_path / 'b']
    for work_dir in work_dirs:
        write_run(work_dir, '20240101_000000', [train(1, 1, 1.0), val(1, 50.0)])
    assert main([str(w) for w in work_dirs]) == 0
    assert all((w / 'curves.png').is_file() for w in work_dirs)
    with pytest.raises(SystemExit):
        main([*map(str, work_dirs), '--out', str(tmp_path / 'x.png')])


def test_cli_reports_a_bad_work_dir_and_plots_the_others(tmp_path, capsys):
    empty = tmp_path / 'empty_run'
    (empty / '20240101_000000' / 'vis_data').mkdir(parents=True)  # e.g. a test run's folder
    good = tmp_path / 'good'
    write_run(good, '20240101_000000', [train(1, 1, 1.0)])
    assert main([str(empty), str(good)]) == 1
    assert 'empty_run: no training scalars' in capsys.readouterr().err
    assert (good / 'curves.png').is_file() and not (empty / 'curves.png').exists()
