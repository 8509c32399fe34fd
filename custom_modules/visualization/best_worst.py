"""Galleries of the best and worst localisations: ``top{k}_best.png`` and ``top{k}_worst.png``.

Each panel shows the image with the ground truth in green, the prediction in red, and the IoU
and classes in the caption. Without ground truth the galleries rank by score instead:
``top{k}_confident.png`` and ``top{k}_least_confident.png``. Tables are read by
:mod:`custom_modules.predictions.boxes`.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from custom_modules.predictions import (
    BOX,
    PredictionError,
    load_box_predictions,
    load_truth,
    with_iou,
)
from custom_modules.utils.images import IMAGE_EXTS
from custom_modules.utils.validation import read_class_list

from .figures import pyplot, save_png

GT_COLOUR, PRED_COLOUR = '#00c853', '#ff1744'


def find_image(image_dir: Path, image_id: str, file: str | None = None) -> Path:
    """The image of ``image_id``: the table's ``file`` if given, else ``<id>.<ext>``."""
    if isinstance(file, str) and file:
        return image_dir / file
    for ext in IMAGE_EXTS:
        for candidate in (image_dir / f'{image_id}{ext}', image_dir / f'{image_id}{ext.upper()}'):
            if candidate.is_file():
                return candidate
    raise PredictionError(f'no image for {image_id!r} in {image_dir}')


def _name(classes: Sequence[str] | None, label) -> str:
    if label is None or (isinstance(label, float) and np.isnan(label)) or int(label) < 0:
        return '?'
    return classes[int(label)] if classes is not None and int(label) < len(classes) \
        else str(int(label))


def _gallery(rows: pd.DataFrame, image_dir: Path, title: str, classes: Sequence[str] | None,
             out: Path) -> Path:
    import cv2
    from matplotlib.patches import Rectangle

    plt = pyplot()
    n = len(rows)
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 4.6), squeeze=False)
    for ax, (_, r) in zip(axes[0], rows.iterrows()):
        path = find_image(image_dir, r['image_id'], r.get('file'))
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise PredictionError(f'{path}: cannot read the image')
        ax.imshow(img[..., ::-1])
        boxes = [(PRED_COLOUR, [r[b] for b in BOX], 'prediction')]
        if 'xmin_gt' in r:
            boxes.insert(0, (GT_COLOUR, [r[f'{b}_gt'] for b in BOX], 'ground truth'))
        for colour, (x1, y1, x2, y2), label in boxes:
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=2,
                                   edgecolor=colour, label=label))
        pred = f'pred {_name(classes, r["label"])} {r["score"]:.2f}'
        if 'iou' in r:
            gt = _name(classes, r['label_gt'])
            caption = f'{r["image_id"]}\nIoU {r["iou"]:.3f}   gt {gt}, {pred}'
        else:
            caption = f'{r["image_id"]}\n{pred}'
        ax.set_title(caption, fontsize=9)
        ax.axis('off')
    axes[0][0].legend(loc='lower left', fontsize=8, framealpha=0.7)
    fig.suptitle(title)
    fig.tight_layout()
    return save_png(fig, out, dpi=90)


def plot_best_worst(preds: pd.DataFrame | str | Path, image_dir: str | Path,
                    out_dir: str | Path, truth: pd.DataFrame | str | Path | None = None,
                    k: int = 3, classes: Sequence[str] | str | Path | None = None
                    ) -> dict[str, Path]:
    """Write the two galleries into ``out_dir``; returns ``{'best': png, 'worst': png}``.

    Args:
        preds: Predictions (see :func:`load_box_predictions`) or their file.
        image_dir: Folder of the images (``file`` of the truth table, else ``<id>.<ext>``).
        out_dir: Where ``top{k}_best.png`` / ``top{k}_worst.png`` go.
        truth: Ground truth (see :func:`load_truth`) or its file; None ranks by score.
        k: Images per gallery.
        classes: Class names (a list or a classes.txt) for the captions.
    """
    if k < 1:
        raise ValueError(f'k must be >= 1, got {k}')
    if isinstance(classes, (str, Path)):
        classes = read_class_list(classes)
    if not isinstance(preds, pd.DataFrame):
        preds = load_box_predictions(preds, classes)
    out_dir, image_dir = Path(out_dir), Path(image_dir)
    if truth is not None:
        truth = load_truth(truth, classes)
        table = with_iou(preds, truth).sort_values(['iou', 'image_id'], ascending=[False, True])
        key, names = 'iou', ('best', 'worst')
    else:
        table = preds.sort_values(['score', 'image_id'], ascending=[False, True])
        key, names = 'score', ('confident', 'least_confident')
    k = min(k, len(table))
    best, worst = table.head(k), table.tail(k).iloc[::-1]
    what = 'IoU' if key == 'iou' else 'score'
    return {
        names[0]: _gallery(best, image_dir, f'{k} best by {what} (of {len(table)}): green = '
                           f'ground truth, red = prediction' if key == 'iou' else
                           f'{k} most confident (of {len(table)})', classes,
                           out_dir / f'top{k}_{names[0]}.png'),
        names[1]: _gallery(worst, image_dir, f'{k} worst by {what} (of {len(table)})'
                           if key == 'iou' else f'{k} least confident (of {len(table)})',
                           classes, out_dir / f'top{k}_{names[1]}.png'),
    }
