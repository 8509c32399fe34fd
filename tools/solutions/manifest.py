"""Solution manifests (``configs/solutions/<name>.py``) and the environment overrides."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custom_modules.utils.errors import PodiumError

REPO_ROOT = Path(__file__).resolve().parents[2]


class ManifestError(PodiumError, ValueError):
    """A manifest that cannot be run, with the reason and the file."""


@dataclass
class Run:
    """One model of a solution: its config, how its data is wired, its ensemble weight."""

    name: str
    kind: str
    config: Path
    train_list: str = 'train_fold{fold}.txt'
    weight: float = 1.0
    needs_boxes: bool = False
    pretrained: dict | None = None
    cfg_options: dict = field(default_factory=dict)
    amp: bool | None = None  # this run's --amp (None: the manifest's ``amp``)
    tta: bool | None = None  # this run's --tta in inference (None: the manifest's ``tta``)


@dataclass
class Manifest:
    """A parsed manifest with DATA_ROOT / WORK_DIR / FOLDS applied."""

    name: str
    path: Path
    flow: str
    data_root: Path
    work_dir: Path
    folds: list[int]
    runs: list[Run]
    raw: dict[str, Any]
    # What the preflight learnt of the data (classes, det_classes): a dry run plans with these
    # before the lists that hold them are written.
    facts: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None  # every training gets --seed (None: the config's own randomness)
    deterministic: bool = False  # every training gets --deterministic
    checkpoints: Path | None = None  # inference --checkpoints DIR: DIR/<run>/fold<k>.pth
    trust_checkpoints: bool = False  # inference --trust-checkpoints: full unpickle allowed
    amp: bool = False  # every training gets --amp (a run's own ``amp`` wins)
    sync_bn: bool = False  # every training gets sync_bn=torch (used with CUDA and > 1 process)
    resume_anyway: bool = False  # train --resume-anyway: resume runs whose inputs changed
    tta: bool = False  # every test run gets --tta (a run's own ``tta`` wins); see tta_of
    # ``ensemble = dict(weights=...)``: 'manifest' (the runs' ``weight``) or 'oof' (fitted on
    # the out-of-fold predictions when every fold is trained; tools/solutions/cv.py)
    ensemble_weights: str = 'manifest'

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


def manifest_path(solution: str) -> Path:
    """``action`` -> ``configs/solutions/action.py``; a path is taken as is."""
    candidate = Path(solution)
    if candidate.suffix == '.py' and candidate.is_file():
        return candidate.resolve()
    path = REPO_ROOT / 'configs' / 'solutions' / f'{solution}.py'
    if not path.is_file():
        known = sorted(p.stem for p in (REPO_ROOT / 'configs' / 'solutions').glob('*.py'))
        raise ManifestError(f'unknown solution {solution!r}: no {path} (known: {", ".join(known)})')
    return path


def _parse_folds(text: str, where: str, num_folds: int | None = None) -> list[int]:
    """``0,1,2`` -> [0, 1, 2]; ``all`` -> every fold 0..num_folds-1 (a holdout split: [0])."""
    if text.strip().lower() == 'all':
        return list(range(num_folds if num_folds else 1))
    try:
        folds = [int(part) for part in text.replace(' ', '').split(',') if part != '']
    except ValueError:
        raise ManifestError(
            f'{where}: folds must be integers like 0 or 0,1,2, or all, got {text!r}') from None
    if not folds or any(f < 0 for f in folds):
        raise ManifestError(f'{where}: folds must be non-negative integers, got {text!r}')
    return folds


def _parse_randomness(raw: dict[str, Any], where: str) -> tuple[int | None, bool]:
    """The manifest's ``seed`` (an int >= 0, or None) and ``deterministic`` (a bool)."""
    seed, deterministic = raw.get('seed'), raw.get('deterministic', False)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ManifestError(f'{where}: seed must be an integer >= 0 or None, got {seed!r}')
    if not isinstance(deterministic, bool):
        raise ManifestError(
            f'{where}: deterministic must be True or False, got {deterministic!r}')
    return seed, deterministic


def _parse_flag(raw: dict[str, Any], key: str, where: str, default: bool | None) -> bool | None:
    """``raw[key]`` as True or False (``default`` when absent); anything else is an error."""
    value = raw.get(key, default)
    if value is not default and not isinstance(value, bool):
        raise ManifestError(f'{where}: {key} must be True or False, got {value!r}')
    return value


def _parse_ensemble(raw: dict[str, Any], where: str) -> str:
    """``ensemble = dict(weights='oof')`` -> 'oof'; absent -> 'manifest' (the runs' weights)."""
    ens = raw.get('ensemble') or {}
    weights = ens.get('weights', 'manifest') if isinstance(ens, dict) else ens
    if weights not in ('manifest', 'oof'):
        raise ManifestError(f"{where}: ensemble must be dict(weights='oof') (fitted on the "
                            f"out-of-fold predictions) or dict(weights='manifest'), got {ens!r}")
    return weights


def load_manifest(solution: str, env: dict[str, str] | None = None) -> Manifest:
    """Read a manifest; ``DATA_ROOT``, ``WORK_DIR`` and ``FOLDS`` in ``env`` override it."""
    from mmengine.config import Config

    env = dict(os.environ if env is None else env)
    path = manifest_path(solution)
    raw = Config.fromfile(str(path)).to_dict()
    where = str(path)
    for key in ('flow', 'runs'):
        if key not in raw:
            raise ManifestError(f'{where}: missing `{key}`')
    name = raw.get('solution', path.stem)
    data_root = Path(env.get('DATA_ROOT') or raw.get('data_root', f'data/{name}'))
    work_dir = Path(env.get('WORK_DIR') or raw.get('work_dir', f'work_dirs/{name}'))
    settings = raw.get('preprocess', {})
    num_folds = settings.get('folds', 5)
    split_folds = None if settings.get('valid_size') else num_folds  # a holdout has fold 0 only
    if env.get('FOLDS'):
        folds = _parse_folds(env['FOLDS'], 'FOLDS', split_folds)
    else:
        given = raw.get('folds', [0])
        folds = _parse_folds(given if isinstance(given, str) else ','.join(map(str, given)),
                             where, split_folds)
    if any(f >= num_folds for f in folds):
        raise ManifestError(f'{where}: folds {folds} outside 0..{num_folds - 1} '
                            f'(preprocess.folds = {num_folds})')
    runs = []
    for i, run in enumerate(raw['runs']):
        missing = {'name', 'kind', 'config'} - set(run)
        if missing:
            raise ManifestError(f'{where}: runs[{i}] misses {sorted(missing)}')
        config = (REPO_ROOT / run['config']).resolve()
        if not config.is_file():
            raise ManifestError(f'{where}: runs[{i}] ({run["name"]}): no config {config}')
        runs.append(Run(name=run['name'], kind=run['kind'], config=config,
                        train_list=run.get('train_list', 'train_fold{fold}.txt'),
                        weight=float(run.get('weight', 1.0)),
                        needs_boxes=bool(run.get('needs_boxes', False)),
                        pretrained=run.get('pretrained'),
                        cfg_options=dict(run.get('cfg_options', {})),
                        amp=_parse_flag(run, 'amp', f'{where}: runs[{i}]', None),
                        tta=_parse_flag(run, 'tta', f'{where}: runs[{i}]', None)))
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ManifestError(f'{where}: run names must be unique, got {names}')
    seed, deterministic = _parse_randomness(raw, where)
    _check_tta(raw, runs, where)
    return Manifest(name=name, path=path, flow=raw['flow'], data_root=data_root,
                    work_dir=work_dir, folds=folds, runs=runs, raw=raw, seed=seed,
                    deterministic=deterministic, amp=_parse_flag(raw, 'amp', where, False),
                    sync_bn=_parse_flag(raw, 'sync_bn', where, False),
                    tta=_parse_flag(raw, 'tta', where, False),
                    ensemble_weights=_parse_ensemble(raw, where))


NO_TTA_FLOWS = {'crash': 'its frames are predicted by custom_modules.apis.FramePredictor, '
                         'not tools/test.py'}
NO_TTA_KINDS = {'detector': 'Faster R-CNN configs declare no TTA'}


def _check_tta(raw: dict[str, Any], runs: list[Run], where: str) -> None:
    """``tta=True`` where no test run could honour it is an error now, not at inference."""
    if raw.get('tta') and raw['flow'] in NO_TTA_FLOWS:
        raise ManifestError(f'{where}: tta is not supported by the {raw["flow"]} flow '
                            f'({NO_TTA_FLOWS[raw["flow"]]})')
    for run in runs:
        if run.tta and (run.kind in NO_TTA_KINDS or raw['flow'] in NO_TTA_FLOWS):
            why = NO_TTA_KINDS.get(run.kind) or NO_TTA_FLOWS[raw['flow']]
            raise ManifestError(f'{where}: run {run.name}: tta is not supported ({why})')


def tta_of(m: Manifest, run: Run) -> bool:
    """Whether ``run`` predicts with test-time augmentation (``tools/test.py --tta``): its own
    ``tta``, else the manifest's; never for the kinds without TTA (detectors)."""
    if run.kind in NO_TTA_KINDS or m.flow in NO_TTA_FLOWS:
        return False
    return m.tta if run.tta is None else run.tta
