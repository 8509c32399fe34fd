"""What a training run trained on, so a rerun resumes only a run whose inputs are unchanged.

``<run_dir>/fingerprint.json`` records, part by part, the resolved config, every ``--cfg-options``
value (a file's value with its content hash: the lists, the class list; large files such as
pretrained weights by size and mtime), the flow's input files and the launch flags (seed,
determinism, AMP, lr scaling). A rerun compares part by part:

- unchanged: an interrupted run resumes; a finished one is kept (its inputs were only touched);
- changed: the run restarts from scratch and its previous outputs are moved aside to
  ``<run>/fold<k>.replaced-<time>/`` (never deleted), unless ``--resume-anyway`` (an
  interrupted run only); the message names the parts that changed.

Not covered: edits to the images themselves (the lists name them, their pixels are not hashed)
and the number of processes (``--gpus``).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custom_modules.utils.atomic import atomic_write_json, move_into_place

FINGERPRINT = 'fingerprint.json'
HASH_LIMIT = 16 << 20  # bigger files (weights) are fingerprinted by size and mtime


def file_digest(path: Path) -> str:
    """A file's content hash (sha256), or ``size=..,mtime=..`` above :data:`HASH_LIMIT`."""
    st = path.stat()
    if st.st_size > HASH_LIMIT:
        return f'size={st.st_size},mtime_ns={st.st_mtime_ns}'
    return 'sha256:' + hashlib.sha256(path.read_bytes()).hexdigest()


def config_digest(config: Path) -> str:
    """The hash of the resolved config (the file with every ``_base_`` it inherits)."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(config))
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=str)
    return 'sha256:' + hashlib.sha256(text.encode()).hexdigest()


def value_part(value: Any) -> str:
    """An option's value; for a path to a file, the path and its content."""
    text = json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, (str, Path)) and str(value) and Path(value).is_file():
        return f'{text} {file_digest(Path(value))}'
    return text


def run_fingerprint(config: Path, options: Mapping[str, Any], inputs: Sequence[Path],
                    flags: Mapping[str, Any]) -> dict[str, str]:
    """``{part: digest}`` of one training: config, each option, each input file, each flag."""
    parts = {'config': f'{config} {config_digest(config)}'}
    parts.update({f'option {key}': value_part(value) for key, value in options.items()})
    for path in inputs:
        path = Path(path)
        parts[f'input {path}'] = file_digest(path) if path.is_file() else 'missing'
    parts.update({f'flag {key}': json.dumps(value) for key, value in flags.items()})
    return parts


def read_fingerprint(wd: Path) -> dict[str, str] | None:
    """The parts a run recorded, or None (no file: a run made before fingerprints)."""
    try:
        return dict(json.loads((wd / FINGERPRINT).read_text())['parts'])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_fingerprint(wd: Path, parts: Mapping[str, str], note: str | None = None) -> None:
    atomic_write_json(wd / FINGERPRINT, {'parts': dict(parts), 'written': time.strftime(
        '%Y-%m-%d %H:%M:%S'), 'note': note})


def changed_parts(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """The parts that differ, in words: ``option model.head.num_classes: 4 -> 5``."""
    out = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if before is None or after is None:
            out.append(f'{key} {"added" if before is None else "removed"}')
            continue
        (old_value, old_digest), (new_value, new_digest) = _split(before), _split(after)
        if old_digest != new_digest:
            out.append(f'{key}: content changed')
        else:
            out.append(f'{key}: {old_value} -> {new_value}'
                       + (' (same content)' if new_digest else ''))
    return out


def _split(part: str) -> tuple[str, str]:
    """``'<value> <digest>'`` -> (value, digest); a part without a digest -> (part, '')."""
    for mark in (' sha256:', ' size='):
        if mark in part:
            value, digest = part.rsplit(mark, 1)
            return value, mark.strip() + digest
    if part.startswith(('sha256:', 'size=')):
        return '', part
    return part, ''


def has_training_outputs(wd: Path) -> bool:
    """Whether a run folder holds a training's results (checkpoints or its done marker)."""
    return wd.is_dir() and ((wd / 'last_checkpoint').exists() or (wd / 'done.json').exists()
                            or any(wd.glob('*.pth')))


@dataclass
class ResumeDecision:
    """What a (re)started training does with its run folder."""

    action: str  # 'fresh' | 'resume' | 'keep' (finished, inputs unchanged) | 'restart'
    note: str | None = None  # the line the runner prints

    @property
    def resume(self) -> bool:
        return self.action == 'resume'


def decide(wd: Path, current: Mapping[str, str], force: bool,
           resume_anyway: bool) -> ResumeDecision:
    """Whether the training in ``wd`` resumes, is kept, or restarts (outputs moved aside)."""
    if not has_training_outputs(wd):
        return ResumeDecision('fresh')
    done = (wd / 'done.json').exists()
    if force:
        return ResumeDecision('restart', 'FORCE: training again from scratch')
    old = read_fingerprint(wd)
    if old is None:
        if done:
            return ResumeDecision('restart', 'its inputs are newer than the finished training '
                                  '(which recorded no fingerprint): training again')
        return ResumeDecision('resume', 'resuming; this run recorded no fingerprint (an older '
                              'podium), so its inputs cannot be checked')
    changes = changed_parts(old, current)
    if not changes:
        if done:
            return ResumeDecision('keep', 'inputs touched but unchanged in content (same '
                                  'fingerprint): the finished training is kept')
        return ResumeDecision('resume', 'resuming from the last checkpoint (same inputs)')
    what = '; '.join(changes)
    if resume_anyway and not done:
        return ResumeDecision('resume', f'--resume-anyway: resuming although its inputs changed '
                              f'({what})')
    return ResumeDecision('restart', f'its inputs changed since the checkpoints were made '
                          f'({what}): not resuming, training from scratch'
                          + ('' if done else ' (--resume-anyway, or RESUME_ANYWAY=1, resumes '
                                             'instead)'))


def move_aside(wd: Path) -> Path:
    """Moves a run folder to ``<wd>.replaced-<time>`` (never deleted); returns the new place."""
    stamp = time.strftime('%Y%m%d-%H%M%S')
    target = wd.with_name(f'{wd.name}.replaced-{stamp}')
    n = 1
    while target.exists():
        n += 1
        target = wd.with_name(f'{wd.name}.replaced-{stamp}-{n}')
    return move_into_place(wd, target)


def date_after(marker: Path, inputs: Sequence[Path]) -> None:
    """Gives ``marker`` the newest input's mtime (if later than its own): the stage is up to
    date again, and a later stage made after that input keeps its outputs."""
    times = [Path(p).stat().st_mtime for p in inputs if Path(p).exists()]
    if times and max(times) > marker.stat().st_mtime:
        os.utime(marker, (max(times), max(times)))
