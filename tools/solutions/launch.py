"""Launch tools/train.py and tools/test.py (one process, or N through the dist launchers)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from custom_modules.utils.console import ConsoleFilter
from custom_modules.utils.errors import InputError

from .manifest import REPO_ROOT
from .stages import StageFailed


def format_option(value: Any) -> str:
    """A value in mmengine's ``--cfg-options`` syntax (lists as ``[a,b]``, tuples ``(a,b)``)."""
    if isinstance(value, (list, tuple)):
        inner = ','.join(format_option(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner},)'
    return str(value)


def shell_line(cmd: Sequence[str]) -> str:
    """A command as one line a user can paste into a shell (``$ ...``)."""
    import shlex

    return '$ ' + shlex.join(cmd)


def cfg_options_args(options: Mapping[str, Any]) -> list[str]:
    if not options:
        return []
    return ['--cfg-options', *(f'{k}={format_option(v)}' for k, v in options.items())]


def tool_command(tool: str, positional: Sequence[str], gpus: int,
                 extra: Sequence[str] = (), env: Mapping[str, str] | None = None) -> list[str]:
    """How to start ``tools/<tool>.py`` on ``gpus`` devices.

    With ``PARTITION`` set: ``tools/slurm_<tool>.sh PARTITION podium-<tool> ...`` (``GPUS`` is
    exported by :func:`run_logged`); else one plain process for gpus <= 1, or
    ``tools/dist_<tool>.sh`` (torchrun) for more.
    """
    env = os.environ if env is None else env
    if env.get('PARTITION'):
        return ['bash', str(REPO_ROOT / 'tools' / f'slurm_{tool}.sh'), env['PARTITION'],
                f'podium-{tool}', *positional, *extra]
    if gpus <= 1:
        return [sys.executable, str(REPO_ROOT / 'tools' / f'{tool}.py'), *positional, *extra]
    return ['bash', str(REPO_ROOT / 'tools' / f'dist_{tool}.sh'), *positional, str(gpus), *extra]


def run_logged(cmd: Sequence[str], log_file: Path, what: str, gpus: int = 1) -> None:
    """Run ``cmd``, keeping its output in ``log_file`` and echoing what a console wants
    (progress, metrics, errors: :class:`~custom_modules.utils.console.ConsoleFilter`); fail
    with the log's name."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, 'PYTHONUNBUFFERED': '1', 'GPUS': str(max(gpus, 1))}
    env.setdefault('PYTHON', sys.executable)
    with open(log_file, 'w') as log:
        log.write('$ ' + ' '.join(cmd) + '\n')
        log.flush()
        proc = subprocess.Popen(list(cmd), cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        console = ConsoleFilter()  # config and environment dumps: the log only
        for line in proc.stdout:
            log.write(line)
            if console(line):
                sys.stdout.write(line)
        code = proc.wait()
    if code != 0:
        raise StageFailed(f'{what} failed (exit code {code}); full log: {log_file}')


def train_command(config: Path, work_dir: Path, gpus: int, options: Mapping[str, Any],
                  resume: bool, auto_scale_lr: bool = False, seed: int | None = None,
                  deterministic: bool = False, amp: bool = False) -> list[str]:
    """The command line of one training (what a dry run prints, what :func:`train` runs).

    ``seed``, ``deterministic`` and ``amp`` (the manifest's) become ``--seed N``,
    ``--deterministic`` and ``--amp``.
    """
    extra = ['--work-dir', str(work_dir), *(['--resume'] if resume else []),
             *(['--auto-scale-lr'] if auto_scale_lr else []), *(['--amp'] if amp else []),
             *(['--seed', str(seed)] if seed is not None else []),
             *(['--deterministic'] if deterministic else []), *cfg_options_args(options)]
    return tool_command('train', [str(config)], gpus, extra)


def train(config: Path, work_dir: Path, gpus: int, options: Mapping[str, Any], resume: bool,
          log_file: Path, auto_scale_lr: bool = False, seed: int | None = None,
          deterministic: bool = False, amp: bool = False) -> None:
    run_logged(train_command(config, work_dir, gpus, options, resume, auto_scale_lr, seed,
                             deterministic, amp), log_file, f'training {config.name}', gpus)


def test_command(config: Path, checkpoint: Path, work_dir: Path, gpus: int,
                 options: Mapping[str, Any], dump: Path, extra: Sequence[str] = ()) -> list[str]:
    """The command line of one test run dumping its predictions to ``dump``; ``extra`` are
    further tools/test.py flags (``--trust-checkpoint FILE``)."""
    extra = ['--work-dir', str(work_dir), '--dump', str(dump), *extra,
             *cfg_options_args(options)]
    return tool_command('test', [str(config), str(checkpoint)], gpus, extra)


def test(config: Path, checkpoint: Path, work_dir: Path, gpus: int,
         options: Mapping[str, Any], dump: Path, log_file: Path,
         extra: Sequence[str] = ()) -> None:
    run_logged(test_command(config, checkpoint, work_dir, gpus, options, dump, extra), log_file,
               f'testing {config.name}', gpus)


def final_checkpoint(work_dir: Path) -> Path:
    """The best checkpoint (``best_*.pth``) of a finished run, else its last one."""
    best = sorted(work_dir.glob('best_*.pth'), key=lambda p: p.stat().st_mtime)
    if best:
        return best[-1]
    last = work_dir / 'last_checkpoint'
    if last.is_file():
        path = Path(last.read_text().strip())
        if path.is_file():
            return path
    raise InputError(f'no checkpoint in {work_dir}: train this run first (bash train.sh)')


def best_val_metrics(work_dir: Path, keys: Sequence[str],
                     by: str | None = None) -> dict[str, float]:
    """Validation metrics in the run's ``vis_data/scalars.json`` files: with ``by`` (the
    metric the best checkpoint is kept by), those of the first validation with the highest
    ``by``, the best checkpoint's scores; without it, the best value of each metric on its own
    (from different epochs, possibly)."""
    rows = []
    for scalars in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and any(key in row for key in keys):
                rows.append(row)
    if by is not None and any(by in row for row in rows):
        top = max((row for row in rows if by in row), key=lambda row: float(row[by]))
        return {key: float(top[key]) for key in keys if key in top}  # max(): the first best
    best: dict[str, float] = {}
    for row in rows:
        for key in keys:
            if key in row:
                best[key] = max(best.get(key, float('-inf')), float(row[key]))
    return best


def save_best_metric(config: Path, cfg_options: Mapping[str, Any] | None = None) -> str | None:
    """The metric a config's CheckpointHook keeps its best checkpoint by (``save_best``, after
    ``cfg_options``); None without one, or for ``'auto'`` or several."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(dict(cfg_options))
    best = (cfg.get('default_hooks') or {}).get('checkpoint', {}).get('save_best')
    return best if isinstance(best, str) and best != 'auto' else None
