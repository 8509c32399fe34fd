"""True per-frame crash labels for video inference, checked against the decoded frames.

The file format is the crash solution's (see :mod:`custom_modules.data_prep.crash_lists`): a frame
index column and a type column, ``before crush`` / ``crush moment`` / ``after crush``. A
container's declared frame count is not always exact, so the labels are read (and their values
checked) before decoding, and their count is checked against the decoded frames afterwards. A
partial video (fewer frames decode than it declares) may have rows for its declared frames:
those of the frames that decoded are kept, the rest dropped with a warning.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data_prep.crash_lists import read_frame_labels
from ..data_prep.frame_records import missing_frames
from ..utils.validation import DataError, Problems


def load_frame_labels(path: str | Path) -> np.ndarray:
    """0/1 per frame (1 = crush moment) in frame order, whatever the number of rows.

    Raises:
        DataError: Every bad row, with the file and line.
    """
    problems = Problems()
    table = read_frame_labels(Path(path), problems, 'rows', frames='decoded frames')
    problems.raise_if_any()
    return table['target'].to_numpy(dtype=np.int64)


def check_label_count(path: str | Path, labels: np.ndarray, n_frames: int, video: Path) -> None:
    """After decoding: the label rows must be exactly the decoded frames.

    Raises:
        DataError: Naming the first row without a frame, or the frames without a row.
    """
    if len(labels) == n_frames:
        return
    problems = Problems()
    if len(labels) > n_frames:  # the header is line 1: frame i is on line i + 2
        problems.add(path, n_frames + 2, f'{len(labels)} label rows but {video} decodes to '
                     f'{n_frames} frames: rows from line {n_frames + 2} on have no frame')
    else:
        problems.add(path, None, f'{len(labels)} label rows but {video} decodes to {n_frames} '
                     f'frames: frames {len(labels)}..{n_frames - 1} (0-based) have no label')
    raise DataError(problems.items)


def fit_label_count(path: str | Path, labels: np.ndarray, n_frames: int, video: Path,
                    declared: int = 0) -> np.ndarray:
    """:func:`check_label_count`, except for a partial video (``declared`` frames, ``n_frames``
    decoded): up to ``declared`` rows are accepted, those past the decoded frames dropped with
    a warning. Returns the labels of the decoded frames.

    Raises:
        DataError: As :func:`check_label_count`.
    """
    if missing_frames(n_frames, declared) and n_frames < len(labels) <= declared:
        print(f'warning: {path}: {video} is partial (decoded {n_frames} of {declared} declared '
              f'frames): dropped the {len(labels) - n_frames} label rows of frames that did not '
              'decode', flush=True)
        return labels[:n_frames]
    check_label_count(path, labels, n_frames, video)
    return labels
