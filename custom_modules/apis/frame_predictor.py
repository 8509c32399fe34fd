"""A crash-frame classifier from config + checkpoint: decoded BGR frames -> crash probabilities.

Preprocessing is the config's test pipeline without its loading step, applied to the decoded
frame as ``LoadImageFromFile`` would give it; the model's data preprocessor normalises as in
testing. ``preprocess`` uses numpy and OpenCV only, so it can run in a decoding thread without
competing with the forward's torch threads.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .predictor import ConfigError, Predictor, test_pipeline

LOAD_STEPS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'mmpretrain.LoadImageFromFile')


def test_pipeline_steps(cfg) -> list[dict]:
    """The config's test (else val) dataloader pipeline without its image-loading step."""
    pipeline = test_pipeline(cfg)
    steps = [step for step in pipeline if step['type'] not in LOAD_STEPS]
    if len(steps) == len(pipeline):
        raise ConfigError(f'expected the test pipeline to start with LoadImageFromFile, got '
                          f'{[s["type"] for s in pipeline]}')
    return steps


def resize_to(steps: list[dict], width: int | None = None,
              height: int | None = None) -> list[dict]:
    """``steps`` with their one ``Resize`` set to exactly ``width`` x ``height`` pixels.

    A size left None keeps the config's (``scale`` is ``(w, h)``, or one int for both). The
    origin's ``--width/--height`` resized every frame to that size, so ``keep_ratio`` is off.

    Raises:
        ConfigError: No ``Resize`` step, more than one, or no scale to keep a side from.
    """
    if width is None and height is None:
        return steps
    where = [i for i, step in enumerate(steps) if step['type'].split('.')[-1] == 'Resize']
    if len(where) != 1:
        raise ConfigError(f'--width/--height set the test pipeline\'s Resize, but it has '
                          f'{len(where)} Resize steps: {[step["type"] for step in steps]}')
    step = dict(steps[where[0]])
    scale = step.get('scale')
    if isinstance(scale, int):
        scale = (scale, scale)
    if scale is None and (width is None or height is None):
        raise ConfigError(f'the test pipeline\'s Resize has no scale ({step}): give both '
                          '--width and --height')
    step['scale'] = (width or scale[0], height or scale[1])
    step['keep_ratio'] = False
    step.pop('scale_factor', None)
    return [*steps[:where[0]], step, *steps[where[0] + 1:]]


def logits_to_probs(logits: torch.Tensor) -> torch.Tensor:
    """One logit (``[N]`` or ``[N, 1]``): sigmoid; two: softmax's second column."""
    if logits.dim() == 1 or logits.shape[1] == 1:
        return torch.sigmoid(logits.reshape(-1))
    if logits.shape[1] == 2:
        return torch.softmax(logits, dim=1)[:, 1]
    raise ConfigError(f'a crash model gives 1 or 2 outputs per frame, got {logits.shape[1]}')


class FramePredictor(Predictor):
    """A crash model (one logit, or two classes) fed decoded video frames.

    Args: as :class:`~custom_modules.apis.predictor.Predictor` (the head keeps the config's
    size: class names are not needed), and ``width``/``height``: the frame size the test
    pipeline resizes to, instead of the config's (:func:`resize_to`).
    """

    def __init__(self, config: str | Path | None, checkpoint: str | Path, *,
                 width: int | None = None, height: int | None = None, **kwargs) -> None:
        super().__init__(config, checkpoint, **kwargs)
        steps = resize_to(test_pipeline_steps(self.cfg), width, height)
        # PackInputs (HWC array -> CHW tensor) is done in numpy by `preprocess`: the decode
        # thread then calls no torch op, whose OpenMP team would compete with the forward's.
        self.packs = steps[-1]['type'].split('.')[-1] == 'PackInputs'
        self.pipeline = self.build_pipeline(steps[:-1] if self.packs else steps)

    def preprocess(self, frame: np.ndarray) -> np.ndarray:
        """One BGR frame -> the test pipeline's ``inputs`` as a uint8 ``[C, H, W]`` array."""
        h, w = frame.shape[:2]
        results = self.pipeline(dict(img=frame, img_shape=(h, w), ori_shape=(h, w)))
        if not self.packs:
            inputs = results['inputs']
            return inputs.numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        return np.ascontiguousarray(img.transpose(2, 0, 1))  # as PackInputs: [C, H, W]

    @torch.inference_mode()
    def predict(self, batch: torch.Tensor | np.ndarray) -> np.ndarray:
        """``[N, C, H, W]`` uint8 batch -> crash probability per frame (``[N]`` float)."""
        if isinstance(batch, np.ndarray):
            batch = torch.from_numpy(batch)
        data = self.model.data_preprocessor({'inputs': batch}, False)
        logits = self.model(data['inputs'], mode='tensor')
        if isinstance(logits, (tuple, list)):
            logits = logits[-1]
        return logits_to_probs(logits).float().cpu().numpy()
