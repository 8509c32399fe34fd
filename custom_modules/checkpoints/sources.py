"""Where a pretrained weight file comes from, and whether the copy here is the right one.

Two sources, in order: a solution manifest's ``pretrained`` dict (``file``, ``what`` and an
optional ``url``) and the model zoos of the installed packages: the ``metafile.yml`` files that
``mmpretrain``, ``mmaction`` and ``mmdet`` ship under ``.mim/configs`` (each model's
``Weights`` URL), then torchvision's weight enums. Zoo file names end in
``-<first 8 hex digits of the file's sha256>.pth``, which is what :func:`name_sha256_prefix`
reads and :func:`file_status` checks.
"""
from __future__ import annotations

import glob
import importlib.util
import os.path as osp
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..compat.checkpoint import file_digest

ZOO_PACKAGES = ('mmpretrain', 'mmaction', 'mmdet')
_HASH_SUFFIX = re.compile(r'-([0-9a-f]{8,64})\.(?:pth|pt|pkl|ckpt|bin)$')


@dataclass(frozen=True)
class Weight:
    """One run's pretrained weights as a manifest names them."""

    solution: str
    run: str
    file: str  # as written in the manifest (relative to the repository root)
    what: str
    url: str | None  # the manifest's own `url`, if any
    make: str | None = None  # the command that makes the file here (converted weights), if any


def name_sha256_prefix(name: str) -> str | None:
    """The sha256 prefix a zoo file name ends with (``x-0676ba61.pth`` -> ``0676ba61``)."""
    match = _HASH_SUFFIX.search(osp.basename(name))
    return match.group(1) if match else None


def manifest_weights(path: str | Path) -> list[Weight]:
    """The pretrained weights of every run of one solution manifest (runs without none skipped)."""
    from mmengine.config import Config

    raw = Config.fromfile(str(path)).to_dict()
    solution = str(raw.get('solution', Path(path).stem))
    weights = []
    for run in raw.get('runs') or []:
        pre = run.get('pretrained') if isinstance(run, dict) else None
        if not pre or not pre.get('file'):
            continue
        weights.append(Weight(solution, str(run.get('name', '?')), str(pre['file']),
                              str(pre.get('what', osp.basename(pre['file']))), pre.get('url'),
                              pre.get('make')))
    return weights


def _metafile_urls(path: str) -> list[str]:
    """Every ``Weights`` URL of one metafile; a file that does not parse gives none."""
    import yaml

    loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.load(f, Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    models = data.get('Models') if isinstance(data, dict) else data
    urls: list[str] = []
    for model in models if isinstance(models, list) else []:
        weights = model.get('Weights') if isinstance(model, dict) else None
        for url in weights if isinstance(weights, list) else [weights]:
            if isinstance(url, str) and url.startswith(('http://', 'https://')):
                urls.append(url.strip())
    return urls


def metafiles(packages: tuple[str, ...] = ZOO_PACKAGES) -> list[str]:
    """The installed packages' model-zoo metafiles (a package not installed is skipped)."""
    found: list[str] = []
    for package in packages:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        for location in (spec.submodule_search_locations or []) if spec else []:
            pattern = osp.join(location, '.mim', 'configs', '**', 'metafile.yml')
            found.extend(sorted(glob.glob(pattern, recursive=True)))
    return found


@lru_cache(maxsize=4)
def zoo_index(packages: tuple[str, ...] = ZOO_PACKAGES) -> dict[str, str]:
    """File name -> URL over the packages' metafiles (built once per process, ~0.3 s)."""
    index: dict[str, str] = {}
    for path in metafiles(packages):
        for url in _metafile_urls(path):
            index.setdefault(url.rsplit('/', 1)[-1], url)
    return index


@lru_cache(maxsize=1)
def torchvision_index() -> dict[str, str]:
    """File name -> URL of torchvision's weights (empty without torchvision; imports torch)."""
    try:
        import torchvision.models as models
    except ImportError:
        return {}
    index = {}
    for name in models.list_models():
        for weights in models.get_model_weights(name):
            index.setdefault(weights.url.rsplit('/', 1)[-1], weights.url)
    return index


def find_url(name: str, weight: Weight | None = None) -> str | None:
    """The source URL of a file name: the manifest's ``url``, the OpenMMLab zoos, torchvision."""
    if weight is not None and weight.url:
        return weight.url
    base = osp.basename(name)
    return zoo_index().get(base) or torchvision_index().get(base)


def file_status(path: str | Path, sha256: str | None = None) -> str:
    """``present``, ``missing`` or ``hash mismatch`` (against ``sha256`` or the name's prefix;
    a name without one is ``present`` when the file exists)."""
    path = Path(path)
    if not path.is_file():
        return 'missing'
    expected = (sha256 or name_sha256_prefix(path.name) or '').lower()
    if expected and not file_digest(path).startswith(expected):
        return 'hash mismatch'
    return 'present'
