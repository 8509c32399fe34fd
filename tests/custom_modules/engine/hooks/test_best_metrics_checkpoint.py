"""BestMetricsCheckpointHook: one best file named by its metrics, replaced only when beaten,
kept across a resume, started over by a fresh run."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS

import custom_modules  # noqa: F401


class FakeRunner:
    """What the hook uses of a Runner: work_dir, epoch, iter, message hub, logger, saving."""

    def __init__(self, work_dir: Path, epoch: int = 0) -> None:
        self.work_dir = str(work_dir)
        self.epoch = epoch
        self.iter = epoch * 10
        self.message_hub = MessageHub.get_instance(f'fake-{work_dir}-{epoch}')
        self.logger = logging.getLogger('fake-runner')

    def save_checkpoint(self, out_dir, filename, **kwargs) -> None:
        (Path(out_dir) / filename).write_text(f'epoch {self.epoch}')


def hook(**kwargs):
    return HOOKS.build(dict(type='BestMetricsCheckpointHook', save_best='crash/auc',
                            name_keys=dict(auc='crash/auc', acc='crash/acc',
                                           ll='crash/bce'), **kwargs))


def val(h, runner, epoch: int, auc: float, acc: float = 0.5, ll: float = 0.6) -> None:
    runner.epoch = epoch
    h.after_val_epoch(runner, {'crash/auc': auc, 'crash/acc': acc, 'crash/bce': ll})


def bests(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob('best_*.pth'))


def test_name_carries_metrics_and_old_best_is_removed(tmp_path):
    h, runner = hook(), FakeRunner(tmp_path)
    h.before_train(runner)
    val(h, runner, 1, 0.70, 0.8, 0.5)
    assert bests(tmp_path) == ['best_auc_0.7000_acc_0.8000_ll_0.5000_epoch_1.pth']
    val(h, runner, 2, 0.65)  # worse: nothing changes
    assert bests(tmp_path) == ['best_auc_0.7000_acc_0.8000_ll_0.5000_epoch_1.pth']
    val(h, runner, 3, 0.78343, 0.863, 0.46104)
    assert bests(tmp_path) == ['best_auc_0.7834_acc_0.8630_ll_0.4610_epoch_3.pth']
    val(h, runner, 4, float('nan'))  # undefined AUC never wins
    state = json.loads((tmp_path / 'best_checkpoint.json').read_text())
    assert state['epoch'] == 3 and state['score'] == pytest.approx(0.78343)
    assert state['metrics']['crash/bce'] == pytest.approx(0.46104)


def test_resume_keeps_the_best_so_far_and_fresh_run_starts_over(tmp_path):
    h, runner = hook(), FakeRunner(tmp_path)
    h.before_train(runner)
    val(h, runner, 1, 0.9)
    val(h, runner, 2, 0.8)
    # a new process resumes at epoch 2: a worse epoch 3 must not replace the epoch-1 best
    h2, resumed = hook(), FakeRunner(tmp_path, epoch=2)
    h2.before_train(resumed)
    val(h2, resumed, 3, 0.85)
    assert bests(tmp_path) == ['best_auc_0.9000_acc_0.5000_ll_0.6000_epoch_1.pth']
    val(h2, resumed, 4, 0.95)
    assert bests(tmp_path) == ['best_auc_0.9500_acc_0.5000_ll_0.6000_epoch_4.pth']
    # a fresh run (epoch 0) in the same folder starts over and removes the old best
    h3, fresh = hook(), FakeRunner(tmp_path, epoch=0)
    h3.before_train(fresh)
    val(h3, fresh, 1, 0.6)
    assert bests(tmp_path) == ['best_auc_0.6000_acc_0.5000_ll_0.6000_epoch_1.pth']


def test_tie_break_and_rule(tmp_path):
    h, runner = hook(tie_break='crash/bce', tie_rule='less'), FakeRunner(tmp_path)
    h.before_train(runner)
    val(h, runner, 1, 1.0, ll=0.7)
    val(h, runner, 2, 1.0, ll=0.2)
    val(h, runner, 3, 1.0, ll=0.3)
    assert bests(tmp_path) == ['best_auc_1.0000_acc_0.5000_ll_0.2000_epoch_2.pth']
    low = HOOKS.build(dict(type='BestMetricsCheckpointHook', save_best='loss', rule='less'))
    low.before_train(r := FakeRunner(tmp_path / 'x'))
    (tmp_path / 'x').mkdir()
    for epoch, loss in ((1, 0.5), (2, 0.7), (3, 0.4)):
        r.epoch = epoch
        low.after_val_epoch(r, {'loss': loss})
    assert bests(tmp_path / 'x') == ['best_score_0.4000_epoch_3.pth']


@pytest.mark.slow
def test_with_a_real_runner_and_resume(toy_config, tmp_path):
    """The toy classifier, 2 epochs then resumed to 4: the best file is the best of all 4."""
    def run(max_epochs: int, resume: bool) -> None:
        cfg = Config.fromfile(str(toy_config))
        cfg.work_dir = str(tmp_path)
        cfg.train_cfg.max_epochs = max_epochs
        cfg.resume = resume
        cfg.log_level = 'WARNING'
        cfg.custom_hooks = [dict(type='BestMetricsCheckpointHook', save_best='accuracy/top1',
                                 name_keys=dict(acc='accuracy/top1'), digits=2)]
        Runner.from_cfg(cfg).train()

    run(2, False)
    run(4, True)
    accs = []
    for scalars in sorted(tmp_path.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            row = json.loads(line)
            if 'accuracy/top1' in row:
                accs.append((row['step'], row['accuracy/top1']))
    assert [step for step, _ in accs] == [1, 2, 3, 4]
    best_epoch, best = max(accs, key=lambda sa: (sa[1], -sa[0]))  # first of equal bests
    files = bests(tmp_path)
    assert files == [f'best_acc_{best:.2f}_epoch_{best_epoch}.pth'], (files, accs)
    assert re.fullmatch(r'best_acc_\d+\.\d\d_epoch_\d\.pth', files[0])
