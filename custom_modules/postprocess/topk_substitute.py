"""``topk_substitute``: swap one predicted class for another that is nearly as probable."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .base import PostprocessError, Rule, Sample, class_index
from .registry import register_rule

AMONG = ('topk', 'current_and_runners_up')


@register_rule('topk_substitute')
@dataclasses.dataclass
class TopkSubstitute(Rule):
    """Prediction is ``src`` and ``dst`` is a candidate: take ``dst``.

    The candidates (``among``): ``'topk'``, the ``k`` most probable classes; or
    ``'current_and_runners_up'``, the current prediction and the 2nd..k-th most probable classes
    of the original scores (the origin's rule). They differ once an earlier rule changed the
    prediction: the original top-1 is then no longer a candidate.
    """

    src: str
    dst: str
    k: int
    among: str = 'topk'

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        self._src = class_index(classes, self.src, 'src')
        self._dst = class_index(classes, self.dst, 'dst')
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise PostprocessError(f'k must be a positive integer, got {self.k!r}')
        if self.among not in AMONG:
            raise PostprocessError(f'among must be one of {list(AMONG)}, got {self.among!r}')

    def apply(self, pred: int, sample: Sample) -> int:
        if pred != self._src:
            return pred
        if self.among == 'topk':
            candidates = sample.order[:self.k]
        else:
            candidates = [pred, *sample.order[1:self.k]]
        return self._dst if self._dst in candidates else pred
