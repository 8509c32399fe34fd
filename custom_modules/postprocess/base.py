"""What every postprocessing rule shares: the error, the per-sample view and the Rule base."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from custom_modules.predictions import PredictionError
from custom_modules.utils.validation import list_some


class PostprocessError(PredictionError):
    """Rules, detections or the submission cannot be made consistent."""


@dataclasses.dataclass
class Sample:
    """What a rule may look at for one sample."""

    sample_id: str
    probs: np.ndarray  # [C]
    order: np.ndarray  # [C] class indices, most probable first (ties: lower index first)
    det_scores: Mapping[str, np.ndarray]  # detector class name -> box scores in this video


class Rule:
    """A postprocessing rule: maps (current prediction, sample) to a new prediction.

    Subclasses are dataclasses whose fields are the rule's config keys (besides ``type`` and the
    keys every rule may carry, :data:`~custom_modules.postprocess.registry.COMMON_KEYS`), and are
    registered in :data:`~custom_modules.postprocess.registry.POSTPROCESS_RULES`.
    """

    type: ClassVar[str] = ''
    needs_detections: ClassVar[bool] = False
    # Set per instance by the registry from the config's ``group`` key: consecutive rules of one
    # group all read the prediction from before the group (apply.apply_rules).
    group: str | None = None
    # The rule's number in its manifest list (set by build_rules), for logs and the changes CSV.
    number: int | None = None

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        """Check the config against the class lists and resolve names to indices."""

    def apply(self, pred: int, sample: Sample) -> int:
        """Return the new prediction (class index) for ``sample``."""
        raise NotImplementedError

    def describe(self) -> str:
        """``type(k=v, ...)``, for logs and the changes CSV."""
        fields = [f'{f.name}={getattr(self, f.name)!r}' for f in dataclasses.fields(self)]
        if self.group is not None:
            fields.append(f'group={self.group!r}')
        return f'{self.type}({", ".join(fields)})'


def class_index(classes: Sequence[str], name: Any, what: str) -> int:
    """The index of class ``name``; the config key ``what`` is named when it is unknown."""
    if name not in classes:
        raise PostprocessError(f'{what} {name!r} is not a known class {list_some(classes, 50)}')
    return list(classes).index(name)


def check_number(value: Any, what: str, lo: float | None = None,
                 hi: float | None = None) -> float:
    """``value`` as a float, refused unless it is a number within ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PostprocessError(f'{what} must be a number, got {value!r}')
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise PostprocessError(f'{what} must be in [{lo}, {hi}], got {value!r}')
    return float(value)
