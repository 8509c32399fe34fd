"""ProgressiveUnfreezeHook under DDP: 2 gloo processes on the CPU (tools/dist_train.sh) train
the toy model through its unfreeze point. The user's config says nothing about DDP: podium
builds it with find_unused_parameters=True (custom_modules.engine.runner)."""
from __future__ import annotations

import torch

from tests.conftest import REPO_ROOT, TOY_CONFIG, free_port, run_cli

SNAPSHOT_HOOK = '''
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module(force=True)
class RankSnapshotHook(Hook):
    """Saves each rank's parameters at the start of every epoch and at the end of training."""

    priority = 'LOW'  # after ProgressiveUnfreezeHook has (un)frozen

    def _save(self, runner, tag):
        import torch.distributed as dist

        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        state = {n: (p.detach().clone(), p.requires_grad) for n, p in model.named_parameters()}
        torch.save(state, f'{runner.work_dir}/rank{dist.get_rank()}_{tag}.pt')

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if batch_idx == 0:
            self._save(runner, f'epoch{runner.epoch + 1}')

    def after_train(self, runner):
        self._save(runner, 'end')
'''


def test_unfreeze_under_ddp_all_reduces_the_unfrozen_parameters(tmp_path):
    (tmp_path / 'rank_snapshot_hook.py').write_text(SNAPSHOT_HOOK)
    config = tmp_path / 'unfreeze.py'
    config.write_text(
        f"_base_ = '{TOY_CONFIG}'\n"
        "custom_imports = dict(imports=['custom_modules', 'rank_snapshot_hook'], "
        'allow_failed_imports=False)\n'
        # the toy backbone is random: pretrained_only=False freezes it all the same
        "custom_hooks = [dict(type='ProgressiveUnfreezeHook', schedule={2: 'all'},\n"
        '                     pretrained_only=False),\n'
        "                dict(type='RankSnapshotHook')]\n"
        'train_cfg = dict(max_epochs=2)\n'
        "default_hooks = dict(checkpoint=dict(interval=10), logger=dict(interval=1))\n"
        'optim_wrapper = dict(optimizer=dict(weight_decay=0))\n')
    work = tmp_path / 'work'
    out = run_cli(['bash', str(REPO_ROOT / 'tools/dist_train.sh'), str(config), '2',
                   '--no-validate', '--seed', '0', '--work-dir', str(work)],
                  env={'PORT': str(free_port()), 'PYTHONPATH': str(tmp_path)}, timeout=120)
    assert out.returncode == 0, out.stdout[-4000:]
    assert 'find_unused_parameters=True' in out.stdout
    assert 'epoch 2: backbone trainable: all' in out.stdout

    snap = {(rank, tag): torch.load(work / f'rank{rank}_{tag}.pt')
            for rank in (0, 1) for tag in ('epoch1', 'epoch2', 'end')}
    names = list(snap[0, 'epoch1'])
    backbone = [n for n in names if n.startswith('backbone.')]
    head = [n for n in names if not n.startswith('backbone.')]
    assert backbone and head
    for rank in (0, 1):
        first, second, end = snap[rank, 'epoch1'], snap[rank, 'epoch2'], snap[rank, 'end']
        assert not any(first[n][1] for n in backbone) and all(first[n][1] for n in head)
        # frozen through epoch 1: bit-identical; the head trained meanwhile
        assert all(torch.equal(first[n][0], second[n][0]) for n in backbone)
        assert any(not torch.equal(first[n][0], second[n][0]) for n in head)
        # unfrozen in epoch 2: the backbone trains
        assert all(second[n][1] for n in backbone)
        assert any(not torch.equal(second[n][0], end[n][0]) for n in backbone)
    # each rank saw other samples, yet the all-reduced gradients keep the replicas equal
    for tag in ('epoch2', 'end'):
        for n in names:
            torch.testing.assert_close(snap[0, tag][n][0], snap[1, tag][n][0], rtol=0, atol=0)
