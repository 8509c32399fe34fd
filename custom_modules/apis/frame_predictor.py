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
    size: class names are not needed).
    """

    def __init__(self, config: str | Path, checkpoint: str | Path, **kwargs) -> None:
        super().__init__(config, checkpoint, **kwargs)
        steps = test_pipeline_steps(self.cfg)
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
