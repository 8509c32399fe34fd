"""Test-time augmentation (``tools/test.py --tta``), as MMPretrain's tools/test.py does it.

A config declares its TTA with either

- ``tta_model`` (a ``BaseTTAModel`` that merges the views, e.g. ``MeanScoreTTA``) and
  ``tta_transforms``: the augmentation branches of mmcv's ``TestTimeAug``, inserted before the
  last step (the pack) of the config's OWN test pipeline, so no pipeline is copied
  (``configs/_base_/tta_flip.py``); or a whole ``tta_pipeline``;
- only a ``tta_pipeline`` whose views the model averages itself: MMAction2's multi-clip /
  multi-crop testing (``SampleFrames(twice_sample=True)``, ``ThreeCrop``), where the
  recognizer's ``average_clips='prob'`` merges the views.

``--tta`` then wraps ``cfg.model`` in ``tta_model`` (when there is one) and swaps the test
pipeline for the TTA one. A config that declares nothing is refused: a silent default flip
would, e.g., leave localisation boxes mirrored.
"""
from __future__ import annotations

import copy
import math
from typing import Any

from ..utils.errors import PodiumError


def _views_averaged_by_model(model: dict) -> bool:
    """Whether the model merges several views of a sample itself (MMAction2 heads)."""
    head = model.get('cls_head') or {}
    return head.get('average_clips') in ('prob', 'score')


def tta_pipeline(cfg) -> list[dict[str, Any]]:
    """The config's ``tta_pipeline``, else its test pipeline with ``tta_transforms`` inserted
    as a ``TestTimeAug`` before the pack step."""
    if cfg.get('tta_pipeline') is not None:
        return copy.deepcopy(list(cfg.tta_pipeline))
    test_pipeline = copy.deepcopy(list(cfg.test_dataloader.dataset.pipeline))
    branches = [list(b) for b in cfg.tta_transforms]
    return [*test_pipeline[:-1],
            dict(type='TestTimeAug', transforms=[*branches, [test_pipeline[-1]]])]


def apply_tta(cfg, source: str = 'the config') -> str:
    """Switch ``cfg`` to test-time augmentation in place; returns a one-line description.

    Args:
        cfg: an mmengine Config (``model`` and ``test_dataloader`` already merged).
        source: the config's name, for the messages.

    Raises:
        PodiumError: the config declares no TTA, or declares views nothing would merge.
    """
    has_model = cfg.get('tta_model') is not None
    if cfg.get('tta_pipeline') is None and cfg.get('tta_transforms') is None:
        raise PodiumError(
            f'--tta: {source} declares no test-time augmentation (tta_pipeline, or tta_model '
            'with tta_transforms); image classifiers inherit configs/_base_/tta_flip.py, '
            'TSM configs set a multi-clip/multi-crop tta_pipeline')
    if cfg.get('tta_pipeline') is None and not has_model:
        raise PodiumError(f'--tta: {source} gives tta_transforms but no tta_model to merge '
                          'the views')
    pipeline = tta_pipeline(cfg)
    uses_test_time_aug = any(step.get('type') == 'TestTimeAug' for step in pipeline)
    if not has_model and (uses_test_time_aug or not _views_averaged_by_model(cfg.model)):
        raise PodiumError(
            f'--tta: {source} has a tta_pipeline but no tta_model, and its model does not '
            'average several views itself (MMAction2 cls_head.average_clips=\'prob\'); '
            'nothing would merge the augmented views into one prediction')
    if has_model:
        from mmengine.config import ConfigDict

        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = pipeline
    merged_by = cfg.tta_model['type'] if has_model else 'the model (average_clips)'
    views = [step for step in pipeline if step.get('type') == 'TestTimeAug']
    what = (f'{math.prod(len(b) for b in views[0]["transforms"])} views per sample' if views
            else 'multi-clip/multi-crop test pipeline')
    return f'test-time augmentation: {what}, merged by {merged_by}'
