from __future__ import annotations

import os
import re
import time

import pytest

from custom_modules.utils.errors import InputError
from tools.solutions.stages import Pipeline, console_log, up_to_date


def touch(path, mtime):
    path.write_text('x')
    os.utime(path, (mtime, mtime))
    return path


def test_up_to_date_compares_oldest_output_with_newest_input(tmp_path):
    now = time.time()
    a, b = touch(tmp_path / 'a', now - 100), touch(tmp_path / 'b', now - 50)
    out = touch(tmp_path / 'out', now - 10)
    assert up_to_date([a, b], [out])
    touch(b, now)  # an input changed after the output was made
    assert not up_to_date([a, b], [out])
    assert not up_to_date([a], [out, tmp_path / 'missing'])
    assert not up_to_date([a], [])


def test_pipeline_skips_reruns_and_forces(tmp_path):
    src, out = tmp_path / 'src', tmp_path / 'out'
    src.write_text('1')
    calls = []

    def make():
        calls.append(1)
        out.write_text('done')
        return {'score': 0.5}

    pipe = Pipeline()
    assert pipe.stage('make', make, inputs=[src], outputs=[out]).status == 'ran'
    assert pipe.stage('make', make, inputs=[src], outputs=[out]).status == 'skipped'
    assert len(calls) == 1
    forced = Pipeline(force=True)
    assert forced.stage('make', make, inputs=[src], outputs=[out]).status == 'ran'
    assert len(calls) == 2
    table = pipe.summary()
    assert 'make' in table and 'skipped' in table and 'score=0.5' in table


def test_failed_stage_is_recorded_and_raised():
    pipe = Pipeline()

    def broken():
        raise RuntimeError('boom')

    with pytest.raises(RuntimeError, match='boom'):
        pipe.stage('broken', broken)
    assert pipe.records[-1].status == 'failed'


def never():
    raise AssertionError('a dry run called the action')


def test_dry_run_runs_nothing_and_says_why_each_stage_would_run(tmp_path, capsys):
    now = time.time()
    src = touch(tmp_path / 'src', now - 100)
    fresh = touch(tmp_path / 'fresh', now - 10)
    stale = touch(tmp_path / 'stale', now - 200)
    plans = []

    def plan(name):
        def lines():
            plans.append(name)
            return [f'$ make {name}', f'-> {name}.out']
        return lines

    pipe = Pipeline(dry_run=True)
    records = [
        pipe.stage('missing', never, inputs=[src], outputs=[tmp_path / 'absent'],
                   plan=plan('missing')),
        pipe.stage('changed', never, inputs=[src], outputs=[stale], plan=plan('changed')),
        pipe.stage('always', never, plan=plan('always')),
        pipe.stage('current', never, inputs=[src], outputs=[fresh], plan=plan('current')),
        pipe.stage('no plan', never, outputs=[tmp_path / 'absent'])]
    assert [(r.status, r.note) for r in records] == [
        ('will run', f'{tmp_path / "absent"} does not exist yet'),
        ('will run', f'{src} changed after its outputs were made'),
        ('will run', 'it has no outputs to compare, so it always runs'),
        ('will skip', 'outputs are up to date'),
        ('will run', f'{tmp_path / "absent"} does not exist yet')]
    assert pipe.records == records and all(r.seconds == 0.0 for r in records)
    assert plans == ['missing', 'changed', 'always']  # a stage that will skip plans nothing
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [f'[podium] missing: will run, {tmp_path / "absent"} does not exist yet',
                       '    $ make missing', '    -> missing.out']
    assert '[podium] current: will skip, outputs are up to date' in out
    assert '    $ make current' not in out
    assert not (tmp_path / 'absent').exists()


def test_forced_dry_run_runs_every_stage_again(tmp_path, capsys):
    now = time.time()
    src, out = touch(tmp_path / 'src', now - 100), touch(tmp_path / 'out', now)
    pipe = Pipeline(force=True, dry_run=True)
    record = pipe.stage('make', never, inputs=[src], outputs=[out], plan=lambda: ['$ make'])
    assert (record.status, record.note) == ('will run', 'FORCE: every stage runs again')
    assert capsys.readouterr().out.splitlines() == [
        '[podium] make: will run, FORCE: every stage runs again', '    $ make']


def test_dry_run_summary_lists_the_plan(tmp_path, capsys):
    out = touch(tmp_path / 'out', time.time())
    pipe = Pipeline(dry_run=True)
    pipe.stage('extract frames', never, outputs=[tmp_path / 'absent'])
    pipe.stage('lists', never, outputs=[out])
    capsys.readouterr()
    assert pipe.summary().splitlines() == [
        f'extract frames  will run   {tmp_path / "absent"} does not exist yet',
        'lists           will skip  outputs are up to date']
    assert Pipeline(dry_run=True).summary() == ''  # no stage planned yet: an empty table


def test_console_log_tees_the_run_into_its_log(tmp_path, capsys):
    import sys

    console = sys.stdout
    with console_log(tmp_path / 'work', 'train') as path:
        print('[podium] train demo')
        assert sys.stdout is not console
    assert sys.stdout is console
    assert path.parent == tmp_path / 'work' / 'logs'
    assert re.fullmatch(r'train-\d{8}-\d{6}\.log', path.name)
    assert path.read_text() == '[podium] train demo\n'
    assert capsys.readouterr().out == '[podium] train demo\n'  # the console still sees it
    with console_log(tmp_path / 'work', 'inference', dry_run=True) as path:
        print('plan')
    assert re.fullmatch(r'inference-dry-run-\d{8}-\d{6}\.log', path.name)


def test_console_log_keeps_the_error_that_ends_the_run(tmp_path, capsys):
    with pytest.raises(InputError, match='no such data'):
        with console_log(tmp_path, 'train') as path:
            print('[podium] preflight')
            raise InputError('no such data')
    assert path.read_text() == '[podium] preflight\n\nInputError: no such data\n'


def test_console_log_without_a_writable_work_dir_still_prints(tmp_path, capsys):
    blocker = tmp_path / 'work'
    blocker.write_text('a file where the work_dir should be')
    with console_log(blocker, 'train') as path:
        print('still shown')
    assert path is None and capsys.readouterr().out == 'still shown\n'


def test_a_stream_kept_past_the_log_does_not_break(tmp_path, capsys):
    """A logger made during the run keeps the tee as its stream (mmengine binds sys.stdout)."""
    import sys

    with console_log(tmp_path, 'train'):
        kept = sys.stdout
    kept.write('after the run\n')
    kept.flush()
    assert capsys.readouterr().out == 'after the run\n'
