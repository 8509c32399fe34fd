"""``detector_count``: enough confident detector boxes in a video decide its class."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from .base import PostprocessError, Rule, Sample, check_number, class_index
from .registry import register_rule


@register_rule('detector_count')
@dataclasses.dataclass
class DetectorCount(Rule):
    """More than ``min_count`` boxes of ``det_class`` scoring > ``min_score`` in the video, and the
    prediction in ``when_pred_in`` (None: any): predict ``then``."""

    det_class: str
    min_score: float
    min_count: int
    then: str
    when_pred_in: list[str] | None = None
    needs_detections: ClassVar[bool] = True

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        if det_classes is None:
            raise PostprocessError('needs detections: pass the detector dump and its classes '
                                   '(--det-pkl, --det-classes)')
        class_index(det_classes, self.det_class, 'det_class')
        self._then = class_index(classes, self.then, 'then')
        check_number(self.min_score, 'min_score', 0.0, 1.0)
        check_number(self.min_count, 'min_count', 0)
        if self.when_pred_in is None:
            self._when = None
        elif isinstance(self.when_pred_in, str):
            raise PostprocessError(f'when_pred_in must be a list of classes, '
                                   f'got {self.when_pred_in!r}')
        else:
            self._when = {class_index(classes, c, 'when_pred_in') for c in self.when_pred_in}

    def count(self, sample: Sample) -> int:
        scores = sample.det_scores.get(self.det_class)
        return 0 if scores is None else int(np.count_nonzero(scores > self.min_score))

    def apply(self, pred: int, sample: Sample) -> int:
        if self._when is not None and pred not in self._when:
            return pred
        return self._then if self.count(sample) > self.min_count else pred
