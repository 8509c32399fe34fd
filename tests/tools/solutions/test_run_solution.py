"""tools/run_solution.py: bad input and missing weights end in a clear message, not a traceback."""
from __future__ import annotations

import shutil

import pytest

from tools import run_solution


@pytest.fixture
def action_copy(demo_manifest, tmp_path, monkeypatch):
    """The demo's videos and CSVs laid out as an `action` dataset in a fresh folder."""
    _, paths = demo_manifest
    root = tmp_path / 'action'
    for name in ('train', 'test'):
        shutil.copytree(paths.root / name, root / name)
    for name in ('train.csv', 'sample_submission.csv'):
        shutil.copy(paths.root / name, root / name)
    monkeypatch.setenv('DATA_ROOT', str(root))
    monkeypatch.setenv('WORK_DIR', str(tmp_path / 'work'))
    return root


def test_unknown_video_in_train_csv_names_file_and_row(action_copy, capsys):
    with open(action_copy / 'train.csv', 'a') as f:
        f.write('not_there.mp4,move_up\n')
    assert run_solution.main(['train', '--solution', 'action', '--gpus', '0']) == 2
    err = capsys.readouterr().err
    assert '[podium] error:' in err and 'train.csv' in err and 'not_there' in err
    assert not (action_copy / 'lists').exists()  # nothing half-written


def test_oversampling_an_unknown_class_is_refused(action_copy, capsys):
    assert run_solution.main(['train', '--solution', 'action', '--gpus', '0']) == 2
    assert "oversample class 'ride_kick' is not in the class list" in capsys.readouterr().err


def test_missing_pretrained_weights_say_what_to_put_where(action_copy, capsys):
    # the origin's class names, so that the manifest's oversampling applies
    names = {'move_down': 'putup_umbrella', 'move_left': 'ride_kick',
             'move_right': 'fall_down', 'move_up': 'jay_walk'}
    csv = action_copy / 'train.csv'
    text = csv.read_text()
    for old, new in names.items():
        text = text.replace(f',{old}\n', f',{new}\n')
    csv.write_text(text)
    assert run_solution.main(['train', '--solution', 'action', '--gpus', '0']) == 2
    err = capsys.readouterr().err
    assert 'checkpoints/resnet50-0676ba61.pth' in err and 'no step downloads it' in err
    assert '`python tools/checkpoints.py fetch action`' in err  # the command that gets it


def test_force_from_flag_or_environment(monkeypatch):
    monkeypatch.delenv('FORCE', raising=False)
    assert not run_solution.parse_args(['train']).force
    assert run_solution.parse_args(['train', '--force']).force
    monkeypatch.setenv('FORCE', '1')
    args = run_solution.parse_args(['inference', '--solution', 'demo', '--gpus', '2'])
    assert args.force and args.solution == 'demo' and args.gpus == 2


def test_unknown_flow_is_refused(tmp_path, capsys):
    manifest = tmp_path / 'weird.py'
    manifest.write_text("flow = 'teleport'\nruns = []\n")
    assert run_solution.main(['train', '--solution', str(manifest), '--gpus', '0']) == 2
    err = capsys.readouterr().err
    assert "unknown flow 'teleport'" in err and 'action' in err and str(manifest) in err


class _ManifestStub:
    name, data_root, work_dir, folds, path, flow = 'stub', 'data', 'work', [0], 'stub.py', 'stub'
    checkpoints, trust_checkpoints = None, False

    def get(self, key, default=None):
        return default


@pytest.mark.parametrize('error, status', [
    ('custom_modules.utils.validation:DataError', 2),
    ('custom_modules.utils.errors:InputError', 2),
    ('tools.solutions.stages:StageFailed', 1),
])
def test_any_podium_error_in_a_stage_is_one_message(error, status, monkeypatch, capsys,
                                                    tmp_path):
    """Every user-facing failure shares PodiumError: none reaches the user as a traceback."""
    import importlib

    from custom_modules.utils.validation import Problem

    module, name = error.split(':')
    cls = getattr(importlib.import_module(module), name)
    exc = cls([Problem('x.csv', 2, 'bad row')]) if name == 'DataError' else cls('went wrong')

    def flow(manifest, gpus, pipe):
        pipe.stage('a stage', lambda: (_ for _ in ()).throw(exc))

    monkeypatch.setattr(run_solution, 'load_manifest', lambda name: _ManifestStub())
    monkeypatch.setattr(run_solution, 'flow_functions', lambda m: (flow, flow))
    monkeypatch.setattr(run_solution, 'preflight', lambda m, mode, gpus, **kw: [])
    monkeypatch.chdir(tmp_path)  # the run's log goes to work/logs/
    assert run_solution.main(['train', '--solution', 'stub']) == status
    out = capsys.readouterr()
    assert '[podium] error: ' in out.err and 'Traceback' not in out.err
    assert str(exc) in out.err
    assert 'a stage' in out.out and 'failed' in out.out  # the stage table still shows


@pytest.mark.slow  # 11-14 s each on 2 busy cores (a subprocess importing the stack)
@pytest.mark.parametrize('demo', ['demo', 'sports_demo', 'crash_demo', 'localize_demo'])
def test_dry_run_of_a_demo_plans_before_its_data_exists(demo, tmp_path):
    """``train.sh 1 <demo> --dry-run`` on a fresh DATA_ROOT: the plan generates the data first,
    then lists every stage with the generator's classes; nothing is written but the run's log."""
    from tests.conftest import REPO_ROOT, run_cli

    data, work = tmp_path / 'fresh', tmp_path / 'work'
    env = {'DATA_ROOT': str(data), 'WORK_DIR': str(work), 'FORCE': '0', 'FOLDS': '0'}
    out = run_cli(['bash', str(REPO_ROOT / 'train.sh'), '1', demo, '--dry-run'], env=env)
    assert out.returncode == 0, out.stdout[-3000:]
    assert 'generate demo data: will run' in out.stdout
    assert f'into {data}, before the stages below: generated' in out.stdout
    assert 'nothing was run' in out.stdout and 'Traceback' not in out.stdout
    assert 'train tiny fold0: will run' in out.stdout or 'train tsm1 fold0: will run' in out.stdout
    assert not data.exists()
    written = [p.relative_to(work).as_posix() for p in work.rglob('*') if p.is_file()]
    assert len(written) == 1 and written[0].startswith('logs/train-dry-run-'), written
