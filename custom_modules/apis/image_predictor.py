"""An image classifier from config + checkpoint: image files -> class probabilities or features."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..utils.errors import PodiumError
from .predictor import Predictor, test_pipeline


class ImageLoadError(PodiumError, ValueError):
    """An image the test pipeline cannot read or transform; the message names the file."""


class ImagePredictor(Predictor):
    """A classifier and its config's test pipeline (loading included), fed image files.

    Args: as :class:`~custom_modules.apis.predictor.Predictor`; the head is sized to the class
    names (given, else the checkpoint's), which a classifier needs.
    """

    fit_head = True

    def __init__(self, config: str | Path, checkpoint: str | Path, **kwargs) -> None:
        super().__init__(config, checkpoint, **kwargs)
        self.pipeline = self.build_pipeline(test_pipeline(self.cfg))

    def load(self, path: str | Path) -> dict:
        """The pipeline's output for one image; an unreadable file is named in the error."""
        try:
            with self.scope():
                data = self.pipeline({'img_path': str(path)})
        except Exception as err:  # any decoder error: say which file
            raise ImageLoadError(f'{path}: cannot read or transform the image ({err})') from err
        if data is None:
            raise ImageLoadError(f'{path}: the pipeline dropped the image')
        return data

    def predict(self, batch: list[dict]) -> np.ndarray:
        """Class probabilities ``[N, C]`` of a batch of pipeline outputs."""
        import torch
        from mmengine.dataset import pseudo_collate

        with torch.no_grad():
            samples = self.model.test_step(pseudo_collate(batch))
        return np.stack([s.pred_score.float().cpu().numpy() for s in samples])

    def features(self, batch: list[dict]) -> np.ndarray:
        """The features the head sees ``[N, D]`` (backbone + neck; a timm model's pooled
        features before its classifier) of a batch of pipeline outputs."""
        import torch
        from mmengine.dataset import pseudo_collate

        model = self.model
        with torch.no_grad():
            inputs = model.data_preprocessor(pseudo_collate(batch), False)['inputs']
            if hasattr(model, 'neck') or hasattr(model, 'backbone'):
                feats = model.extract_feat(inputs, stage='neck')
                feats = feats[-1] if isinstance(feats, (tuple, list)) else feats
            else:  # TimmClassifier
                feats = model.model.forward_head(model.model.forward_features(inputs),
                                                 pre_logits=True)
            feats = feats.flatten(1) if feats.dim() == 2 else feats.mean(dim=(2, 3))
        return feats.float().cpu().numpy()

    def predict_paths(self, paths: Sequence[Path], batch_size: int = 32, workers: int = 0,
                      progress: bool = True) -> np.ndarray:
        """Probabilities ``[N, C]`` of the image files, in their order."""
        return self._run(self.predict, paths, batch_size, workers, progress, 'predict')

    def embed_paths(self, paths: Sequence[Path], batch_size: int = 32, workers: int = 0,
                    progress: bool = True) -> np.ndarray:
        """Features ``[N, D]`` (see :meth:`features`) of the image files, in their order."""
        return self._run(self.features, paths, batch_size, workers, progress, 'embed')

    def _run(self, forward: Callable[[list[dict]], np.ndarray], paths: Sequence[Path],
             batch_size: int, workers: int, progress: bool, desc: str) -> np.ndarray:
        """``forward`` over batches loaded by a DataLoader (``workers`` processes)."""
        from torch.utils.data import DataLoader
        from tqdm import tqdm

        loader = DataLoader(_Images(paths, self), batch_size=batch_size, shuffle=False,
                            num_workers=workers, collate_fn=list)
        out = []
        with tqdm(total=len(paths), desc=desc, unit='img', disable=not progress) as bar:
            for batch in loader:
                out.append(forward(batch))
                bar.update(len(batch))
        return np.concatenate(out)


class _Images:
    """Map-style dataset over image files, loaded by the predictor's pipeline."""

    def __init__(self, paths: Sequence[Path], predictor: ImagePredictor) -> None:
        self.paths, self.predictor = paths, predictor

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict:
        return self.predictor.load(self.paths[index])
