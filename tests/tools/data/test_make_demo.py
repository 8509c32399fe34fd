"""tools/data/make_demo_data.py and make_{crash,sports,localize}_demo.py: the command lines."""
import importlib
import json
import logging

import pytest

from custom_modules.utils.cli import run_cli

CLIS = ['make_demo_data', 'make_crash_demo', 'make_sports_demo', 'make_localize_demo']


@pytest.mark.parametrize('name', CLIS)
def test_help_and_a_foreign_folder_exits_2(name, tmp_path, capsys):
    main = importlib.import_module(f'tools.data.{name}').main
    with pytest.raises(SystemExit):
        main(['--help'])
    assert 'SYNTHETIC' in capsys.readouterr().out
    (tmp_path / 'mine.txt').write_text('keep me')
    assert run_cli(main, ['--out-dir', str(tmp_path)], prog=name) == 2
    err = capsys.readouterr().err
    assert f'[{name}] error: {tmp_path} exists and was not made by {name}.py' in err
    assert [p.name for p in tmp_path.iterdir()] == ['mine.txt']


def test_generates_once_then_leaves_a_complete_folder(tmp_path, caplog):
    from tools.data.make_sports_demo import main

    out = tmp_path / 'sports'
    assert main(['--out', str(out), '--seed', '2']) == 0
    manifest = json.loads((out / 'synthetic_sports_manifest.json').read_text())
    assert manifest['seed'] == 2
    assert manifest['generator'] == 'podium tools/data/make_sports_demo.py'
    caplog.set_level(logging.INFO)
    assert main(['--out-dir', str(out), '--seed', '2']) == 0
    assert 'nothing to do' in caplog.text
