"""custom_modules.visualization curves and scalars: merging resumed runs, the curves PNG."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_modules import visualization as pc
from custom_modules.utils import PodiumError

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def train(step: int, epoch: int | None, loss: float, lr: float = 0.1, **extra) -> dict:
    record = {'lr': lr, 'data_time': 0.01, 'loss': loss, 'time': 0.1, 'iter': step,
              'step': step, **extra}
    if epoch is not None:
        record['epoch'] = epoch
    return record


def val(step: int, top1: float, **extra) -> dict:
    return {'acc/top1': top1, 'data_time': 0.01, 'time': 0.02, 'step': step, **extra}


def write_run(work_dir: Path, stamp: str, records: list[dict], tail: str = '') -> Path:
    path = work_dir / stamp / pc.SCALARS
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records) + tail)
    return path


@pytest.fixture
def resumed(tmp_path) -> Path:
    """Run 1: epochs 1-2 (3 iters each) and part of epoch 3, then killed. Run 2 resumes from
    the epoch-2 checkpoint: epochs 3-4. The later run's folder is created first on purpose."""
    work_dir = tmp_path / 'tsm'
    write_run(work_dir, '20240102_080000', [
        train(8, 3, 0.75, loss_cls=0.7), train(9, 3, 0.65, loss_cls=0.6), val(3, 70.0),
        train(10, 4, 0.55, loss_cls=0.5, lr=0.01), train(11, 4, 0.45, loss_cls=0.4, lr=0.01),
        train(12, 4, 0.35, loss_cls=0.3, lr=0.01), val(4, 80.0)])
    write_run(work_dir, '20240102_070000', [
        train(1, 1, 1.5, loss_cls=1.4), train(2, 1, 1.4, loss_cls=1.3),
        train(3, 1, 1.3, loss_cls=1.2), val(1, 40.0),
        train(4, 2, 1.2, loss_cls=1.1), train(5, 2, 1.1, loss_cls=1.0),
        train(6, 2, 1.0, loss_cls=0.9), val(2, 50.0),
        train(7, 3, 9.9, loss_cls=9.9), train(8, 3, 9.8, loss_cls=9.8)])  # abandoned epoch 3
    return work_dir


def test_resumed_runs_merge_in_time_order(resumed):
    curves = pc.load_curves(resumed)
    assert [p.parents[1].name for p in curves.sources] == ['20240102_070000', '20240102_080000']
    # iteration 7 of the abandoned epoch 3 is dropped; 8 comes from the resumed run
    assert curves.train['loss'] == [(1, 1.5), (2, 1.4), (3, 1.3), (4, 1.2), (5, 1.1), (6, 1.0),
                                    (8, 0.75), (9, 0.65), (10, 0.55), (11, 0.45), (12, 0.35)]
    assert [v for _, v in curves.train['loss_cls']][-3:] == [0.5, 0.4, 0.3]
    assert curves.train['lr'][-1] == (12, 0.01) and curves.train['lr'][0] == (1, 0.1)
    assert curves.val == {'acc/top1': [(1, 40.0), (2, 50.0), (3, 70.0), (4, 80.0)]}
    assert curves.val_axis == 'epoch'
    assert not {'time', 'data_time', 'iter', 'epoch', 'step'} & set(curves.train)


def test_latest_value_wins_on_overlap_and_restart_replaces_everything():
    run1 = [train(1, 1, 2.0), train(2, 1, 1.8), val(1, 10.0), train(3, 2, 1.6), val(2, 20.0)]
    run2 = [train(3, 2, 0.6), train(3, 2, 0.5), val(2, 25.0)]  # resumed from epoch 1
    curves = pc.merge_runs([run1, run2])
    assert curves.train['loss'] == [(1, 2.0), (2, 1.8), (3, 0.5)]
    assert curves.val['acc/top1'] == [(1, 10.0), (2, 25.0)]

    restart = [train(1, 1, 3.0), val(1, 5.0)]  # trained again from scratch in the same work_dir
    curves = pc.merge_runs([run1, run2, restart])
    assert curves.train['loss'] == [(1, 3.0)]
    assert curves.val['acc/top1'] == [(1, 5.0)]


def test_val_only_run_overwrites_its_steps_only():
    run1 = [train(1, 1, 2.0), val(1, 10.0), train(2, 2, 1.0), val(2, 20.0)]
    curves = pc.merge_runs([run1, [val(2, 21.0)]])
    assert curves.train['loss'] == [(1, 2.0), (2, 1.0)]
    assert curves.val['acc/top1'] == [(1, 10.0), (2, 21.0)]


def test_iteration_based_run_puts_val_on_iterations():
    run = [train(10, None, 1.0), train(20, None, 0.5), val(20, 30.0), train(30, None, 0.4)]
    curves = pc.merge_runs([run])
    assert curves.val_axis == 'iteration'
    assert curves.val['acc/top1'] == [(20, 30.0)]


def test_png_default_and_custom_path(resumed, tmp_path):
    out = pc.plot_training_curves(resumed)
    assert out == resumed / 'curves.png'
    assert out.read_bytes().startswith(PNG_MAGIC)
    custom = pc.plot_training_curves(resumed, tmp_path / 'plots' / 'tsm.png')
    assert custom.read_bytes().startswith(PNG_MAGIC)
    assert not list((tmp_path / 'plots').glob('.*tmp'))  # atomic write left nothing behind


def test_run_without_validation_and_detector_losses(tmp_path):
    work_dir = tmp_path / 'det'
    write_run(work_dir, '20240101_000000', [
        train(i, 1, 2.0 / i, loss_rpn_cls=0.5 / i, loss_bbox=0.3 / i, acc=50.0 + i)
        for i in range(1, 6)])
    curves = pc.load_curves(work_dir)
    assert curves.val == {}
    assert {'loss', 'loss_rpn_cls', 'loss_bbox', 'acc', 'lr'} <= set(curves.train)
    assert pc.plot_training_curves(work_dir).read_bytes().startswith(PNG_MAGIC)


def test_cut_last_line_is_skipped_but_a_bad_line_inside_is_an_error(tmp_path):
    work_dir = tmp_path / 'killed'
    write_run(work_dir, '20240101_000000', [train(1, 1, 1.0), train(2, 1, 0.9)],
              tail='{"lr": 0.1, "loss"')
    assert pc.load_curves(work_dir).train['loss'] == [(1, 1.0), (2, 0.9)]

    broken = tmp_path / 'broken'
    path = write_run(broken, '20240101_000000', [train(1, 1, 1.0)])
    path.write_text('not json\n' + path.read_text())
    with pytest.raises(pc.ScalarsError, match=r'scalars\.json:1: unreadable'):
        pc.load_curves(broken)


def test_no_scalars_names_the_folder(tmp_path):
    empty = tmp_path / 'empty_run'
    (empty / '20240101_000000' / 'vis_data').mkdir(parents=True)  # e.g. a test run's folder
    with pytest.raises(pc.ScalarsError, match='empty_run: no training scalars'):
        pc.plot_training_curves(empty)
    with pytest.raises(pc.ScalarsError, match='missing: not a directory'):
        pc.plot_training_curves(tmp_path / 'missing')
    assert not (empty / 'curves.png').exists()
    assert issubclass(pc.ScalarsError, PodiumError)
