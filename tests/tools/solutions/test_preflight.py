"""Preflight of train.sh / inference.sh: bad input fails at once, exit 2, file and row named,
nothing left in the work_dir but logs; --dry-run plans without running or writing."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from tests.tools.solutions.preflight_cases import ACTION, CRASH, LOCALIZE, SPORTS, Case
from tools.run_solution import main
from tools.solutions.manifest import REPO_ROOT

DEMOS = {'demo': 'action_demo', 'crash_demo': 'crash_demo', 'sports_demo': 'sports_demo',
         'localize_demo': 'localize_demo'}


@pytest.fixture(scope='module')
def pristine(tmp_path_factory) -> dict[str, Path]:
    """Each demo dataset generated once; tests break copies of it."""
    import importlib

    root = tmp_path_factory.mktemp('pristine')
    out = {}
    for manifest, module in DEMOS.items():
        importlib.import_module(f'custom_modules.demo_data.{module}').generate(root / manifest)
        out[manifest] = root / manifest
    return out


def user_manifest(folder: Path, base: str, overrides: dict) -> Path:
    """A manifest over a demo's, reading user data (no generation) as a real user's would."""
    lines = [f'_base_ = {str(REPO_ROOT / "configs" / "solutions" / f"{base}.py")!r}',
             'demo_data = False']
    lines += [f'{key} = {value!r}' for key, value in overrides.items()]
    path = folder / f'user_{base}.py'
    path.write_text('\n'.join(lines) + '\n')
    return path


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob('*') if p.is_file())


def run_case(base: str, case: Case, pristine: dict, tmp_path: Path, monkeypatch, capsys,
             mode: str = 'train', extra: tuple[str, ...] = ()) -> tuple[int, str, float]:
    data, work = tmp_path / 'data', tmp_path / 'work'
    shutil.copytree(pristine[base], data)
    case.breaks(data)
    before = files_in(data)
    monkeypatch.setenv('DATA_ROOT', str(data))
    monkeypatch.setenv('WORK_DIR', str(work))
    manifest = user_manifest(tmp_path, base, case.overrides)
    t0 = time.monotonic()
    code = main([mode, '--solution', str(manifest), '--gpus', '1', *extra])
    seconds = time.monotonic() - t0
    captured = capsys.readouterr()
    print(f'{base}: {case.name}: exit {code} in {seconds:.1f} s')
    assert files_in(data) == before, 'the preflight wrote into the data folder'
    assert all(f.startswith('logs/') for f in files_in(work)), files_in(work)
    return code, captured.out + captured.err, seconds


CASES = [('demo', c) for c in ACTION] + [('crash_demo', c) for c in CRASH] + [
    ('sports_demo', c) for c in SPORTS] + [('localize_demo', c) for c in LOCALIZE]


@pytest.mark.parametrize('base,case', CASES, ids=[f'{b}: {c.name}' for b, c in CASES])
def test_bad_input_fails_in_preflight(base, case, pristine, tmp_path, monkeypatch, capsys):
    code, out, seconds = run_case(base, case, pristine, tmp_path, monkeypatch, capsys)
    assert code == 2, out[-3000:]
    assert 'preflight found' in out and 'nothing was run' in out
    for pattern in case.expect:
        assert re.search(pattern, out), f'{pattern!r} not in:\n{out[-3000:]}'
    assert '[podium] extract frames' not in out and 'train tsm1' not in out
    assert seconds < 60
    log = next((tmp_path / 'work' / 'logs').glob('train-*.log')).read_text()
    assert 'preflight found' in log  # the error is kept with the run's log


def test_dry_run_plans_every_stage(pristine, tmp_path, monkeypatch, capsys):
    data, work = tmp_path / 'data', tmp_path / 'work'
    shutil.copytree(pristine['demo'], data)
    monkeypatch.setenv('DATA_ROOT', str(data))
    monkeypatch.setenv('WORK_DIR', str(work))
    manifest = user_manifest(tmp_path, 'demo', {})
    before = files_in(data)
    code = main(['train', '--solution', str(manifest), '--gpus', '2', '--dry-run'])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    assert files_in(data) == before
    assert [f.split('-')[0] for f in files_in(work)] == ['logs/train']
    assert 'preflight: all checks passed' in out
    assert re.search(r'train tsm1 fold0: will run, .*done\.json does not exist yet', out)
    assert re.search(r'\$ bash \S+/tools/dist_train\.sh \S+tsm_mobilenetv2\S+\.py 2 ', out)
    assert '--seed 0 --deterministic' in out
    assert 'model.cls_head.num_classes=4' in out  # from the data, before any list exists
    assert 'nothing was run' in out


def test_dry_run_without_boxes_says_which_rules_are_off(pristine, tmp_path, monkeypatch,
                                                        capsys):
    case = Case('no boxes', lambda r: (r / 'train_boxes.csv').unlink(), [])
    code, out, _ = run_case('demo', case, pristine, tmp_path, monkeypatch, capsys,
                            extra=('--dry-run',))
    assert code == 0, out[-3000:]
    assert re.search(r"rule #0 detector_count\(.*det_class='box'.*\): off, no boxes CSV", out)
    assert 'train detector' not in out and 'train tsm1 fold0: will run' in out


@pytest.mark.slow
def test_train_sh_stops_on_an_unreadable_video(pristine, tmp_path):
    """Through the shell entry point: exit 2, the video named, nothing extracted or trained."""
    import os
    import subprocess

    data, work = tmp_path / 'data', tmp_path / 'work'
    shutil.copytree(pristine['demo'], data)
    (data / 'test' / 'synthetic_test_011.mp4').write_bytes(b'\x00' * 4096)
    manifest = user_manifest(tmp_path, 'demo', {})
    env = {**os.environ, 'DATA_ROOT': str(data), 'WORK_DIR': str(work)}
    proc = subprocess.run(['bash', str(REPO_ROOT / 'train.sh'), '1', str(manifest)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert re.search(r'test/synthetic_test_011\.mp4: unreadable video', proc.stderr)
    assert not (data / 'rawframes').exists()
    assert all(f.startswith('logs/') for f in files_in(work))


def test_inference_preflight_names_every_untrained_run_and_bad_input(pristine, tmp_path,
                                                                      monkeypatch, capsys):
    case = Case('untrained', lambda r: (r / 'sample_submission.csv').write_text(''), [])
    code, out, _ = run_case('demo', case, pristine, tmp_path, monkeypatch, capsys,
                            mode='inference')
    assert code == 2
    for run in ('tsm1', 'tsm2', 'detector'):
        assert f'{run} fold0 is not trained' in out
    assert 'sample_submission.csv: empty file (0 bytes)' in out
    assert '--checkpoints DIR' in out  # the other way to give the models


def test_dry_run_shows_the_demo_generators_refusal(pristine, tmp_path, monkeypatch, capsys):
    """Demo data the user changed: the dry run says what the real run would refuse with."""
    data = tmp_path / 'data'
    shutil.copytree(pristine['sports_demo'], data)
    (data / 'train.csv').write_text('image_id,label\n')
    before = {f: (data / f).read_bytes() for f in files_in(data)}
    monkeypatch.setenv('DATA_ROOT', str(data))
    monkeypatch.setenv('WORK_DIR', str(tmp_path / 'work'))
    code = main(['train', '--solution', 'sports_demo', '--gpus', '1', '--dry-run'])
    out = capsys.readouterr()
    out = out.out + out.err
    assert code == 2, out[-3000:]
    assert 'preflight found 1 problem' in out
    assert "was changed since make_sports_demo.py made it: 1 changed ['train.csv']" in out
    assert 'generated into' not in out  # no longer "the first stage generates it"
    assert {f: (data / f).read_bytes() for f in files_in(data)} == before  # a dry run: untouched
    from tools.solutions.manifest import load_manifest
    from tools.solutions.preflight import preflight

    m = load_manifest('sports_demo', env={'DATA_ROOT': str(data), 'WORK_DIR': str(tmp_path)})
    notes = preflight(m, 'train', 1, force=True)  # --force regenerates the generator's files
    assert any(f'demo data is generated into {data}' in n for n in notes)
