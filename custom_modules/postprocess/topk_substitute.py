"""``topk_substitute``: swap one predicted class for another that is nearly as probable."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .base import PostprocessError, Rule, Sample, class_index
from .registry import register_rule


@register_rule('topk_substitute')
@dataclasses.dataclass
class TopkSubstitute(Rule):
    """Prediction is ``src`` and ``dst`` is among the ``k`` most probable classes: take ``dst``."""

    src: str
    dst: str
    k: int

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        self._src = class_index(classes, self.src, 'src')
        self._dst = class_index(classes, self.dst, 'dst')
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise PostprocessError(f'k must be a positive integer, got {self.k!r}')

    def apply(self, pred: int, sample: Sample) -> int:
        if pred == self._src and self._dst in sample.order[:self.k]:
            return self._dst
        return pred
