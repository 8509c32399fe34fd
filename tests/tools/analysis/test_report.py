"""tools/analysis/report.py: renders report.html for an existing work dir; clean usage errors."""
from __future__ import annotations

import pytest

from custom_modules.utils.cli import run_cli
from tests.custom_modules.visualization.report.fixtures import Page, make_data_root, make_work_dir
from tools.analysis.report import main


def test_work_dir_with_a_data_root(tmp_path, capsys):
    count = make_work_dir(tmp_path / 'work')
    data = make_data_root(tmp_path / 'data')
    out = tmp_path / 'elsewhere.html'
    assert main(['--work-dir', str(tmp_path / 'work'), '--data-root', str(data),
                 '--out', str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    page = Page(out.read_text())
    assert len(page.images) == count + 1 and 'distribution' in page.tables
    assert dict(page.tables['facts'])['solution'] == 'work'  # named after the folder


def test_solution_name_uses_the_environment(tmp_path, monkeypatch):
    make_work_dir(tmp_path / 'work')
    monkeypatch.setenv('WORK_DIR', str(tmp_path / 'work'))
    monkeypatch.setenv('DATA_ROOT', str(make_data_root(tmp_path / 'data')))
    assert main(['demo']) == 0
    page = Page((tmp_path / 'work' / 'report.html').read_text())
    assert dict(page.tables['facts'])['solution'] == 'demo'
    assert page.tables['distribution'][1][:2] == ['ball', '6']


@pytest.mark.parametrize('argv', [[], ['demo', '--work-dir', 'x']])
def test_one_of_solution_and_work_dir(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert 'give a SOLUTION or --work-dir DIR' in capsys.readouterr().err


def test_missing_work_dir_is_one_clear_error(tmp_path, capsys):
    assert run_cli(main, ['--work-dir', str(tmp_path / 'nope')], prog='report') == 2
    err = capsys.readouterr().err
    assert '[report] error: ' in err and 'no such work dir' in err and 'Traceback' not in err
