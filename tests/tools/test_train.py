"""tools/train.py and tools/test.py: argument handling, then the real command lines
(subprocesses)."""
from __future__ import annotations

import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from custom_modules.utils.errors import PodiumError
from tests.conftest import REPO_ROOT, TOY_CONFIG, CreatesFileWhenUnpickled, run_cli

TRAIN = str(REPO_ROOT / 'tools/train.py')
TEST = str(REPO_ROOT / 'tools/test.py')


def log_text(work_dir: Path) -> str:
    return '\n'.join(p.read_text() for p in sorted(work_dir.glob('*/*.log')))



def toy_cfg():
    from mmengine.config import Config

    return Config(dict(val_cfg=dict(), val_dataloader=dict(batch_size=1), val_evaluator=dict(),
                       randomness=dict(seed=None)))


@pytest.fixture
def notes(monkeypatch) -> list[str]:
    """The messages merge_args logs (through mmengine's print_log)."""
    import mmengine.logging

    logged: list[str] = []
    monkeypatch.setattr(mmengine.logging, 'print_log', lambda msg, **_: logged.append(msg))
    return logged


def test_validate_flag_is_accepted_and_keeps_validation(notes):
    from tools import train

    args = train.parse_args(['x.py', '--validate', '--seed', '0', '--deterministic'])
    assert args.validate and not args.no_validate
    cfg = train.merge_args(toy_cfg(), args)
    assert cfg.val_dataloader == dict(batch_size=1) and cfg.val_cfg == dict()
    assert cfg.randomness == dict(seed=0, deterministic=True)
    assert notes == ['--validate: validation is on by default (--no-validate turns it off).']


def test_validate_without_val_dataloader_warns(notes):
    from mmengine.config import Config

    from tools import train

    train.merge_args(Config(dict()), train.parse_args(['x.py', '--validate']))
    assert notes == ['--validate: x.py defines no val_dataloader, nothing to validate.']


def test_validate_note_on_rank_zero_only(notes, monkeypatch):
    from tools import train

    monkeypatch.setenv('RANK', '1')
    train.merge_args(toy_cfg(), train.parse_args(['x.py', '--validate']))
    assert notes == []


def test_no_validate_drops_validation_and_conflicts_with_validate(notes, capsys):
    from tools import train

    cfg = train.merge_args(toy_cfg(), train.parse_args(['x.py', '--no-validate']))
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.val_evaluator is None
    assert notes == []
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(['x.py', '--validate', '--no-validate'])
    assert exit_info.value.code == 2
    assert 'not allowed with argument' in capsys.readouterr().err

@pytest.mark.slow
def test_train_then_test_with_dump(tmp_path):
    work_dir = tmp_path / 'toy'
    out = run_cli(['python', TRAIN, str(TOY_CONFIG), '--work-dir', str(work_dir), '--seed', '7',
                   '--deterministic', '--cfg-options', 'train_cfg.max_epochs=3'])
    assert out.returncode == 0, out.stdout[-3000:]
    assert (work_dir / 'epoch_3.pth').is_file()
    log = log_text(work_dir)
    assert 'seed: 7' in log and 'deterministic: True' in log
    accuracies = [float(a) for a in re.findall(r'accuracy/top1: ([\d.]+)', log)]
    assert len(accuracies) == 3 and accuracies[-1] > 50, accuracies  # 3 classes: chance is 33%
    assert list(work_dir.glob('*/vis_data/events.out.tfevents.*')), 'no TensorBoard scalars'

    dump = tmp_path / 'preds.pkl'
    out = run_cli(['python', TEST, str(TOY_CONFIG), str(work_dir / 'epoch_3.pth'),
                   '--work-dir', str(work_dir), '--dump', str(dump)])
    assert out.returncode == 0, out.stdout[-3000:]
    preds = pickle.loads(dump.read_bytes())
    assert len(preds) == 48
    assert [p['sample_id'] for p in preds] == [f'synthetic_1_{i:05d}' for i in range(48)]
    scores = torch.stack([torch.as_tensor(p['pred_score']) for p in preds])
    assert scores.shape == (48, 3)
    torch.testing.assert_close(scores.sum(1), torch.ones(48))


@pytest.mark.slow
def test_kill_then_resume_auto(tmp_path):
    work_dir = tmp_path / 'resume'
    cmd = [sys.executable, TRAIN, str(TOY_CONFIG), '--work-dir', str(work_dir),
           '--cfg-options', 'train_cfg.max_epochs=200',
           'default_hooks.checkpoint.max_keep_ckpts=-1']
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not (work_dir / 'epoch_2.pth').exists():
            assert proc.poll() is None, 'training ended before epoch 2'
            assert time.monotonic() < deadline, 'no epoch_2.pth in time'
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)  # mid-run, no chance to clean up
    finally:
        proc.wait()
    last = max(int(p.stem.split('_')[1]) for p in work_dir.glob('epoch_*.pth'))
    assert last >= 2

    out = run_cli(['python', TRAIN, str(TOY_CONFIG), '--work-dir', str(work_dir), '--resume',
                   '--cfg-options', f'train_cfg.max_epochs={last + 2}'])
    assert out.returncode == 0, out.stdout[-3000:]
    assert f'resumed epoch: {last}' in out.stdout
    assert f'Epoch(train) [{last + 1}]' in out.stdout
    assert f'Epoch(train) [{last}]' not in out.stdout
    assert (work_dir / f'epoch_{last + 2}.pth').is_file()


@pytest.mark.slow
def test_untrusted_load_from_is_refused(tmp_path):
    marker = tmp_path / 'pwned.txt'
    evil = tmp_path / 'downloaded.pth'
    torch.save({'state_dict': {}, 'meta': CreatesFileWhenUnpickled(str(marker))}, evil)
    out = run_cli(['python', TRAIN, str(TOY_CONFIG), '--work-dir', str(tmp_path / 'w'),
                   '--cfg-options', f'load_from={evil}', 'train_cfg.max_epochs=1'])
    assert out.returncode != 0
    assert not marker.exists()
    assert f'Refusing to unpickle checkpoint {evil}' in out.stdout
    assert f'--trust-checkpoint {evil}' in out.stdout


@pytest.mark.slow
def test_third_party_weights_load_from(tmp_path, monkeypatch):
    """A plain state dict (as published pretrained weights are) loads weights-only."""
    work_dir = tmp_path / 'w'
    out = run_cli(['python', TRAIN, str(TOY_CONFIG), '--work-dir', str(work_dir), '--amp',
                   '--no-validate', '--cfg-options', 'train_cfg.max_epochs=1'])
    assert out.returncode == 0, out.stdout[-3000:]
    if not torch.cuda.is_available():
        assert '--amp needs a CUDA device' in out.stdout
    assert 'Epoch(train) [1]' in out.stdout and 'Epoch(val)' not in out.stdout  # --no-validate
    state = torch.load(work_dir / 'epoch_1.pth', weights_only=False)['state_dict']
    plain = tmp_path / 'elsewhere' / 'pretrained.pth'
    plain.parent.mkdir()
    torch.save({'state_dict': state}, plain)
    out = run_cli(['python', TEST, str(TOY_CONFIG), str(plain), '--work-dir', str(work_dir)])
    assert out.returncode == 0, out.stdout[-3000:]
    assert 'accuracy/top1' in out.stdout

    # The weights reached the model: tools/test.py's own loading path, run here, leaves every
    # tensor equal to the file's (and a fresh model differs, so this is not vacuous).
    before, after = model_state_around_load(plain, tmp_path / 'load', monkeypatch)
    assert set(after) == set(state)
    assert any(not torch.equal(before[k], state[k]) for k in state), 'fresh model = file?'
    mismatched = [k for k in state if not torch.equal(after[k], state[k])]
    assert not mismatched, f'not loaded from {plain}: {mismatched}'


def model_state_around_load(checkpoint: Path, work_dir: Path, monkeypatch) -> tuple[dict, dict]:
    """The toy model's state dict before and after tools/test.py's checkpoint loading."""
    from custom_modules.engine.runner import build_runner, load_config
    from tools import test as test_tool

    monkeypatch.setenv('LOCAL_RANK', '0')
    args = test_tool.parse_args([str(TOY_CONFIG), str(checkpoint), '--work-dir', str(work_dir)])
    cfg = load_config(args)
    cfg.load_from, cfg.resume = args.checkpoint, False  # as tools/test.py's main sets them
    runner = build_runner(cfg)
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.load_or_resume()
    return before, runner.model.state_dict()


@pytest.mark.slow
def test_dist_train_two_cpu_ranks(tmp_path):
    from tests.conftest import free_port

    work_dir = tmp_path / 'dist'
    # The origin's command line: --validate --seed 0 --deterministic.
    out = run_cli(['bash', str(REPO_ROOT / 'tools/dist_train.sh'), str(TOY_CONFIG), '2',
                   '--validate', '--seed', '0', '--deterministic',
                   '--work-dir', str(work_dir), '--auto-scale-lr',
                   '--cfg-options', 'train_cfg.max_epochs=2'],
                  env={'PORT': str(free_port())})
    assert out.returncode == 0, out.stdout[-3000:]
    assert out.stdout.count('validation is on by default') == 1  # rank 0 only
    log = log_text(work_dir)
    assert 'seed: 0' in log and 'deterministic: True' in log
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    # 96 samples, batch 16: a DistributedSampler gives each of the 2 ranks 3 iterations.
    iters_per_epoch = {int(n) for n in re.findall(r'Epoch\(train\) \[1\]\[\d+/(\d+)\]', log)}
    assert iters_per_epoch == {3}
    assert 'lr: 1.0000e-01' in log  # 0.05 scaled by (2 ranks x 16) / base_batch_size 16
    assert (work_dir / 'epoch_2.pth').is_file()

    # dist_test.sh: each rank scores its share, the dump gathers every sample once.
    dump = tmp_path / 'dist_preds.pkl'
    out = run_cli(['bash', str(REPO_ROOT / 'tools/dist_test.sh'), str(TOY_CONFIG),
                   str(work_dir / 'epoch_2.pth'), '2', '--work-dir', str(work_dir),
                   '--dump', str(dump)], env={'PORT': str(free_port())})
    assert out.returncode == 0, out.stdout[-3000:]
    ids = [p['sample_id'] for p in pickle.loads(dump.read_bytes())]
    assert sorted(ids) == [f'synthetic_1_{i:05d}' for i in range(48)]


def amp_cfg(**optim_wrapper):
    from mmengine.config import Config

    return Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1), **optim_wrapper)))


@pytest.fixture
def fake_cuda(monkeypatch):
    """CUDA reported available (and bf16 supported) on this CPU machine."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: True)


@pytest.mark.parametrize('asked, dtype, loss_scale', [
    (dict(), 'float16', 'dynamic'),  # autocast's default: fp16 needs a dynamic loss scale
    (dict(dtype='bfloat16'), 'bfloat16', 1.0),  # bf16 has fp32's range: no scaling
    (dict(dtype='float16', loss_scale=512.0), 'float16', 512.0),  # the config's scale kept
])
def test_amp_builds_an_amp_wrapper_in_the_configs_dtype(fake_cuda, notes, asked, dtype,
                                                        loss_scale):
    from mmengine.optim import build_optim_wrapper

    from tools import train

    cfg = train.merge_args(amp_cfg(**asked), train.parse_args(['x.py', '--amp']))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert (cfg.optim_wrapper.dtype, cfg.optim_wrapper.loss_scale) == (dtype, loss_scale)
    assert notes == [f'AMP: {dtype}, loss scale {loss_scale}']
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 1), cfg.optim_wrapper)
    assert wrapper.cast_dtype == getattr(torch, dtype)  # what autocast will use
    assert wrapper._scale_update_param == (None if loss_scale == 'dynamic' else loss_scale)


def test_amp_dtype_key_and_bf16_fallback(fake_cuda, notes, monkeypatch):
    from tools import train

    cfg = amp_cfg()
    cfg.amp_dtype = 'bfloat16'
    cfg = train.merge_args(cfg, train.parse_args(['x.py', '--amp']))
    assert (cfg.optim_wrapper.dtype, cfg.optim_wrapper.loss_scale) == ('bfloat16', 1.0)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: False)
    cfg = train.merge_args(amp_cfg(dtype='bfloat16'), train.parse_args(['x.py', '--amp']))
    assert (cfg.optim_wrapper.dtype, cfg.optim_wrapper.loss_scale) == ('float16', 'dynamic')
    with pytest.raises(PodiumError, match="AMP dtype must be one of .*got 'int8'"):
        train.merge_args(amp_cfg(dtype='int8'), train.parse_args(['x.py', '--amp']))
    cfg = train.merge_args(amp_cfg(), train.parse_args(['x.py']))  # no --amp: untouched
    assert 'type' not in cfg.optim_wrapper


def test_amp_on_cpu_is_full_precision_with_one_line(notes, monkeypatch):
    from tools import train

    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = train.merge_args(amp_cfg(), train.parse_args(['x.py', '--amp']))
    assert 'type' not in cfg.optim_wrapper
    assert notes == ['--amp needs a CUDA device; training in full precision on the CPU.']
    # a config that asks for AMP itself would fail in AmpOptimWrapper's CUDA assert: downgraded
    notes.clear()
    cfg = train.merge_args(amp_cfg(type='AmpOptimWrapper', dtype='bfloat16', loss_scale=1.0),
                           train.parse_args(['x.py']))
    assert cfg.optim_wrapper.type == 'OptimWrapper' and set(cfg.optim_wrapper) == {
        'type', 'optimizer'}
    assert notes == ['AmpOptimWrapper in x.py needs a CUDA device; training in full precision '
                     'on the CPU.']
