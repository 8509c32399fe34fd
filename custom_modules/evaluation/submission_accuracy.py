"""Accuracy of a submission CSV against a label file with the same id column."""
from __future__ import annotations

from pathlib import Path

from ..utils.validation import DataError, Problem


def submission_accuracy(submission: str | Path, labels: str | Path) -> float:
    """Share of submission rows whose label (2nd column) matches the label file's, matched by id.

    Both files have the id in their first column and the label in their second, under the same
    header (the demos' hidden test labels). Every submission id must have a label.
    """
    import pandas as pd

    sub, truth = pd.read_csv(submission), pd.read_csv(labels)
    id_col, label_col = sub.columns[0], sub.columns[1]
    merged = sub.merge(truth, on=id_col, suffixes=('', '_true'))
    if len(merged) != len(sub):
        raise DataError([Problem(str(labels), None,
                                 f'labels for {len(merged)} of {len(sub)} submission rows')])
    return float((merged[label_col] == merged[f'{label_col}_true']).mean())
