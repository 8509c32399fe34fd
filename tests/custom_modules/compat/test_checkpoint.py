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
