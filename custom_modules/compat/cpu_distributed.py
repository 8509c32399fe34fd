"""Let mmengine's ``pytorch`` launcher run on machines without CUDA (N CPU processes, gloo).

mmengine 0.10.7 calls ``torch.cuda.set_device(local_rank)`` unconditionally when it initialises
a torchrun-launched process group, which fails on a CPU-only machine. Without CUDA (and without
the other accelerators mmengine knows), we initialise the process group ourselves with gloo
(NCCL needs GPUs). With CUDA, mmengine's own code runs unchanged.
"""
from __future__ import annotations

from functools import wraps

import torch
import torch.distributed as torch_dist


def install_cpu_distributed() -> None:
    import mmengine.dist.utils as dist_utils

    original = dist_utils._init_dist_pytorch
    if getattr(original, '_podium_cpu_aware', False):
        return

    @wraps(original)
    def init_dist_pytorch(backend: str = 'nccl', init_backend: str = 'torch', **kwargs) -> None:
        if torch.cuda.is_available() or dist_utils.is_npu_available() \
                or dist_utils.is_mlu_available() or dist_utils.is_musa_available():
            return original(backend, init_backend=init_backend, **kwargs)
        if init_backend != 'torch':
            raise RuntimeError(f'init_backend={init_backend!r} needs a GPU; without CUDA podium '
                               'runs distributed jobs with torch.distributed over gloo')
        torch_dist.init_process_group(backend='gloo' if backend == 'nccl' else backend, **kwargs)

    init_dist_pytorch._podium_cpu_aware = True
    dist_utils._init_dist_pytorch = init_dist_pytorch
