"""custom_modules.engine.runner's decisions for N processes: the backend, SyncBN, and DDP's
find_unused_parameters under ProgressiveUnfreezeHook (CUDA faked where the choice needs it)."""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from torch import nn

from custom_modules.engine import runner
from custom_modules.utils.errors import PodiumError
from tests.conftest import TOY_CONFIG


@pytest.fixture
def notes(monkeypatch) -> list[str]:
    """The lines the runner module logs (mmengine's print_log)."""
    import mmengine.logging

    logged: list[str] = []
    monkeypatch.setattr(mmengine.logging, 'print_log', lambda msg, **_: logged.append(msg))
    for var in ('RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'SLURM_NTASKS',
                'SLURM_NTASKS_PER_NODE'):
        monkeypatch.delenv(var, raising=False)
    return logged


def gpus(monkeypatch, count: int) -> None:
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: count > 0)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: count)


@pytest.mark.parametrize('asked, cuda, backend', [
    (None, True, 'nccl'), ('gloo', True, 'nccl'), ('nccl', True, 'nccl'),
    (None, False, 'gloo'), ('nccl', False, 'gloo'), ('mpi', True, 'mpi'), ('mpi', False, 'mpi')])
def test_dist_backend_follows_the_hardware(asked, cuda, backend):
    assert runner.dist_backend(asked, cuda) == backend


def test_a_gloo_config_gets_nccl_with_a_gpu_per_process_logged_once(notes, monkeypatch):
    gpus(monkeypatch, 2)
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='gloo'))))
    assert runner.choose_backend(cfg) == 'nccl'
    assert cfg.env_cfg.dist_cfg.backend == 'nccl' and cfg.get('model_wrapper_cfg') is None
    assert notes == ['distributed backend: nccl (2 GPU(s) per node; the config asked for gloo)']
    monkeypatch.setenv('RANK', '1')  # the other ranks decide the same, silently
    assert runner.choose_backend(cfg) == 'nccl' and len(notes) == 1


def test_cpu_processes_get_gloo_and_a_cpu_ddp(notes, monkeypatch):
    gpus(monkeypatch, 0)
    monkeypatch.setenv('WORLD_SIZE', '2')
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')), find_unused_parameters=True))
    assert runner.choose_backend(cfg) == 'gloo'
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel', device_ids=None,
                                         broadcast_buffers=False, find_unused_parameters=True)
    assert notes == ['distributed backend: gloo (2 CPU process(es) per node; the config asked '
                     'for nccl)']


def test_more_processes_than_gpus_is_refused(notes, monkeypatch):
    gpus(monkeypatch, 1)
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
    with pytest.raises(PodiumError, match=r'2 processes on this node but 1 GPU\(s\)'):
        runner.choose_backend(Config(dict()))


@pytest.mark.parametrize('value, count, world, kept, line', [
    (True, 2, '2', 'torch', 'sync_bn: BatchNorm layers synchronised across 2 processes (torch)'),
    ('mmcv', 2, '4', 'mmcv', 'sync_bn: BatchNorm layers synchronised across 4 processes (mmcv)'),
    (True, 0, '2', None, 'sync_bn: skipped, no CUDA (SyncBatchNorm runs on GPUs only); '
                         'BatchNorm stays per process'),
    ('torch', 1, '1', None, 'sync_bn: skipped, one process; BatchNorm stays per process'),
    (False, 2, '2', None, None),
])
def test_sync_bn_only_with_cuda_and_several_processes(notes, monkeypatch, value, count, world,
                                                      kept, line):
    gpus(monkeypatch, count)
    monkeypatch.setenv('WORLD_SIZE', world)
    cfg = Config(dict(sync_bn=value))
    runner.resolve_sync_bn(cfg, distributed=True)
    assert cfg.get('sync_bn') == kept
    assert notes == ([line] if line else [])


def test_sync_bn_is_skipped_without_a_launcher_and_checked(notes, monkeypatch):
    gpus(monkeypatch, 2)
    monkeypatch.setenv('WORLD_SIZE', '2')
    cfg = Config(dict(sync_bn='torch'))
    runner.resolve_sync_bn(cfg, distributed=False)
    assert 'sync_bn' not in cfg and notes[-1].startswith('sync_bn: skipped, one process')
    with pytest.raises(PodiumError, match="sync_bn must be .* got 'apex'"):
        runner.resolve_sync_bn(Config(dict(sync_bn='apex')), distributed=True)


def test_kept_sync_bn_converts_the_models_batchnorm(notes, monkeypatch):
    """mmengine's Runner.wrap_model converts BN -> SyncBN with the sync_bn this module kept
    (DDP itself replaced by the bare module: no process group on this machine)."""
    import mmengine.runner.runner as mm_runner

    gpus(monkeypatch, 2)
    monkeypatch.setenv('WORLD_SIZE', '2')
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(mm_runner, 'get_device', lambda: 'cpu')
    monkeypatch.setattr(mm_runner, 'MMDistributedDataParallel', lambda module, **_: module)
    cfg = Config(dict(sync_bn=True))
    runner.resolve_sync_bn(cfg, distributed=True)
    fake = SimpleNamespace(distributed=True, cfg=cfg, logger=logging.getLogger('test'))
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Sequential(nn.BatchNorm1d(4)))
    model = mm_runner.Runner.wrap_model(fake, None, model)
    assert [type(m) for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
            ] == [nn.SyncBatchNorm, nn.SyncBatchNorm]


def test_unfreeze_hook_makes_ddp_find_unused_parameters(notes, tmp_path, monkeypatch):
    """tools/train.py's load_config, distributed with the hook configured: DDP is built with
    find_unused_parameters=True without the user asking; without the hook, it is left alone."""
    from tools import train

    gpus(monkeypatch, 0)
    monkeypatch.setenv('WORLD_SIZE', '2')
    monkeypatch.setenv('LOCAL_RANK', '0')  # load_config sets it otherwise, for the whole session
    config = tmp_path / 'unfreeze.py'
    config.write_text(f"_base_ = '{TOY_CONFIG}'\ncustom_hooks = [dict(type="
                      "'ProgressiveUnfreezeHook', schedule={2: 'all'})]\n")
    cfg = runner.load_config(train.parse_args([str(config), '--launcher', 'pytorch']))
    assert cfg.find_unused_parameters is True
    assert cfg.model_wrapper_cfg.find_unused_parameters is True
    assert cfg.model_wrapper_cfg.device_ids is None and cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert notes[0].startswith('ProgressiveUnfreezeHook: DDP built with find_unused_parameters')
    plain = runner.load_config(train.parse_args([str(TOY_CONFIG), '--launcher', 'pytorch']))
    assert plain.model_wrapper_cfg.find_unused_parameters is False
    one = runner.load_config(train.parse_args([str(config)]))  # no DDP: nothing to set
    assert one.get('find_unused_parameters') is None


def test_a_wrapper_in_the_config_gets_it_too():
    cfg = Config(dict(custom_hooks=[dict(type='podium.ProgressiveUnfreezeHook', schedule={})],
                      model_wrapper_cfg=dict(type='MMDistributedDataParallel')))
    runner.allow_unused_parameters(cfg)
    assert cfg.model_wrapper_cfg.find_unused_parameters is True
