"""The checkpoint trust policy: own runs load fully, others weights-only, unsafe ones refused."""
from __future__ import annotations

import builtins
import os

import numpy as np
import pytest
import torch

from custom_modules.compat import (
    UntrustedCheckpointError,
    is_trusted,
    load_checkpoint_file,
    record_trusted,
    trust_file,
)
from tests.conftest import CreatesFileWhenUnpickled


class NeedsFullUnpickle:
    """Any non-allow-listed class: loading it needs a full unpickle."""

    def __init__(self, value: int) -> None:
        self.value = value


def test_third_party_weights_with_numpy_load_weights_only(tmp_path):
    path = tmp_path / 'pretrained.pth'
    weights = {'conv.weight': torch.arange(6.).view(2, 3)}
    torch.save({'state_dict': weights, 'meta': {'mean': np.array([1.5, 2.5]),
                                                'epoch': np.int64(7), 'ratio': np.float32(0.5)}},
               path)
    assert not is_trusted(path)
    ckpt = load_checkpoint_file(str(path), map_location='cpu')
    assert torch.equal(ckpt['state_dict']['conv.weight'], weights['conv.weight'])
    np.testing.assert_array_equal(ckpt['meta']['mean'], [1.5, 2.5])
    assert ckpt['meta']['epoch'] == 7


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned.txt'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': CreatesFileWhenUnpickled(str(marker))}, path)
    with pytest.raises(UntrustedCheckpointError) as err:
        load_checkpoint_file(str(path))
    assert not marker.exists()
    message = str(err.value)
    assert str(path) in message
    assert f'--trust-checkpoint {path}' in message and 'trusted_checkpoints' in message


def test_explicit_trust_allows_full_unpickle(tmp_path):
    path = tmp_path / 'custom.pth'
    torch.save({'obj': NeedsFullUnpickle(3)}, path)
    with pytest.raises(UntrustedCheckpointError, match='NeedsFullUnpickle'):
        load_checkpoint_file(str(path))
    trust_file(path)
    assert load_checkpoint_file(str(path))['obj'].value == 3


def test_ledger_trusts_own_checkpoints_by_content(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save({'obj': NeedsFullUnpickle(1)}, path)
    record_trusted(path)
    assert load_checkpoint_file(str(path))['obj'].value == 1
    # Replacing the file's content (same name) revokes the trust.
    torch.save({'obj': NeedsFullUnpickle(2)}, path)
    os.utime(path, ns=(1, 1))
    assert not is_trusted(path)
    with pytest.raises(UntrustedCheckpointError):
        load_checkpoint_file(str(path))


def test_mmengine_save_records_and_resume_style_load_works(tmp_path):
    from mmengine.logging import MessageHub
    from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint

    hub = MessageHub.get_instance('trust_policy_test')
    hub.update_scalar('train/loss', 0.5)
    path = tmp_path / 'epoch_2.pth'
    save_checkpoint({'state_dict': {}, 'message_hub': hub.state_dict()}, str(path))
    assert is_trusted(path)
    ckpt = _load_checkpoint(str(path), map_location='cpu')  # the Runner's resume path
    assert 'train/loss' in ckpt['message_hub']['log_scalars']


def test_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))


def test_policy_never_opens_the_gates():
    assert builtins.getattr not in torch.serialization.get_safe_globals()
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ


def test_a_launching_program_names_its_own_opt_in(tmp_path, monkeypatch):
    """PODIUM_TRUST_HINT (set by the solution runner) replaces the tools' flag in the refusal;
    check_loadable refuses the same file from its pickle alone, before any loading."""
    from custom_modules.compat import TRUST_HINT_ENV, check_loadable

    marker = tmp_path / 'pwned.txt'
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': CreatesFileWhenUnpickled(str(marker))}, evil)
    monkeypatch.setenv(TRUST_HINT_ENV, 'pass `--trust-checkpoints` to inference.sh')
    for refuse in (check_loadable, load_checkpoint_file):
        with pytest.raises(UntrustedCheckpointError) as err:
            refuse(str(evil))
        message = str(err.value)
        assert 'It asks for: ' in message and '--trust-checkpoint ' not in message
        assert message.endswith('If you trust this file, pass `--trust-checkpoints` to '
                                'inference.sh.') or 'inference.sh. Details: ' in message
    assert not marker.exists()
    plain = tmp_path / 'plain.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': {'epoch': np.int64(3)}}, plain)
    check_loadable(plain)  # weights and numpy types pass
    trust_file(evil)
    check_loadable(evil)


@pytest.mark.parametrize('wrap', ['bare', 'state_dict', 'meta_and_state_dict', 'ddp_prefix'])
def test_weights_only_files_load_into_a_model_through_mmengine(wrap, tmp_path):
    """The path tools/test.py's Runner takes (mmengine load_checkpoint -> podium's loader) for
    a plain state dict in each usual wrapping."""
    from mmengine.runner.checkpoint import load_checkpoint

    torch.manual_seed(0)
    source = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    state = source.state_dict()
    content = {'bare': state, 'state_dict': {'state_dict': state},
               'meta_and_state_dict': {'meta': {'dataset_meta': {'classes': ('a', 'b')}},
                                       'state_dict': state},
               'ddp_prefix': {'state_dict': {f'module.{k}': v for k, v in state.items()}}}[wrap]
    path = tmp_path / 'weights.pth'
    torch.save(content, path)
    target = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    load_checkpoint(target, str(path), map_location='cpu', strict=True, logger='silent')
    for key, value in state.items():
        assert torch.equal(target.state_dict()[key], value), key
