"""Per-iteration cost of a TSM training step through podium's Runner vs a bare PyTorch loop.

One process loads podium's TSM config (model 1 of the action solution by default: MMAction2
``Recognizer2D`` = ``ResNetTSM`` + ``TSMHead``, ``ActionDataPreprocessor``, SGD with the
TSM optimizer constructor and gradient clipping, podium's runtime and hooks), swaps its data for
a tiny in-memory clip dataset and its train loop for the one below, builds the Runner
(``custom_modules.engine.runner.build_runner``) and calls ``runner.train()``. The loop then, in
place of epochs, alternates two timed steps on the same data:

- runner: ``next(dataloader)`` + ``EpochBasedTrainLoop.run_iter``, i.e. everything a real
  training iteration does: collate, the before/after_train_iter hooks (runtime info, iteration
  timer, logger and its scalar backends every ``log_interval`` iterations, param scheduler,
  checkpoint) and ``model.train_step`` (data preprocessor: stack, cast, normalise; backbone,
  head, loss with mmaction's top-k accuracy; parse_losses; OptimWrapper: backward, clip, step,
  zero_grad).
- bare: a deep copy of the same model (same weights) and the same batch already preprocessed in
  memory: ``backbone`` -> ``cls_head`` -> ``F.cross_entropy`` -> backward -> the config's
  gradient clipping -> an optimizer of the same class, hyper-parameters and parameter groups
  -> zero_grad.

Warm-up rounds come first, then timed rounds interleaved (A B, B A, A B...) so that machine
noise hits both alike. Each step reseeds torch with the same seed, so dropout masks match and
both models follow the same trajectory: the loss difference printed is a check that the two
columns do the same work. Results are printed and written to ``<work-dir>/train_overhead.json``.

    python bench/train_overhead.py [--config CONFIG] [--depth 50] [--size 224] [--frames 8] \
        [--batch 2] [--warmup 3] [--rounds 8] [--device auto|cpu|cuda] [--threads N] \
        [--work-dir work_dirs/bench]
"""
from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import custom_modules  # noqa: E402, F401, I001  (first: stubs mmaction's missing drn package)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmaction.registry import DATASETS, LOOPS  # noqa: E402
from mmaction.structures import ActionDataSample  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.runner import EpochBasedTrainLoop  # noqa: E402
from torch.utils.data import Dataset  # noqa: E402

from custom_modules.engine.runner import build_runner  # noqa: E402
from custom_modules.utils.atomic import atomic_write  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = (REPO_ROOT / 'configs/tsm'
                  / 'tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-224px.py')
TARGET_RATIO = 1.10
WIDTH = {18: 512, 34: 512, 50: 2048, 101: 2048}  # ResNet depth -> last stage channels
# option -> (default on CUDA, default on CPU): a TSM-R50 step at 224 px takes 4-6 s on a CPU
DEFAULTS = {'depth': (50, 18), 'size': (224, 112), 'warmup': (10, 3), 'rounds': (30, 8)}


@DATASETS.register_module(force=True)
class BenchClipDataset(Dataset):
    """SYNTHETIC clips held in memory: what ``PackActionInputs`` yields, minus any decoding.

    Args:
        num_samples: length of the dataset.
        frames: frames per clip (TSM segments).
        size: frame side in pixels.
        num_classes: labels cycle through ``range(num_classes)``.
        distinct: how many different clips exist; sample ``i`` is clip ``i % distinct``.
        seed: seed of the random pixels.
    """

    def __init__(self, num_samples: int, frames: int, size: int, num_classes: int,
                 distinct: int, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.num_samples = num_samples
        self.num_classes = num_classes
        self.clips = [torch.randint(0, 256, (frames, 3, size, size), dtype=torch.uint8,
                                    generator=generator) for _ in range(distinct)]  # [T,C,H,W]
        self.metainfo = {'classes': [f'class_{k}' for k in range(num_classes)]}

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> dict:
        clip = index % len(self.clips)
        sample = ActionDataSample().set_gt_label(clip % self.num_classes)
        return dict(inputs=self.clips[clip], data_samples=sample)


def _timed(step: Callable[[], float], sync: Callable[[], None]) -> tuple[float, float]:
    """Run ``step``; return (milliseconds, loss)."""
    sync()
    start = time.perf_counter()
    loss = step()
    sync()
    return (time.perf_counter() - start) * 1000, loss


@LOOPS.register_module(force=True)
class InterleavedBenchLoop(EpochBasedTrainLoop):
    """Train loop that times Runner iterations against bare PyTorch steps (module docstring).

    Args:
        runner: the Runner.
        dataloader: the train dataloader (or its config).
        warmup: untimed rounds first.
        rounds: timed rounds; each runs one step of each kind.
        seed: base seed; round ``r`` reseeds with ``seed + r`` before each of its two steps.
    """

    def __init__(self, runner, dataloader, warmup: int = 3, rounds: int = 8,
                 seed: int = 0) -> None:
        super().__init__(runner, dataloader, max_epochs=1)
        self.warmup, self.rounds, self.seed = warmup, rounds, seed
        self.results: dict = {}

    def _bare_step_fn(self) -> Callable[[], float]:
        """A bare PyTorch step on a deep copy of the model and one preprocessed batch."""
        model, optim_wrapper = self.runner.model, self.runner.optim_wrapper
        if type(optim_wrapper) is not OptimWrapper:
            raise TypeError(f'the bare loop mirrors OptimWrapper only, the config has '
                            f'{type(optim_wrapper).__name__}')
        bare = copy.deepcopy(model)
        optimizer = optim_wrapper.optimizer
        to_bare = dict(zip(map(id, model.parameters()), bare.parameters()))  # same order
        groups = [{**group, 'params': [to_bare[id(p)] for p in group['params']]}
                  for group in optimizer.param_groups]  # e.g. TSM's fc_lr5 groups
        bare_optimizer = type(optimizer)(groups, **optimizer.defaults)
        clip_kwargs = optim_wrapper.clip_grad_kwargs
        clip = optim_wrapper.clip_func if clip_kwargs else None
        # in the optimizer's order, as OptimWrapper clips: the norm's summation order matters
        params = [p for g in bare_optimizer.param_groups for p in g['params'] if p.requires_grad]
        dataset = self.dataloader.dataset
        batch_size = self.dataloader.batch_size
        batch = self.dataloader.collate_fn([dataset[i] for i in range(batch_size)])
        with torch.no_grad():
            data = model.data_preprocessor(batch, training=True)
        inputs = data['inputs']  # [B, T, C, H, W], float, normalised, on the device
        frames = inputs.shape[1]
        inputs = inputs.reshape((-1, ) + inputs.shape[2:])  # [B * T, C, H, W]
        labels = torch.cat([s.gt_label for s in data['data_samples']]).to(inputs.device)

        def step() -> float:
            logits = bare.cls_head(bare.backbone(inputs), num_segs=frames)  # [B, classes]
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            if clip is not None:
                clip(params, **clip_kwargs)
            bare_optimizer.step()
            bare_optimizer.zero_grad()
            return loss.item()

        return step

    def run(self):
        runner = self.runner
        runner.call_hook('before_train')
        runner.call_hook('before_train_epoch')
        runner.model.train()
        bare_step = self._bare_step_fn()
        batches = enumerate(self.dataloader)
        fetch_ms: list[float] = []

        def runner_step() -> float:
            start = time.perf_counter()
            idx, data_batch = next(batches)
            fetch_ms.append((time.perf_counter() - start) * 1000)
            self.run_iter(idx, data_batch)
            return float(runner.message_hub.get_scalar('train/loss').current())

        cuda = next(runner.model.parameters()).is_cuda
        sync = torch.cuda.synchronize if cuda else (lambda: None)
        times: dict[str, list[float]] = {'runner': [], 'bare': []}
        losses: dict[str, list[float]] = {'runner': [], 'bare': []}
        steps = {'runner': runner_step, 'bare': bare_step}
        gc.collect()
        for r in range(self.warmup + self.rounds):
            order = ('runner', 'bare') if r % 2 == 0 else ('bare', 'runner')
            for name in order:
                torch.manual_seed(self.seed + r)  # same dropout masks for both
                ms, loss = _timed(steps[name], sync)
                losses[name].append(loss)
                if r >= self.warmup:
                    times[name].append(ms)
        runner.call_hook('after_train')
        loss_diff = max(abs(a - b) for a, b in zip(losses['runner'], losses['bare']))
        optim_wrapper = runner.optim_wrapper
        clip = optim_wrapper.clip_grad_kwargs
        self.results = {'times_ms': times, 'losses': losses, 'max_loss_diff': loss_diff,
                        'optimizer': type(optim_wrapper.optimizer).__name__,
                        'clip': f'{optim_wrapper.clip_func.__name__}({clip})' if clip else None,
                        'fetch_ms': fetch_ms[self.warmup:]}
        return runner.model


def build_config(args: argparse.Namespace, run_dir: Path):
    """``args.config`` with the bench's data, loop, model size and no validation or testing."""
    from mmengine.config import Config

    cfg = Config.fromfile(args.config)
    iterations = args.warmup + args.rounds
    cfg.model.backbone.update(depth=args.depth, num_segments=args.frames, pretrained=None,
                              pretrained2d=False)
    cfg.model.cls_head.update(num_classes=args.num_classes, in_channels=WIDTH[args.depth],
                              num_segments=args.frames)
    cfg.train_dataloader = dict(
        batch_size=args.batch, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='BenchClipDataset', num_samples=args.batch * (iterations + 1),
                     frames=args.frames, size=args.size, num_classes=args.num_classes,
                     distinct=args.batch, seed=args.seed))
    cfg.train_cfg = dict(type='InterleavedBenchLoop', warmup=args.warmup, rounds=args.rounds,
                         seed=args.seed)
    for split in ('val', 'test'):
        cfg[f'{split}_dataloader'] = cfg[f'{split}_cfg'] = cfg[f'{split}_evaluator'] = None
    if args.log_interval:
        cfg.default_hooks.logger.interval = args.log_interval
    args.log_interval = cfg.default_hooks.logger.interval  # recorded with the results
    cfg.update(work_dir=str(run_dir), launcher='none', randomness=dict(seed=args.seed),
               load_from=None, resume=False)
    return cfg


def _load() -> float | None:
    """The 1-minute load average (None where the OS has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def cpu_name() -> str:
    """The CPU model (Linux), else the machine type."""
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summarize(times: list[float]) -> dict[str, float]:
    return {'median_ms': statistics.median(times), 'mean_ms': statistics.fmean(times),
            'min_ms': min(times), 'max_ms': max(times)}


def report(result: dict) -> str:
    """The printed table."""
    s = result['settings']
    lines = [
        f"TSM-R{s['depth']} train step, batch {s['batch']} x {s['frames']} frames at "
        f"{s['size']} px, {s['num_classes']} classes, on {result['device']} "
        f"({result['torch_threads']} torch threads); {s['warmup']} warm-up + "
        f"{s['rounds']} timed rounds, interleaved",
        f"{'':<8}{'median ms':>12}{'mean ms':>12}{'min ms':>12}{'max ms':>12}",
    ]
    for name in ('runner', 'bare'):
        row = result[name]
        lines.append(f"{name:<8}{row['median_ms']:>12.1f}{row['mean_ms']:>12.1f}"
                     f"{row['min_ms']:>12.1f}{row['max_ms']:>12.1f}")
    verdict = 'OK' if result['within_target'] else 'OVER'
    lines.append(f"ratio runner/bare: {result['ratio_median']:.3f} (median), "
                 f"{result['ratio_mean']:.3f} (mean); target <= {TARGET_RATIO:.2f}: {verdict}")
    loads = [v for v in result['load_average'].values() if v is not None]
    if loads and max(loads) > (os.cpu_count() or 1):
        hint = '; on a shared CPU try --threads 1' if result['torch_threads'] > 1 else ''
        lines.append(f'WARNING: the machine was busy (1-min load average up to {max(loads)} on '
                     f'{os.cpu_count()} cores): timings are noisy{hint}')
    lines.append(f"of the runner's time, fetching the batch from the DataLoader: "
                 f"{result['runner_fetch_median_ms']:.2f} ms (median)")
    lines.append(f"max |loss runner - loss bare| over all rounds: {result['max_loss_diff']:.2e}")
    lines.append(f"config: {result['config']}")
    lines.append(f"runner = {result['measured']['runner']}")
    lines.append(f"bare   = {result['measured']['bare']}")
    return '\n'.join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='TSM training step: Runner vs bare PyTorch')
    parser.add_argument('--config', default=str(DEFAULT_CONFIG),
                        help='a TSM config (ResNetTSM + TSMHead); its data, loop and model '
                        'size are replaced (default: podium\'s TSM-R50 action config)')
    parser.add_argument('--depth', type=int, choices=sorted(WIDTH),
                        help='ResNet depth (default: 50 on CUDA, 18 on CPU)')
    parser.add_argument('--size', type=int,
                        help='frame side in pixels (default: 224 on CUDA, 112 on CPU)')
    parser.add_argument('--frames', type=int, default=8, help='frames per clip = TSM segments')
    parser.add_argument('--batch', type=int, default=2, help='clips per batch')
    parser.add_argument('--num-classes', type=int, default=10)
    parser.add_argument('--warmup', type=int,
                        help='untimed rounds (default: 10 on CUDA, 3 on CPU)')
    parser.add_argument('--rounds', type=int,
                        help='timed rounds of one step each (default: 30 on CUDA, 8 on CPU)')
    parser.add_argument('--log-interval', type=int,
                        help="LoggerHook interval (default: the config's); its cost is part of "
                        "the runner's time")
    parser.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s); 1 on a CPU shared with '
                        'other jobs avoids OpenMP oversubscription')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default='work_dirs/bench',
                        help='train_overhead.json and the runner logs (train_overhead/) go here')
    args = parser.parse_args(argv)
    if args.device == 'auto':
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    elif args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda, but no CUDA device is available')
    for name, (gpu, cpu) in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, gpu if args.device == 'cuda' else cpu)
    if args.rounds < 1 or args.warmup < 0:
        parser.error('--rounds must be >= 1 and --warmup >= 0')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = _load()
    work_dir = Path(args.work_dir)
    runner = build_runner(build_config(args, work_dir / 'train_overhead'))
    if args.device == 'cpu':
        runner.model.to('cpu')  # the Runner put it on the GPU if there is one
    runner.train()
    bench = runner.train_loop.results
    device = next(runner.model.parameters()).device
    runner_row, bare_row = (summarize(bench['times_ms'][k]) for k in ('runner', 'bare'))
    result = {
        'settings': {k: getattr(args, k) for k in ('depth', 'size', 'frames', 'batch',
                                                   'num_classes', 'warmup', 'rounds',
                                                   'log_interval', 'seed')},
        'device': (torch.cuda.get_device_name(device) if device.type == 'cuda'
                   else f'cpu ({cpu_name()}, {os.cpu_count()} cores)'),
        'torch': torch.__version__,
        'torch_threads': torch.get_num_threads(),
        'load_average': {'before': load_before, 'after': _load()},
        'runner': runner_row,
        'bare': bare_row,
        'ratio_median': runner_row['median_ms'] / bare_row['median_ms'],
        'ratio_mean': runner_row['mean_ms'] / bare_row['mean_ms'],
        'target_ratio': TARGET_RATIO,
        'runner_fetch_median_ms': statistics.median(bench['fetch_ms']),
        'max_loss_diff': bench['max_loss_diff'],
        'times_ms': bench['times_ms'],
        'losses': bench['losses'],
        'config': args.config,
        'measured': {'runner': 'next(dataloader) + run_iter: before/after_train_iter hooks + '
                     'model.train_step (data preprocessor, forward, loss, parse_losses, '
                     'OptimWrapper.update_params)',
                     'bare': 'backbone + cls_head on the preprocessed batch, F.cross_entropy, '
                     f'backward, {bench["clip"] or "no clipping"}, '
                     f'{bench["optimizer"]} step, zero_grad'},
    }
    result['within_target'] = result['ratio_median'] <= TARGET_RATIO
    print(report(result))
    out = work_dir / 'train_overhead.json'
    with atomic_write(out, 'w', encoding='utf-8') as f:
        json.dump(result, f, indent=2)
    print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
