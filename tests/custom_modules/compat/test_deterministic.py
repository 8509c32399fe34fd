"""``--deterministic`` seeding: deterministic kernels where torch has them, warnings elsewhere."""
from __future__ import annotations

import os

import pytest
import torch

import custom_modules  # noqa: F401  (installs the patch)


@pytest.fixture
def restore_determinism(monkeypatch):
    monkeypatch.delenv('CUBLAS_WORKSPACE_CONFIG', raising=False)
    saved = (torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    yield
    torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[2:]


def test_runner_seeding_is_deterministic_but_does_not_raise(restore_determinism):
    import mmengine.runner.runner as mm_runner

    assert mm_runner.set_random_seed(seed=3, deterministic=True) == 3
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert os.environ['CUBLAS_WORKSPACE_CONFIG'] == ':4096:8'


def test_unpatched_mmengine_would_raise_on_cuda_ops(restore_determinism):
    """Pins why the patch exists: mmengine's own seeding turns on torch's error mode."""
    import mmengine.runner.runner as mm_runner

    mm_runner.set_random_seed.__wrapped__(seed=3, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert not torch.is_deterministic_algorithms_warn_only_enabled()


def test_not_deterministic_leaves_torch_alone(restore_determinism):
    import mmengine.runner.runner as mm_runner

    torch.use_deterministic_algorithms(False)
    mm_runner.set_random_seed(seed=3, deterministic=False)
    assert not torch.are_deterministic_algorithms_enabled()
    assert 'CUBLAS_WORKSPACE_CONFIG' not in os.environ


def test_patch_is_idempotent():
    import mmengine.runner.runner as mm_runner

    from custom_modules.compat import patch_deterministic_seeding

    before = mm_runner.set_random_seed
    patch_deterministic_seeding()
    assert mm_runner.set_random_seed is before
