"""Galleries of the best and worst localisations: ``top{k}_best.png`` and ``top{k}_worst.png``.

Predictions are a ``tools/test.py --dump`` pickle (BBoxRegHead samples: ``sample_id``,
``pred_score``, ``pred_label``, ``pred_bbox`` in original pixels) or a CSV
``image_id,label,score,xmin,ymin,xmax,ymax`` (the submission format; ``label`` a class name or
index). Ground truth is ``annotations.csv`` (prep_localize) or any CSV with ``image_id``,
``xmin..ymax`` and ``cls`` or ``label``. Each panel shows the image with the ground truth in
green, the prediction in red, and the IoU and classes in the caption. Without ground truth the
galleries rank by score instead: ``top{k}_confident.png`` and ``top{k}_least_confident.png``.

Example::

    python tools/analysis/best_worst.py work_dirs/localize/effb0/fold0/val_preds.pkl \
        --truth data/localize/lists/annotations.csv --images data/localize/train \
        --classes data/localize/lists/classes.txt --out-dir work_dirs/localize/effb0/fold0 --k 3
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from custom_modules.utils.images import IMAGE_EXTS  # noqa: E402
from tools.analysis.confusion_matrix import load_dump  # noqa: E402
from tools.analysis.figures import save_png  # noqa: E402
from tools.ensemble import PredictionError, get_field, read_lines  # noqa: E402

BOX = ['xmin', 'ymin', 'xmax', 'ymax']
GT_COLOUR, PRED_COLOUR = '#00c853', '#ff1744'


def _numpy(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def dump_to_frame(samples: Sequence, source: str = 'dump') -> pd.DataFrame:
    """Dumped BBoxRegHead samples -> ``image_id, label, score, xmin..ymax, prob_0..prob_{C-1}``."""
    rows = []
    for i, s in enumerate(samples):
        sid, box, scores = (get_field(s, k) for k in ('sample_id', 'pred_bbox', 'pred_score'))
        if sid is None or box is None or scores is None:
            raise PredictionError(f'{source}: sample {i} lacks sample_id, pred_bbox or '
                                  f'pred_score (not a BBoxRegHead dump?)')
        scores = _numpy(scores).astype(np.float64).reshape(-1)
        label = int(scores.argmax())
        rows.append({'image_id': str(sid), 'label': label, 'score': float(scores[label]),
                     **dict(zip(BOX, _numpy(box).astype(np.float64).reshape(4))),
                     **{f'prob_{c}': float(p) for c, p in enumerate(scores)}})
    frame = pd.DataFrame(rows)
    dup = frame['image_id'][frame['image_id'].duplicated()]
    if len(dup):
        raise PredictionError(f'{source}: image ids predicted twice: {sorted(set(dup))[:5]}')
    return frame


def load_predictions(path: str | Path, classes: Sequence[str] | None = None) -> pd.DataFrame:
    """A dump (.pkl) or a submission-style CSV as ``image_id, label (index), score, xmin..ymax``."""
    path = Path(path)
    if path.suffix in ('.pkl', '.pickle'):
        return dump_to_frame(load_dump(path), str(path))
    frame = pd.read_csv(path, dtype={'image_id': str})
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
        frame = pd.read_csv(path, dtype={'image_id': str, 'file': str})
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


def find_image(image_dir: Path, image_id: str, file: str | None = None) -> Path:
    if isinstance(file, str) and file:
        return image_dir / file
    for ext in IMAGE_EXTS:
        for candidate in (image_dir / f'{image_id}{ext}', image_dir / f'{image_id}{ext.upper()}'):
            if candidate.is_file():
                return candidate
    raise PredictionError(f'no image for {image_id!r} in {image_dir}')


def with_iou(preds: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Predictions joined to the ground truth by image id, with an ``iou`` column."""
    from custom_modules.evaluation.localize_metric import box_iou

    merged = preds.merge(truth, on='image_id', suffixes=('', '_gt'))
    if merged.empty:
        raise PredictionError('no prediction shares an image id with the ground truth')
    merged['iou'] = box_iou(merged[BOX].to_numpy(), merged[[f'{b}_gt' for b in BOX]].to_numpy())
    return merged


def _name(classes: Sequence[str] | None, label) -> str:
    if label is None or (isinstance(label, float) and np.isnan(label)) or int(label) < 0:
        return '?'
    return classes[int(label)] if classes is not None and int(label) < len(classes) \
        else str(int(label))


def _gallery(rows: pd.DataFrame, image_dir: Path, title: str, classes: Sequence[str] | None,
             out: Path) -> Path:
    import cv2
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

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
        preds: Predictions (see :func:`load_predictions`) or their file.
        image_dir: Folder of the images (``file`` of the truth table, else ``<id>.<ext>``).
        out_dir: Where ``top{k}_best.png`` / ``top{k}_worst.png`` go.
        truth: Ground truth (see :func:`load_truth`) or its file; None ranks by score.
        k: Images per gallery.
        classes: Class names (a list or a classes.txt) for the captions.
    """
    if k < 1:
        raise ValueError(f'k must be >= 1, got {k}')
    if isinstance(classes, (str, Path)):
        classes = read_lines(classes)
    if not isinstance(preds, pd.DataFrame):
        preds = load_predictions(preds, classes)
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Galleries of the best and worst boxes')
    parser.add_argument('predictions', help='tools/test.py --dump .pkl, or a submission CSV')
    parser.add_argument('--images', required=True, help='folder of the images')
    parser.add_argument('--truth', help='ground-truth CSV (annotations.csv); without it the '
                        'galleries rank by score')
    parser.add_argument('--classes', help='classes.txt, for the captions')
    parser.add_argument('--out-dir', default='.', help='output folder (default: %(default)s)')
    parser.add_argument('--k', type=int, default=3, help='images per gallery (default: 3)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        written = plot_best_worst(args.predictions, args.images, args.out_dir, truth=args.truth,
                                  k=args.k, classes=args.classes)
    except (PredictionError, OSError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    for path in written.values():
        print(path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
