"""A 2-process data-parallel run for bench/gpu_check.py (NCCL on 2 GPUs, gloo on a CPU).

``torch.multiprocessing`` spawns 2 workers; each joins the process group, builds one case's
model on its GPU (or the CPU), wraps it in mmengine's ``MMDistributedDataParallel`` (the
config's ``find_unused_parameters``) and runs a few ``train_step`` through the config's optim
wrapper on its own synthetic batch. Then: an ``all_reduce`` of ``rank + 1`` must give
``1 + 2 = 3`` on both ranks, and the parameters must be equal across ranks (DDP averaged the
gradients). Rank 0 reports per-step time and samples/s over both processes.
"""
from __future__ import annotations

import datetime
import os
import socket
import time
import traceback

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD = 2
DEADLINE_S = 300  # the whole run; a hung collective is killed after it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _param_stats(model: torch.nn.Module) -> torch.Tensor:
    """[sum, sum of squares] of every parameter: equal on all ranks when they are in sync."""
    flat = torch.cat([p.detach().float().flatten() for p in model.parameters()])
    return torch.stack([flat.sum(), (flat * flat).sum()]).double()


def _train(rank: int, backend: str, case_name: str, batch: int | None, size: int | None,
           warmup: int, iters: int) -> dict:
    from gpu_check_cases import batch_size, build_model, get_case, load_config, synthetic_batch
    from gpu_check_train import build_wrapper
    from mmengine.model import MMDistributedDataParallel

    cuda = backend == 'nccl'
    device = f'cuda:{rank}' if cuda else 'cpu'
    if cuda:
        torch.cuda.set_device(rank)
    case = get_case(case_name)
    cfg = load_config(case, size)
    model = build_model(cfg, device)
    wrapper_cfg = cfg.get('model_wrapper_cfg') or {}
    ddp = MMDistributedDataParallel(
        module=model, device_ids=[rank] if cuda else None, broadcast_buffers=False,
        find_unused_parameters=bool(wrapper_cfg.get('find_unused_parameters', False)))
    optim = build_wrapper(model, cfg, None)
    n = batch_size(cfg, batch)
    data = synthetic_batch(case, cfg, n, size, seed=rank)  # each rank its own samples
    for _ in range(warmup):
        ddp.train_step(data, optim_wrapper=optim)
    if cuda:
        torch.cuda.synchronize()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(iters):
        loss = ddp.train_step(data, optim_wrapper=optim)['loss'].detach().item()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    on = torch.device(device)
    total = torch.tensor([rank + 1.0], device=on)
    dist.all_reduce(total)
    stats = [torch.zeros(2, dtype=torch.float64, device=on) for _ in range(WORLD)]
    dist.all_gather(stats, _param_stats(model).to(on))
    spread = max(float((s - stats[0]).abs().max() / stats[0].abs().clamp(min=1).max())
                 for s in stats)
    return {'case': case_name, 'batch_per_process': n, 'iters': iters, 'warmup': warmup,
            'step_ms': round(seconds / iters * 1000, 2),
            'samples_per_s': round(WORLD * n * iters / seconds, 3), 'last_loss': loss,
            'all_reduce_ok': float(total.item()) == WORLD * (WORLD + 1) / 2,
            'params_rel_spread': spread, 'params_in_sync': spread < 1e-5}


def _worker(rank: int, backend: str, port: int, queue, args: tuple) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(WORLD), LOCAL_RANK=str(rank))
    try:
        import custom_modules  # noqa: F401  (first in this fresh process: patches, registration)

        dist.init_process_group(backend, rank=rank, world_size=WORLD,
                                timeout=datetime.timedelta(seconds=DEADLINE_S // 2))
        result = _train(rank, backend, *args)
    except Exception as exc:  # reported by the parent, the other checks go on
        result = {'error': f'rank {rank}: {type(exc).__name__}: {exc}',
                  'traceback': traceback.format_exc()[-2000:]}
    queue.put((rank, result))
    if dist.is_initialized():
        dist.destroy_process_group()


def skip_reason(device: str, choice: str) -> str | None:
    """Why the 2-process run does not happen here (None: it does)."""
    if choice == 'off':
        return 'skipped: --dist off'
    if choice == 'gloo':
        return None
    if device != 'cuda':
        return 'skipped: no GPU (--dist gloo runs it with 2 CPU processes)'
    count = torch.cuda.device_count()
    if count < WORLD:
        return f'skipped: {count} GPU'
    return None


def dist_check(device: str, choice: str, case_name: str, batch: int | None, size: int | None,
               warmup: int, iters: int) -> dict:
    """The 2-process run (module docstring), or why it was skipped; a JSON-able dict."""
    reason = skip_reason(device, choice)
    if reason:
        return {'skipped': reason}
    backend = 'gloo' if choice == 'gloo' else 'nccl'
    ctx = mp.get_context('spawn')
    queue = ctx.SimpleQueue()
    args = (case_name, batch, size, warmup, iters)
    procs = mp.start_processes(_worker, args=(backend, free_port(), queue, args), nprocs=WORLD,
                               join=False, start_method='spawn')
    deadline = time.monotonic() + DEADLINE_S
    try:
        while not procs.join(timeout=5):
            if time.monotonic() > deadline:
                raise TimeoutError(f'no result after {DEADLINE_S} s')
    except Exception as exc:
        for p in procs.processes:
            if p.is_alive():
                p.kill()
        return {'backend': backend, 'error': f'{type(exc).__name__}: {str(exc)[:500]}'}
    results = dict(queue.get() for _ in range(WORLD))
    errors = [r['error'] for r in results.values() if 'error' in r]
    if errors:
        return {'backend': backend, 'error': '; '.join(errors),
                'traceback': results[0].get('traceback') or results[1].get('traceback')}
    out = {'backend': backend, 'processes': WORLD, **results[0]}
    out['all_reduce_ok'] = all(r['all_reduce_ok'] for r in results.values())
    return out
