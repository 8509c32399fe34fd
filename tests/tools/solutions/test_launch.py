"""How the runner starts tools: one process, torchrun, or Slurm; and what it reads back."""
from __future__ import annotations

import json
import sys

import pytest

from custom_modules.utils.errors import InputError
from tools.solutions.launch import (
    best_val_metrics,
    cfg_options_args,
    final_checkpoint,
    save_best_metric,
    tool_command,
    train_command,
)
from tools.solutions.manifest import REPO_ROOT


def test_commands_for_each_launcher():
    assert tool_command('train', ['c.py'], 1, ['--x'], env={}) == [
        sys.executable, str(REPO_ROOT / 'tools/train.py'), 'c.py', '--x']
    assert tool_command('train', ['c.py'], 0, env={})[1].endswith('tools/train.py')
    assert tool_command('test', ['c.py', 'k.pth'], 4, ['--dump', 'p.pkl'], env={}) == [
        'bash', str(REPO_ROOT / 'tools/dist_test.sh'), 'c.py', 'k.pth', '4', '--dump', 'p.pkl']
    assert tool_command('train', ['c.py'], 8, ['--resume'], env={'PARTITION': 'gpu'}) == [
        'bash', str(REPO_ROOT / 'tools/slurm_train.sh'), 'gpu', 'podium-train', 'c.py',
        '--resume']


def test_train_command_carries_seed_and_deterministic(monkeypatch, tmp_path):
    monkeypatch.delenv('PARTITION', raising=False)
    cmd = train_command(tmp_path / 'c.py', tmp_path / 'w', 2, {'a': 1}, resume=False, seed=0,
                        deterministic=True)
    assert cmd == ['bash', str(REPO_ROOT / 'tools/dist_train.sh'), str(tmp_path / 'c.py'), '2',
                   '--work-dir', str(tmp_path / 'w'), '--seed', '0', '--deterministic',
                   '--cfg-options', 'a=1']
    plain = train_command(tmp_path / 'c.py', tmp_path / 'w', 1, {}, resume=True)
    assert '--seed' not in plain and '--deterministic' not in plain and '--resume' in plain


def test_cfg_options_syntax():
    assert cfg_options_args({}) == []
    assert cfg_options_args({'a.b': 3, 'c': ['x', 'y'], 'd': (96, 96), 'e': True}) == [
        '--cfg-options', 'a.b=3', 'c=[x,y]', 'd=(96,96,)', 'e=True']


def test_final_checkpoint_prefers_best(tmp_path):
    with pytest.raises(InputError, match='train this run first'):
        final_checkpoint(tmp_path)
    last = tmp_path / 'epoch_3.pth'
    last.write_text('x')
    (tmp_path / 'last_checkpoint').write_text(str(last))
    assert final_checkpoint(tmp_path) == last
    best = tmp_path / 'best_acc_top1_epoch_2.pth'
    best.write_text('x')
    assert final_checkpoint(tmp_path) == best


def test_best_val_metrics_across_resumed_runs(tmp_path):
    for stamp, values in [('20260101_000000', [0.5, 0.7]), ('20260102_000000', [0.6])]:
        scalars = tmp_path / stamp / 'vis_data' / 'scalars.json'
        scalars.parent.mkdir(parents=True)
        scalars.write_text('\n'.join(json.dumps({'acc/top1': v, 'step': i})
                                     for i, v in enumerate(values)) + '\n{"loss": 1.0}\n')
    assert best_val_metrics(tmp_path, ['acc/top1', 'coco/bbox_mAP']) == {'acc/top1': 0.7}


def test_best_val_metrics_by_the_checkpoint_metric_come_from_one_epoch(tmp_path):
    """sports_demo's tiny fold3: best accuracy 0.77 at epoch 8, best macro F1 0.72 at epoch 15
    (acc 0.73 there), the best checkpoint kept by macro F1: its epoch's scores, not a mix."""
    rows = [{'cls/accuracy': 0.77, 'cls/macro_f1': 0.63, 'step': 8},
            {'cls/accuracy': 0.73, 'cls/macro_f1': 0.72, 'step': 15},
            {'cls/accuracy': 0.69, 'cls/macro_f1': 0.72, 'step': 16}]  # a tie: the first kept
    scalars = tmp_path / '20260101_000000' / 'vis_data' / 'scalars.json'
    scalars.parent.mkdir(parents=True)
    scalars.write_text('\n'.join(json.dumps(r) for r in rows) + '\n{"loss": 1.0}\n')
    keys = ['cls/accuracy', 'cls/macro_f1']
    assert best_val_metrics(tmp_path, keys) == {'cls/accuracy': 0.77, 'cls/macro_f1': 0.72}
    assert best_val_metrics(tmp_path, keys, by='cls/macro_f1') == {
        'cls/accuracy': 0.73, 'cls/macro_f1': 0.72}
    assert best_val_metrics(tmp_path, keys, by='coco/bbox_mAP') == best_val_metrics(tmp_path, keys)


def test_save_best_metric_of_a_config_and_its_options(repo_root):
    config = repo_root / 'configs/sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py'
    assert save_best_metric(config) == 'cls/macro_f1'
    assert save_best_metric(config, {'default_hooks.checkpoint.save_best': 'auto'}) is None
    assert save_best_metric(config, {'default_hooks.checkpoint.save_best': 'cls/accuracy'}) == \
        'cls/accuracy'
