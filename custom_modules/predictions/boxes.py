"""Single-object box predictions and ground truth as tables, matched by image id.

Predictions come from a ``tools/test.py --dump`` pickle (BBoxRegHead samples: ``sample_id``,
``pred_score``, ``pred_bbox`` in original pixels) or a CSV ``image_id,label,score,xmin,ymin,xmax,
ymax`` (the localize submission format; ``label`` a class name or index). Ground truth is
``annotations.csv`` (prep_localize) or any CSV with ``image_id``, ``xmin..ymax`` and ``cls`` or
``label``.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .io import load_dump
from .samples import PredictionError, get_field

BOX = ['xmin', 'ymin', 'xmax', 'ymax']


def prob_columns(frame: pd.DataFrame) -> list[str]:
    """The ``prob_<k>`` columns of a prediction table, in class order."""
    return sorted((c for c in frame.columns if c.startswith('prob_')), key=lambda c: int(c[5:]))


def _float64(value) -> np.ndarray:
    """A tensor or array as float64, without a detour through float32."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value).astype(np.float64)


def _read_csv(path: str | Path, dtype: dict) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=dtype)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise PredictionError(f'{path}: cannot read as CSV: {e}') from e


def dump_to_frame(samples: Sequence, source: str = 'dump') -> pd.DataFrame:
    """Dumped BBoxRegHead samples -> ``image_id, label, score, xmin..ymax, prob_0..prob_{C-1}``."""
    rows = []
    for i, s in enumerate(samples):
        sid, box, scores = (get_field(s, k) for k in ('sample_id', 'pred_bbox', 'pred_score'))
        if sid is None or box is None or scores is None:
            raise PredictionError(f'{source}: sample {i} lacks sample_id, pred_bbox or '
                                  f'pred_score (not a BBoxRegHead dump?)')
        scores = _float64(scores).reshape(-1)
        label = int(scores.argmax())
        rows.append({'image_id': str(sid), 'label': label, 'score': float(scores[label]),
                     **dict(zip(BOX, _float64(box).reshape(4))),
                     **{f'prob_{c}': float(p) for c, p in enumerate(scores)}})
    frame = pd.DataFrame(rows)
    dup = frame['image_id'][frame['image_id'].duplicated()]
    if len(dup):
        raise PredictionError(f'{source}: image ids predicted twice: {sorted(set(dup))[:5]}')
    return frame


def load_box_predictions(path: str | Path,
                         classes: Sequence[str] | None = None) -> pd.DataFrame:
    """A dump (.pkl) or a submission-style CSV as ``image_id, label (index), score, xmin..ymax``."""
    path = Path(path)
    if path.suffix in ('.pkl', '.pickle'):
        return dump_to_frame(load_dump(path), str(path))
    frame = _read_csv(path, {'image_id': str})
    missing = {'image_id', 'label', *BOX} - set(frame.columns)
    if missing:
        raise PredictionError(f'{path}: missing columns {sorted(missing)}')
    if classes is not None and not pd.api.types.is_numeric_dtype(frame['label']):
        index = {c: i for i, c in enumerate(classes)}
        unknown = sorted(set(frame['label']) - set(index))
        if unknown:
            raise PredictionError(f'{path}: labels not in the class list: {unknown[:5]}')
        frame['label'] = frame['label'].map(index)
    if 'score' not in frame.columns:
        frame['score'] = np.nan
    return frame


def load_truth(path: str | Path | pd.DataFrame,
               classes: Sequence[str] | None = None) -> pd.DataFrame:
    """Ground truth (a CSV or its table) as ``image_id, label (index or -1), xmin..ymax [, file]``.
    """
    if isinstance(path, pd.DataFrame):
        frame = path.copy()
    else:
        frame = _read_csv(path, {'image_id': str, 'file': str})
    missing = {'image_id', *BOX} - set(frame.columns)
    if missing:
        raise PredictionError(f'{path if not isinstance(path, pd.DataFrame) else "truth"}: '
                              f'missing columns {sorted(missing)}')
    if 'label' not in frame.columns:
        if 'cls' in frame.columns and classes is not None:
            index = {c: i for i, c in enumerate(classes)}
            frame['label'] = frame['cls'].map(lambda c: index.get(str(c), -1))
        else:
            frame['label'] = -1
    return frame[['image_id', 'label', *BOX, *(['file'] if 'file' in frame.columns else [])]]


def with_iou(preds: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Predictions joined to the ground truth by image id, with an ``iou`` column."""
    from custom_modules.evaluation.localize_metric import box_iou

    merged = preds.merge(truth, on='image_id', suffixes=('', '_gt'))
    if merged.empty:
        raise PredictionError('no prediction shares an image id with the ground truth')
    merged['iou'] = box_iou(merged[BOX].to_numpy(), merged[[f'{b}_gt' for b in BOX]].to_numpy())
    return merged
