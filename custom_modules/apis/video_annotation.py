"""Crash probabilities drawn onto video frames, and a whole video annotated from a CSV's values."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from .frame_labels import load_frame_labels
from .video_io import AnnotatedVideo, InferenceError, decode_bgr, probe

TYPE_NAMES = {0: 'other', 1: 'crush moment'}


def annotate(frame: np.ndarray, frame_id: int, prob: float, threshold: float,
             label: int | None = None) -> np.ndarray:
    """Draw the crash probability (a bar and the value) and the true label on a BGR frame."""
    out = frame.copy()
    h, w = out.shape[:2]
    scale = max(0.35, min(w, h) / 500)
    thick = max(1, int(round(scale * 2)))
    alert = prob >= threshold
    colour = (0, 0, 255) if alert else (0, 200, 0)
    bar_h = max(4, int(h * 0.03))
    cv2.rectangle(out, (0, h - bar_h), (w - 1, h - 1), (40, 40, 40), -1)
    cv2.rectangle(out, (0, h - bar_h), (int(round(prob * (w - 1))), h - 1), colour, -1)
    lines = [(f'#{frame_id} crash p={prob:.3f}', colour)]
    if label is not None:
        ok = (prob >= threshold) == bool(label)
        lines.append((f'true: {TYPE_NAMES[int(label)]}', (0, 200, 0) if ok else (0, 165, 255)))
    y = int(24 * scale) + 4
    for text, col in lines:
        cv2.putText(out, text, (6, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2,
                    cv2.LINE_AA)
        cv2.putText(out, text, (6, y), cv2.FONT_HERSHEY_SIMPLEX, scale, col, thick, cv2.LINE_AA)
        y += int(28 * scale) + 4
    return out


def label_at(labels: np.ndarray | None, index: int) -> int | None:
    """The true label of frame ``index`` (0-based), None without labels or past their end."""
    return int(labels[index]) if labels is not None and index < len(labels) else None


def annotate_file(video: Path, probs: Sequence[float], out: Path, labels_csv: Path | None,
                  frame_base: int = 0, threshold: float = 0.5) -> None:
    """Write ``video`` to ``out`` with each frame annotated by its probability (e.g. averaged
    over models), and its true label when ``labels_csv`` is given.

    Raises:
        InferenceError: The video's frames and ``probs`` differ in number (nothing written).
    """
    labels = load_frame_labels(labels_csv) if labels_csv else None
    fps, declared, width, height = probe(video)
    n = 0
    with AnnotatedVideo(out, fps, (width, height)) as writer:
        for i, frame in enumerate(decode_bgr(video, declared)):
            if i >= len(probs):
                raise InferenceError(f'{video}: more frames than predictions ({len(probs)})')
            writer.write(annotate(frame, i + frame_base, float(probs[i]), threshold,
                                  label_at(labels, i)))
            n += 1
        if n != len(probs):
            raise InferenceError(f'{video}: {n} frames but {len(probs)} predictions')
