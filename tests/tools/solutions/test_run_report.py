"""tools/run_solution.py writes stages_<mode>.json and report.html at the end of a run, a failed
one too, without ever changing the run's outcome (issue 15)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_modules.utils.errors import InputError
from tests.custom_modules.visualization.report.fixtures import Page, make_data_root
from tools import run_solution
from tools.solutions.stages import StageFailed


class _Manifest:
    name, folds, path, flow = 'stub', [0], Path('stub.py'), 'sports'
    checkpoints, trust_checkpoints = None, False

    def __init__(self, root: Path) -> None:
        self.work_dir, self.data_root = root / 'work', root / 'data'

    def get(self, key, default=None):
        return default


@pytest.fixture
def stub_runner(tmp_path, monkeypatch):
    """The runner on a stub manifest; returns a setter for the flow it runs."""
    manifest = _Manifest(tmp_path)
    make_data_root(manifest.data_root)
    monkeypatch.setattr(run_solution, 'load_manifest', lambda name: manifest)
    monkeypatch.setattr(run_solution, 'preflight', lambda m, mode, gpus, **kw: [])
    monkeypatch.setattr(run_solution, 'generate_demo_data', lambda m, pipe: None)

    def use(flow):
        monkeypatch.setattr(run_solution, 'flow_functions', lambda m: (flow, flow))
        return manifest.work_dir
    return use


def test_a_good_run_leaves_its_stages_and_the_report(stub_runner, capsys):
    def flow(m, gpus, pipe):
        pipe.stage('lists', lambda: {'classes': 3, 'score': float('nan')})
        m.work_dir.mkdir(parents=True, exist_ok=True)
        pipe.stage('submission', lambda: (m.work_dir / 'submission.csv').write_text(
            'image_id,label\na,box\n') and None)
    work = stub_runner(flow)
    assert run_solution.main(['inference', '--solution', 'stub']) == 0
    stages = json.loads((work / 'stages_inference.json').read_text())
    assert [(s['name'], s['status']) for s in stages] == [('lists', 'ran'), ('submission', 'ran')]
    assert stages[0]['metrics'] == {'classes': 3, 'score': None} and stages[0]['note'] == ''
    assert isinstance(stages[0]['seconds'], float)
    assert f'[podium] run report: {(work / "report.html").resolve()}' in capsys.readouterr().out
    page = Page((work / 'report.html').read_text())
    assert page.tables['stages-inference'][1][:2] == ['lists', 'ran']
    assert page.tables['distribution'][2][:4] == ['box', '3', '25.0%', '1']
    source = json.loads((work / 'report_source.json').read_text())
    assert source['flow'] == 'sports' and source['data_root'].endswith('data')


@pytest.mark.parametrize('error, status', [(StageFailed('boom'), 1), (InputError('bad'), 2)])
def test_a_failed_run_still_records_its_stages(error, status, stub_runner):
    def flow(m, gpus, pipe):
        pipe.stage('first', lambda: None)
        pipe.stage('second', lambda: (_ for _ in ()).throw(error))
    work = stub_runner(flow)
    assert run_solution.main(['train', '--solution', 'stub']) == status
    stages = json.loads((work / 'stages_train.json').read_text())
    assert [s['status'] for s in stages] == ['ran', 'failed']
    rows = Page((work / 'report.html').read_text()).tables['stages-train']
    assert rows[2][:2] == ['second', 'failed']


def _one_stage(m, gpus, pipe) -> None:
    pipe.stage('only', lambda: None)


def test_a_report_problem_is_printed_not_raised(stub_runner, monkeypatch, capsys):
    def broken(source):
        raise OSError('disk full')
    monkeypatch.setattr(run_solution, 'write_report', broken)
    work = stub_runner(_one_stage)
    assert run_solution.main(['train', '--solution', 'stub']) == 0
    assert '[podium] run report not written: OSError: disk full' in capsys.readouterr().out
    assert (work / 'stages_train.json').is_file()


def test_a_dry_run_writes_neither(stub_runner):
    work = stub_runner(_one_stage)
    assert run_solution.main(['train', '--solution', 'stub', '--dry-run']) == 0
    assert not (work / 'stages_train.json').exists() and not (work / 'report.html').exists()


def test_an_interrupted_run_records_where_it_stopped(stub_runner):
    def flow(m, gpus, pipe):
        pipe.stage('first', lambda: None)
        pipe.stage('long', lambda: (_ for _ in ()).throw(KeyboardInterrupt()))
    work = stub_runner(flow)
    assert run_solution.main(['train', '--solution', 'stub']) == 130
    stages = json.loads((work / 'stages_train.json').read_text())
    assert [s['status'] for s in stages] == ['ran', 'interrupted']
    assert '<tr class="bad"><td>long</td><td>interrupted</td>' in (work / 'report.html').read_text()
