"""Detector outputs for the count rules: class names and box scores grouped by video."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from custom_modules.predictions import get_field, load_dump, to_numpy
from custom_modules.utils.validation import duplicated, list_some, read_class_list

from .base import PostprocessError

DetScores = Mapping[str, Mapping[str, np.ndarray]]
"""Per video stem, per detector class name: the scores of all its boxes over the video's frames."""


def read_class_names(path: str | Path) -> list[str]:
    """Class names in label order from a text file (one per line) or a JSON file.

    JSON may be a list of names, ``{"classes": [...]}``, or a COCO file whose ``categories`` are
    listed in the detector's label order (the order of the config's ``metainfo.classes``).
    """
    path = Path(path)
    if path.suffix != '.json':
        return read_class_list(path)
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, ValueError) as e:
        raise PostprocessError(f'{path}: cannot read JSON: {e}') from e
    if isinstance(data, Mapping) and 'categories' in data:
        names = [c.get('name') for c in data['categories']]
    elif isinstance(data, Mapping) and 'classes' in data:
        names = data['classes']
    else:
        names = data
    if (not isinstance(names, list) or not names
            or not all(isinstance(n, str) and n for n in names)):
        raise PostprocessError(f'{path}: expected a list of class names, categories or classes')
    dup = duplicated(names)
    if dup:
        raise PostprocessError(f'{path}: duplicate class names {list_some(dup)}')
    return names


def load_detection_scores(det_pkl: str | Path,
                          det_classes: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
    """Group a detector's DumpResults pickle by video: ``{video stem: {class: scores}}``.

    Each dumped frame has ``img_path`` = ``.../rawframes/<video stem>/img_00001.jpg`` and
    ``pred_instances`` with ``scores`` and ``labels`` (indices into ``det_classes``).
    """
    det_pkl = Path(det_pkl)
    parts: dict[str, dict[int, list[np.ndarray]]] = defaultdict(lambda: defaultdict(list))
    for n, frame in enumerate(load_dump(det_pkl)):
        img_path = get_field(frame, 'img_path')
        inst = get_field(frame, 'pred_instances')
        if not img_path or inst is None:
            raise PostprocessError(f'{det_pkl}: frame #{n} needs img_path and pred_instances')
        video = Path(str(img_path)).parent.name
        scores, labels = get_field(inst, 'scores'), get_field(inst, 'labels')
        if scores is None or labels is None:
            raise PostprocessError(f'{det_pkl}: frame #{n} ({img_path}) has no scores/labels')
        scores = to_numpy(scores).reshape(-1)
        labels = to_numpy(labels).reshape(-1).astype(np.int64)
        if scores.shape != labels.shape:
            raise PostprocessError(f'{det_pkl}: frame #{n} ({img_path}): {scores.size} scores '
                                   f'for {labels.size} labels')
        if labels.size and (labels.min() < 0 or labels.max() >= len(det_classes)):
            raise PostprocessError(f'{det_pkl}: frame #{n} ({img_path}): label {labels.max()} '
                                   f'outside the {len(det_classes)} detector classes')
        per_class = parts[video]  # a frame without boxes still marks its video as seen
        for lab in np.unique(labels):
            per_class[int(lab)].append(scores[labels == lab])
    return {video: {det_classes[lab]: np.concatenate(s) for lab, s in per_class.items()}
            for video, per_class in parts.items()}


def count_detections(det_scores: DetScores, det_class: str, min_score: float) -> dict[str, int]:
    """Per video: how many boxes of ``det_class`` score strictly above ``min_score``."""
    return {video: int(np.count_nonzero(per.get(det_class, np.empty(0)) > min_score))
            for video, per in det_scores.items()}


def video_key(sample_id: str, det_scores: DetScores) -> str | None:
    """The detections' key of a sample: its id, else its stem (``abc.mp4`` -> ``abc``)."""
    for key in (sample_id, Path(sample_id).stem):
        if key in det_scores:
            return key
    return None
