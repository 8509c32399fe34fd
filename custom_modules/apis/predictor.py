"""The one predictor base: a model built from a config + checkpoint, ready to predict.

What every podium predictor shares (:class:`~custom_modules.apis.ImagePredictor`,
:class:`~custom_modules.apis.FramePredictor`): the config (with ``--cfg-options``) and its
``default_scope``, used for every build and never left as the global one; the class names (given,
else the checkpoint's ``meta.dataset_meta``) and, for a classifier, the head sized to them; the
checkpoint read once, on the CPU, through podium's trust policy
(:mod:`custom_modules.compat.checkpoint`: a file not written by a podium run on this machine loads
weights-only unless opted in); the device; eval mode.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from ..utils.errors import PodiumError


class CheckpointNotFound(PodiumError, FileNotFoundError):
    """The checkpoint file does not exist."""


class CheckpointMismatch(PodiumError):
    """The checkpoint does not hold weights that fit the model the config builds."""


class NoClassNames(PodiumError):
    """A classifier needs class names and neither the user nor the checkpoint gave them."""

    def __init__(self, checkpoint: str | Path) -> None:
        super().__init__(f'{checkpoint} has no class names (meta.dataset_meta); give '
                         '--classes classes.txt')


class ConfigError(PodiumError, ValueError):
    """The config lacks something a predictor needs."""


def default_device() -> str:
    """``cuda:0`` when a GPU is visible, else ``cpu``."""
    return 'cuda:0' if torch.cuda.is_available() else 'cpu'


def load_config(config: str | Path, cfg_options: dict | None = None):
    """The config file as an mmengine ``Config``, with ``cfg_options`` merged in."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint's content on the CPU, loaded through the trust policy.

    Raises:
        CheckpointNotFound: No such file.
        UntrustedCheckpointError: The file needs a full unpickle and is not trusted.
        CheckpointMismatch: The file holds no dict (no weights to load).
    """
    from mmengine.runner import CheckpointLoader

    import custom_modules  # noqa: F401  (installs the trust policy)

    path = Path(path)
    if not path.is_file():
        raise CheckpointNotFound(f'checkpoint not found: {path}')
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu', logger='silent')
    if not isinstance(ckpt, dict):
        raise CheckpointMismatch(f'{path}: no state_dict in the checkpoint')
    return ckpt


def checkpoint_classes(ckpt: dict) -> list[str] | None:
    """Class names a Runner checkpoint keeps in ``meta.dataset_meta`` (None if absent)."""
    classes = ((ckpt.get('meta') or {}).get('dataset_meta') or {}).get('classes')
    return list(classes) if classes else None


def read_checkpoint_classes(checkpoint: str | Path) -> list[str] | None:
    """Class names of a checkpoint file (None if it has none); see :func:`checkpoint_classes`."""
    return checkpoint_classes(read_checkpoint(checkpoint))


def set_num_classes(cfg, num_classes: int) -> None:
    """Point the config's class count at the data (TimmClassifier keeps it on the model)."""
    if cfg.model.get('type') == 'TimmClassifier':
        cfg.model.num_classes = num_classes
    elif cfg.model.get('head') is not None:
        cfg.model.head.num_classes = num_classes
    if cfg.get('data_preprocessor') is not None:
        cfg.data_preprocessor.num_classes = num_classes


def model_config(cfg) -> dict:
    """``cfg.model`` as the Runner builds it (top-level ``data_preprocessor`` merged in), with
    every ``init_cfg`` dropped: the checkpoint holds every weight, no pretrained file is read."""
    model_cfg = dict(cfg.model)
    if cfg.get('data_preprocessor') is not None and 'data_preprocessor' not in model_cfg:
        model_cfg['data_preprocessor'] = dict(cfg.data_preprocessor)
    model_cfg.pop('init_cfg', None)
    for part in ('backbone', 'neck', 'head'):
        if isinstance(model_cfg.get(part), dict):
            model_cfg[part] = {k: v for k, v in model_cfg[part].items() if k != 'init_cfg'}
    return model_cfg


def test_pipeline(cfg) -> list[dict]:
    """The config's test (else val) dataloader pipeline, as a list of step dicts."""
    for split in ('test_dataloader', 'val_dataloader'):
        pipeline = (cfg.get(split) or {}).get('dataset', {}).get('pipeline')
        if pipeline:
            return [dict(step) for step in pipeline]
    raise ConfigError('the config has no test_dataloader.dataset.pipeline to preprocess with')


class Predictor:
    """Base of podium's predictors: the config's model with the checkpoint's weights.

    Subclasses add the input side (a pipeline) and the output side (probabilities, features).

    Args:
        config: An OpenMMLab config file; None: the config the checkpoint keeps in its metadata
            (``meta['cfg']``, read as data: :mod:`~custom_modules.apis.checkpoint_config`).
        checkpoint: Its weights (a Runner checkpoint or a plain state dict).
        classes: Class names in label order; default: the checkpoint's ``meta.dataset_meta``.
        device: Torch device; default: ``cuda:0`` when available, else ``cpu``.
        cfg_options: Config overrides (``--cfg-options``).
        trust: Checkpoint files allowed a full unpickle, besides the config's
            ``trusted_checkpoints`` and the files podium runs wrote here.
    """

    fit_head: bool = False  # size the head to the class names (a classifier of N classes)

    def __init__(self, config: str | Path | None, checkpoint: str | Path, *,
                 classes: Sequence[str] | None = None, device: str | None = None,
                 cfg_options: dict | None = None, trust: Sequence[str | Path] = ()) -> None:
        from custom_modules.compat import trust_file
        from custom_modules.registry import library_registry

        from .checkpoint_config import config_from_checkpoint

        self.checkpoint = Path(checkpoint)
        if config is None:  # the checkpoint cannot vouch for itself: only `trust` counts
            for path in trust:
                trust_file(path)
            ckpt = read_checkpoint(checkpoint)
            self.cfg = config_from_checkpoint(ckpt, checkpoint, cfg_options)
        else:
            self.cfg = load_config(config, cfg_options)
            for path in [*self.cfg.get('trusted_checkpoints', []), *trust]:
                trust_file(path)
            ckpt = read_checkpoint(checkpoint)
        self.classes = list(classes) if classes else checkpoint_classes(ckpt)
        if self.fit_head:
            if not self.classes:
                raise NoClassNames(checkpoint)
            set_num_classes(self.cfg, len(self.classes))
        self.scope_name = self.cfg.get('default_scope', 'mmpretrain')
        with self.scope():
            self.model = library_registry(self.scope_name).build(model_config(self.cfg))
        self._load_weights(ckpt)
        self.device = torch.device(device or default_device())
        self.model.to(self.device).eval()

    def _load_weights(self, ckpt: dict) -> None:
        from mmengine.runner.checkpoint import _load_checkpoint_to_model

        try:
            _load_checkpoint_to_model(self.model, ckpt, strict=True, logger='silent')
        except RuntimeError as err:  # missing / unexpected keys, shape mismatches
            raise CheckpointMismatch(f'{self.checkpoint} does not fit the model of the config: '
                                     f'{err}') from None

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """The config's ``default_scope`` for builds and transforms in this block."""
        from mmengine.registry import DefaultScope

        with DefaultScope.overwrite_default_scope(self.scope_name):
            yield

    def build_pipeline(self, steps: Sequence[dict]) -> Any:
        """Compose of ``steps`` built from the config scope's TRANSFORMS registry."""
        from mmengine.dataset import Compose

        from custom_modules.registry import library_registry

        with self.scope():
            transforms = library_registry(self.scope_name, 'TRANSFORMS')
            return Compose([transforms.build(step) for step in steps])
