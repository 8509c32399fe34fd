"""Resume only what is still valid (issue 17): a run records what it trained on; a rerun whose
inputs changed restarts from scratch with the old outputs moved aside, or resumes when asked."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tools.solutions import fingerprint, launch
from tools.solutions.manifest import load_manifest
from tools.solutions.sports import SportsPaths, prepare_data, wiring
from tools.solutions.stages import Pipeline, StageFailed
from tools.solutions.steps import generate_demo_data, run_dir, train_step


@pytest.fixture
def trainings(monkeypatch):
    """launch.train replaced: records each call's ``resume``; a call may 'die' after writing its
    epoch-3 checkpoint (a kill: no done.json)."""
    calls: list[dict] = []
    state = {'die': False}

    def fake_train(config, work_dir, gpus, options, resume, log_file, **kwargs):
        calls.append({'resume': resume, 'options': dict(options)})
        wd = Path(work_dir)
        wd.mkdir(parents=True, exist_ok=True)
        (wd / 'epoch_3.pth').write_text(f'weights of call {len(calls)}')
        (wd / 'last_checkpoint').write_text(str(wd / 'epoch_3.pth'))
        if state['die']:
            raise StageFailed('killed')

    monkeypatch.setattr(launch, 'train', fake_train)
    monkeypatch.setattr('custom_modules.visualization.plot_training_curves', lambda wd, out: out)
    # the config is not what these tests change: skip parsing it (seconds per call)
    monkeypatch.setattr(fingerprint, 'config_digest', fingerprint.file_digest)
    monkeypatch.setattr('tools.solutions.sports.num_classes_keys',
                        lambda config: ['model.head.num_classes'])
    return calls, state


@pytest.fixture(scope='module')
def demo_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('sports_demo') / 'data'
    generate_demo_data(load_manifest('sports_demo', env={'DATA_ROOT': str(root)}), Pipeline())
    return root


@pytest.fixture
def sports(tmp_path, demo_data):
    """A copy of the sports demo's data, listed; returns the manifest and its paths."""
    shutil.copytree(demo_data, tmp_path / 'data')
    env = {'DATA_ROOT': str(tmp_path / 'data'), 'WORK_DIR': str(tmp_path / 'work')}
    m = load_manifest('sports_demo', env=env)
    p = SportsPaths(m)
    prepare_data(m, Pipeline(), p)
    return m, p


def train(m, p, pipe=None):
    run = m.runs[0]
    return train_step(m, pipe or Pipeline(), run, 0, 1, wiring(run, p, 0),
                      inputs=[p.lists / 'train_fold0.txt'])


def relist(m, p, edit) -> None:
    """Edit train.csv (a DataFrame edit), then rebuild the lists as a rerun does."""
    df = pd.read_csv(p.train_csv)
    edit(df)
    df.to_csv(p.train_csv, index=False)
    prepare_data(m, Pipeline(), p)


def killed_run(m, p, trainings) -> Path:
    calls, state = trainings
    state['die'] = True
    with pytest.raises(StageFailed):
        train(m, p)
    state['die'] = False
    wd = run_dir(m, m.runs[0], 0)
    assert (wd / 'epoch_3.pth').exists() and not (wd / 'done.json').exists()
    return wd


def test_unchanged_inputs_resume(sports, trainings, capsys):
    m, p = sports
    killed_run(m, p, trainings)
    train(m, p)
    assert [c['resume'] for c in trainings[0]] == [False, True]
    assert 'resuming from the last checkpoint (same inputs)' in capsys.readouterr().out


def test_changed_labels_after_a_kill_restart_fresh_with_old_outputs_moved_aside(
        sports, trainings, capsys):
    m, p = sports
    wd = killed_run(m, p, trainings)

    def swap_two_labels(df):
        a, b = df.index[df['label'] != df['label'].iloc[0]][0], 0
        df.loc[[a, b], 'label'] = df.loc[[b, a], 'label'].to_numpy()

    relist(m, p, swap_two_labels)
    train(m, p)
    assert [c['resume'] for c in trainings[0]] == [False, False]  # no resume
    out = capsys.readouterr().out
    assert 'its inputs changed since the checkpoints were made' in out
    assert 'train_fold0.txt' in out and 'content changed' in out and '--resume-anyway' in out
    moved = list(wd.parent.glob('fold0.replaced-*'))
    assert len(moved) == 1 and (moved[0] / 'epoch_3.pth').read_text() == 'weights of call 1'
    assert f'previous outputs moved to {moved[0]}' in out
    assert (wd / 'done.json').exists() and (wd / 'epoch_3.pth').read_text() == 'weights of call 2'


def test_changed_class_count_restarts_instead_of_a_size_mismatch(sports, trainings, capsys):
    m, p = sports
    killed_run(m, p, trainings)
    (p.classes_file).write_text(p.classes_file.read_text().rstrip('\n') + '\nextra\n')

    def eight_rows_to_a_new_class(df):
        df.loc[df.index[:8], 'label'] = 'extra'

    relist(m, p, eight_rows_to_a_new_class)
    train(m, p)
    calls = trainings[0]
    assert calls[-1]['resume'] is False and calls[-1]['options']['model.head.num_classes'] == 5
    assert 'option model.head.num_classes: 4 -> 5' in capsys.readouterr().out


def test_resume_anyway_resumes_and_says_so(sports, trainings, capsys):
    m, p = sports
    wd = killed_run(m, p, trainings)
    relist(m, p, lambda df: df.drop(index=df.index[-1], inplace=True))
    m.resume_anyway = True
    train(m, p)
    assert trainings[0][-1]['resume'] is True
    assert '--resume-anyway: resuming although its inputs changed' in capsys.readouterr().out
    assert not list(wd.parent.glob('fold0.replaced-*'))


def test_finished_run_with_changed_inputs_is_retrained_and_moved_aside(sports, trainings):
    m, p = sports
    train(m, p)
    relist(m, p, lambda df: df.drop(index=df.index[-1], inplace=True))
    train(m, p)
    assert [c['resume'] for c in trainings[0]] == [False, False]
    moved = list(run_dir(m, m.runs[0], 0).parent.glob('fold0.replaced-*'))
    assert len(moved) == 1 and (moved[0] / 'done.json').exists()


def test_finished_run_whose_inputs_were_only_touched_is_kept(sports, trainings, capsys):
    m, p = sports
    done = train(m, p)
    relist(m, p, lambda df: None)  # train.csv rewritten, same content: lists rebuilt alike
    train(m, p)
    assert len(trainings[0]) == 1
    assert 'the finished training is kept' in capsys.readouterr().out
    assert json.loads(done.read_text())['checkpoint'].endswith('epoch_3.pth')
    train(m, p)  # up to date now: skipped
    assert len(trainings[0]) == 1 and 'kept' not in capsys.readouterr().out


def test_force_moves_the_previous_outputs_aside(sports, trainings):
    m, p = sports
    train(m, p)
    train(m, p, Pipeline(force=True))
    assert len(list(run_dir(m, m.runs[0], 0).parent.glob('fold0.replaced-*'))) == 1


def test_dry_run_says_whether_it_would_resume(sports, trainings, capsys):
    m, p = sports
    killed_run(m, p, trainings)
    relist(m, p, lambda df: df.drop(index=df.index[-1], inplace=True))
    capsys.readouterr()
    train(m, p, Pipeline(dry_run=True))
    out = capsys.readouterr().out
    assert 'not resuming, training from scratch' in out and '--resume' not in out.split(
        'tools/train.py')[1].split('\n')[0]
    assert not list(run_dir(m, m.runs[0], 0).parent.glob('fold0.replaced-*'))


def test_run_without_a_fingerprint_resumes_and_says_it_cannot_check(tmp_path):
    (tmp_path / 'last_checkpoint').write_text('x')
    decision = fingerprint.decide(tmp_path, {'config': 'a'}, force=False, resume_anyway=False)
    assert decision.resume and 'recorded no fingerprint' in decision.note


def test_changed_parts_name_values_and_contents():
    old = {'config': 'c sha256:1', 'option a': '4', 'option f': '"x" sha256:1', 'flag seed': '0',
           'option g': '"y" sha256:3', 'input l': 'sha256:4'}
    new = {'config': 'c sha256:2', 'option a': '5', 'option f': '"x" sha256:2', 'option b': '1',
           'option g': '"z" sha256:3', 'input l': 'sha256:5'}
    assert fingerprint.changed_parts(old, new) == [
        'config: content changed', 'flag seed removed', 'input l: content changed',
        'option a: 4 -> 5', 'option b added', 'option f: content changed',
        'option g: "y" -> "z" (same content)']


def test_config_digest_follows_the_bases(tmp_path):
    base = tmp_path / 'base.py'
    base.write_text('lr = 0.1\n')
    config = tmp_path / 'model.py'
    config.write_text("_base_ = './base.py'\nepochs = 3\n")
    before = fingerprint.config_digest(config)
    base.write_text('lr = 0.2\n')
    assert fingerprint.config_digest(config) != before
