"""``threshold_fallback``: an unsure top-1 of one class falls back to the next class."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .base import Rule, Sample, check_number, class_index
from .registry import register_rule


@register_rule('threshold_fallback')
@dataclasses.dataclass
class ThresholdFallback(Rule):
    """Prediction is ``cls`` with probability < ``min_prob``: take the most probable other class."""

    cls: str
    min_prob: float

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        self._k = class_index(classes, self.cls, 'cls')
        check_number(self.min_prob, 'min_prob', 0.0, 1.0)

    def apply(self, pred: int, sample: Sample) -> int:
        if pred != self._k or sample.probs[pred] >= self.min_prob:
            return pred
        others = sample.order[sample.order != self._k]
        return int(others[0]) if others.size else pred
