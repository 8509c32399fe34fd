from __future__ import annotations

import os
import time

import pytest

from tools.solutions.stages import Pipeline, up_to_date


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
