"""GPU check: each solution's full-size model trained for a few iterations, fp32 and AMP.

For every case (bench/gpu_check_cases.py: TSM-R50 1x1x8 224, Faster R-CNN R50-FPN 1333x800,
EfficientNetV2-S 384 and Swin-B 224 of the sports solution, the crash EfficientNetV2-S 384 and
the localize EfficientNet-B0 448), built from its config with no checkpoint and fed SYNTHETIC
batches of the config's input shape at the config's per-GPU batch size:

- fp32 and AMP (``AmpOptimWrapper``, bf16 where the device supports it, else fp16): samples/s
  after warm-up iterations and peak GPU memory (``torch.cuda.max_memory_allocated``, reset per
  measurement) of mmengine's ``train_step``, and of the same model and batch in a bare PyTorch
  loop; ``mm/bare`` is mmengine's step time over the bare one (bench/gpu_check_train.py).
- mmcv's nms / RoIAlign on podium's routes: mmcv's compiled kernels vs torchvision's, keep
  indices and max |difference|, timings (bench/gpu_check_ops.py).
- a 2-process DDP run (NCCL) where there are 2 GPUs (bench/gpu_check_dist.py).

An error in one case is recorded (JSON and table) and the others go on; the exit status is 1
when anything failed. ``bash bench/gpu_check.sh`` sets up a bare GPU machine and runs this.

    python bench/gpu_check.py [--device auto|cuda|cpu] [--iters N] [--warmup N] \
        [--only NAME ...] [--batch N] [--size N] [--ops/--no-ops] [--dist auto|gloo|off] \
        [--out work_dirs/gpu_check/gpu_check.json]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ''):  # run as a script: the repo root and bench/ importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(1, str(Path(__file__).resolve().parent))

import custom_modules  # noqa: E402, F401, I001  (first: patches the stack, routes mmcv ops)
import torch  # noqa: E402
from gpu_check_cases import (CASE_NAMES, CASES, Case, batch_size, build_model,  # noqa: E402
                             load_config, sample_shape, synthetic_batch)
from gpu_check_dist import dist_check  # noqa: E402
from gpu_check_ops import ops_check  # noqa: E402
from gpu_check_train import (DTYPE_NAMES, amp_dtype, measure_bare,  # noqa: E402
                             measure_mmengine, mmengine_amp_refusal, reset_memory)

from custom_modules.utils.atomic import atomic_write_json  # noqa: E402

SHORT = {'bfloat16': 'bf16', 'float16': 'fp16', 'float32': 'fp32'}
DEFAULTS = {'iters': (10, 1), 'warmup': (3, 0)}  # option -> (on CUDA, on a CPU)
_T0 = time.monotonic()


def progress(message: str) -> None:
    print(f'[gpu_check {time.monotonic() - _T0:6.1f}s] {message}', flush=True)


def describe(exc: BaseException) -> str:
    return f'{type(exc).__name__}: {str(exc).strip()[:400]}'


def _measure(fn, model, cfg, batch, args, dtype) -> dict:
    try:
        return fn(model, cfg, batch, args.device, dtype, args.warmup, args.iters)
    except Exception as exc:  # recorded; the next measurement goes on
        traceback.print_exc()
        return {'error': describe(exc)}
    finally:
        reset_memory(args.device)


def run_case(case: Case, args: argparse.Namespace, amp_refusal: str | None) -> dict:
    """fp32 and AMP, mmengine and bare, for one case; errors recorded, never raised."""
    entry: dict = {'name': case.name, 'title': case.title, 'config': case.config, 'modes': {}}
    try:
        cfg = load_config(case, args.size)
        n = batch_size(cfg, args.batch)
        entry.update(batch=n, input_shape=[n, *sample_shape(case, cfg, args.size)])
        batch = synthetic_batch(case, cfg, n, args.size)
        model = build_model(cfg, args.device)
        entry['params_m'] = round(sum(p.numel() for p in model.parameters()) / 1e6, 2)
        amp = amp_dtype(args.device, cfg, args.amp_dtype)
    except Exception as exc:
        traceback.print_exc()
        entry['error'] = describe(exc)
        reset_memory(args.device)
        return entry
    try:
        for mode, dtype in (('fp32', None), ('amp', amp)):
            row: dict = {'dtype': DTYPE_NAMES.get(dtype, 'float32')}
            for side, fn in (('mmengine', measure_mmengine), ('bare', measure_bare)):
                if dtype is not None and amp_refusal:  # no mmengine AMP: nothing to compare
                    row[side] = {'skipped': amp_refusal if side == 'mmengine' else
                                 'skipped: no mmengine AMP run to compare with'}
                    continue
                progress(f'{case.name} {mode} {side}: {args.warmup} warm-up + {args.iters} '
                         f'timed iterations, batch {n}')
                row[side] = _measure(fn, model, cfg, batch, args, dtype)
            mm, bare = row['mmengine'].get('step_ms'), row['bare'].get('step_ms')
            row['ratio_mm_bare'] = round(mm / bare, 3) if mm and bare else None
            entry['modes'][mode] = row
    finally:
        del model
        reset_memory(args.device)
    return entry


def _safe(name: str, fn, *fn_args) -> dict:
    progress(f'{name} ...')
    try:
        return fn(*fn_args)
    except Exception as exc:
        traceback.print_exc()
        return {'error': describe(exc)}


def failures(result: dict) -> list[str]:
    """Every error recorded in ``result``, as 'where: what'."""
    found = []
    for case in result['cases']:
        if 'error' in case:
            found.append(f"{case['name']}: {case['error']}")
        for mode, row in case.get('modes', {}).items():
            found += [f"{case['name']} {mode} {side}: {row[side]['error']}"
                      for side in ('mmengine', 'bare') if 'error' in row.get(side, {})]
    found += [f'{key}: {result[key]["error"]}' for key in ('ops', 'dist')
              if isinstance(result.get(key), dict) and 'error' in result[key]]
    return found


def _num(value, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, (int, float)) else '-'


def _cell(side: dict) -> str:
    if 'samples_per_s' in side:
        return _num(side['samples_per_s'], '.1f')
    return 'skipped' if 'skipped' in side else 'ERROR'


def _mem(row: dict) -> str:
    mem = [row.get(side, {}).get('peak_mem_mib') for side in ('mmengine', 'bare')]
    return 'n/a' if mem == [None, None] else '/'.join(_num(m, '.0f') for m in mem)


def case_lines(result: dict) -> list[str]:
    head = (f"{'case':<31}{'mode':<10}{'batch':>5}  {'input':<18}{'mmengine/s':>11}"
            f"{'bare/s':>9}{'mm/bare':>8}  {'peak MiB mm/bare':<16}")
    lines = [head, '-' * len(head)]
    for case in result['cases']:
        if 'error' in case:
            lines.append(f"{case['title']:<31}ERROR  {case['error'][:80]}")
            continue
        shape = 'x'.join(map(str, case['input_shape'][1:]))
        for mode, row in case['modes'].items():
            label = mode if mode == 'fp32' else f"amp {SHORT[row['dtype']]}"
            lines.append(f"{case['title']:<31}{label:<10}{case['batch']:>5}  {shape:<18}"
                         f"{_cell(row['mmengine']):>11}{_cell(row['bare']):>9}"
                         f"{_num(row['ratio_mm_bare'], '.3f'):>8}  {_mem(row):<16}")
            for side in ('mmengine', 'bare'):
                note = row[side].get('error') or row[side].get('skipped')
                if note:
                    lines.append(f'    {side}: {note[:110]}')
    return lines


def ops_lines(ops: dict | None) -> list[str]:
    if ops is None:
        return ['mmcv ops: not run (--no-ops)']
    if 'error' in ops:
        return [f"mmcv ops: ERROR {ops['error'][:110]}"]
    w, tv, mm = ops['workload'], ops['torchvision'], ops['mmcv']
    lines = [f"mmcv ops on {ops['device']}: default route {ops['default_route']} "
             f"({ops['route_summary'][:80]})",
             f"  nms {w['nms_boxes']} boxes, RoIAlign {w['rois']} RoIs fwd+bwd: torchvision "
             f"{tv['nms_ms']:.3f} / {tv['roi_align_fwd_bwd_ms']:.3f} ms"]
    if isinstance(mm, str):
        lines.append(f'  mmcv compiled: {mm}')
        return lines
    cmp = ops['compare']
    lines.append(f"  mmcv compiled {mm['nms_ms']:.3f} / {mm['roi_align_fwd_bwd_ms']:.3f} ms; "
                 f"nms keep identical: {'yes' if cmp['nms_keep_identical'] else 'NO'}; "
                 f"RoIAlign max|diff| out {cmp['roi_align_out_max_abs_diff']:.2e}, "
                 f"grad {cmp['roi_align_grad_max_abs_diff']:.2e}")
    return lines


def dist_lines(d: dict) -> list[str]:
    if 'skipped' in d:
        return [f"2-process DDP: {d['skipped']}"]
    if 'error' in d:
        return [f"2-process DDP ({d.get('backend', '?')}): ERROR {d['error'][:110]}"]
    return [f"2-process DDP ({d['backend']}, {d['case']}, batch {d['batch_per_process']} per "
            f"process): {d['samples_per_s']:.1f} samples/s, {d['step_ms']:.1f} ms/step; "
            f"all_reduce {'ok' if d['all_reduce_ok'] else 'WRONG'}, parameters "
            f"{'in sync' if d['params_in_sync'] else 'DIFFER'}"]


def report(result: dict) -> str:
    m = result['meta']
    lines = [f"GPU check on {m['device_name']} (torch {m['torch']}, mmcv {m['mmcv']}); "
             f"{m['warmup']} warm-up + {m['iters']} timed iterations per measurement; "
             "SYNTHETIC data",
             'samples/s: images (TSM: clips of 8 frames) per second; mm/bare: mmengine step time '
             'over the bare PyTorch step time; peak: max_memory_allocated', '']
    lines += case_lines(result) + [''] + ops_lines(result['ops']) + dist_lines(result['dist'])
    bad = failures(result)
    lines.append(f"total {result['elapsed_s']:.0f} s; "
                 + (f'{len(bad)} FAILED: ' + '; '.join(b[:80] for b in bad) if bad
                    else 'no errors'))
    return '\n'.join(lines)


def meta(args: argparse.Namespace) -> dict:
    import mmcv

    cuda = args.device == 'cuda'
    return {'device': args.device,
            'device_name': torch.cuda.get_device_name(0) if cuda else
            f'CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)',
            'gpus': torch.cuda.device_count() if cuda else 0, 'torch': torch.__version__,
            'cuda': torch.version.cuda, 'mmcv': mmcv.__version__, 'python':
            platform.python_version(), 'amp_dtype': args.amp_dtype, 'iters': args.iters,
            'warmup': args.warmup, 'batch_override': args.batch, 'size_override': args.size,
            'cudnn_benchmark': torch.backends.cudnn.benchmark,
            'date': time.strftime('%Y-%m-%d %H:%M:%S %Z')}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--device', choices=['auto', 'cuda', 'cpu'], default='auto')
    p.add_argument('--iters', type=int, help='timed iterations (default: 10 on CUDA, 1 on CPU)')
    p.add_argument('--warmup', type=int, help='untimed iterations first (default: 3 / 0)')
    p.add_argument('--only', action='append', choices=CASE_NAMES, metavar='NAME',
                   help=f'run only these cases (repeatable): {", ".join(CASE_NAMES)}')
    p.add_argument('--batch', type=int, help="batch size for every case (default: each "
                   "config's train_dataloader.batch_size)")
    p.add_argument('--size', type=int, help='image side for every case, for quick runs '
                   "(default: each config's input size)")
    p.add_argument('--amp-dtype', choices=['auto', 'bfloat16', 'float16'], default='auto',
                   help="AMP dtype: auto = the config's (optim_wrapper.dtype / amp_dtype), else "
                   'bf16 where the device has it, else fp16')
    p.add_argument('--ops', action=argparse.BooleanOptionalAction, default=True,
                   help='compare the routes of mmcv nms / RoIAlign (default: on)')
    p.add_argument('--dist', choices=['auto', 'gloo', 'off'], default='auto',
                   help='2-process DDP: auto = NCCL where there are 2 GPUs; gloo = 2 CPU '
                   'processes (a test of the code path)')
    p.add_argument('--dist-case', choices=CASE_NAMES, default='localize')
    p.add_argument('--out', default='work_dirs/gpu_check/gpu_check.json')
    args = p.parse_args(argv)
    if args.device == 'auto':
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    elif args.device == 'cuda' and not torch.cuda.is_available():
        p.error('--device cuda, but torch sees no CUDA device')
    for name, (gpu, cpu) in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, gpu if args.device == 'cuda' else cpu)
    if args.iters < 1 or args.warmup < 0 or (args.batch or 1) < 1 or (args.size or 32) < 32:
        p.error('need --iters >= 1, --warmup >= 0, --batch >= 1, --size >= 32')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    refusal = mmengine_amp_refusal(args.device)
    cases = [c for c in CASES if not args.only or c.name in args.only]
    result: dict = {'meta': meta(args), 'cases': []}
    progress(f"{len(cases)} cases on {result['meta']['device_name']}"
             + (f'; AMP {refusal}' if refusal else ''))
    out = Path(args.out)

    def save(complete: bool = False) -> None:  # after each step: a killed run keeps the rest
        result.update(complete=complete, elapsed_s=round(time.monotonic() - _T0, 1))
        result['failures'] = failures(result)
        atomic_write_json(out, result)

    result.update(ops=None, dist={'skipped': 'not reached'})
    for case in cases:
        progress(f'case {case.name}: {case.config}')
        result['cases'].append(run_case(case, args, refusal))
        save()
    result['ops'] = _safe('mmcv ops: both routes', ops_check, args.device) if args.ops else None
    save()
    result['dist'] = _safe('2-process DDP', dist_check, args.device, args.dist, args.dist_case,
                           args.batch, args.size, min(args.warmup, 1), min(args.iters, 3))
    save(complete=True)
    print(report(result))
    print(f'wrote {out}')
    return 1 if result['failures'] else 0


if __name__ == '__main__':
    sys.exit(main())
