"""Find suspicious training images (wrong label, junk, duplicates of another class) from embeddings.

    python tools/data/find_outliers.py CONFIG CHECKPOINT --out-dir work_dirs/sports/outliers \
        (--csv train.csv --image-dir train/ | --list train_all.txt --image-dir train/ |
         --folder train/) [--classes classes.txt] [--top 8] [--suspects 0.05]
        [--device cpu] [--batch-size 32] [--trust-checkpoint FILE]

Each image is embedded by the trained model's backbone and neck (the features its head sees;
a timm model's pooled features), centred on the mean embedding and L2-normalised. Two methods,
higher = more suspicious:

- ``iforest``: scikit-learn's IsolationForest over all embeddings (an image unlike the others,
  e.g. junk or an unseen kind of picture);
- ``centroid_ratio``: cosine distance to its own class centroid (computed without the image
  itself) divided by the distance to the nearest other class centroid: above 1 the image sits
  nearer another class (a likely wrong label, ``nearest_class`` names it).

Each is turned into a robust z-score over all images (median / MAD: ``iforest_z``,
``centroid_z``), and ``score`` is the larger of the two. Every row carries the image's own id,
label and path, taken from the same record as its embedding, so a row can never describe
another image.

Writes ``outliers.csv`` (every image, most suspicious first; ``suspect`` marks the top
``--suspects`` fraction), ``contact_sheet.png`` (per class, its ``--top`` most suspicious
images with their scores) and ``embeddings.npz``. Nothing is deleted or moved.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ''):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tools.data.common import DataError, Problems, read_table, staged_outputs  # noqa: E402


@dataclass
class Sample:
    """One labelled training image."""

    image_id: str
    label: str
    path: Path


def samples_from_csv(csv_file: str | Path, image_dir: str | Path) -> list[Sample]:
    """``image_id,label`` rows in file order, ids resolved like prep_images."""
    from tools.predict_images import items_from_csv

    problems = Problems()
    df = read_table(csv_file, ['image_id', 'label'], problems)
    problems.raise_if_any()
    items = items_from_csv(csv_file, image_dir)  # same rows, same order, files checked
    return [Sample(i.image_id, label, i.path) for i, label in zip(items, df['label'])]


def samples_from_list(list_file: str | Path, image_dir: str | Path,
                      classes: Sequence[str]) -> list[Sample]:
    """An MMPretrain ``path label`` list (label = index into ``classes``)."""
    problems = Problems()
    out = []
    for number, line in enumerate(Path(list_file).read_text(encoding='utf-8').splitlines(), 1):
        if not line.strip():
            continue
        rel, _, label = line.strip().rpartition(' ')
        if not label.isdigit() or int(label) >= len(classes):
            problems.add(list_file, number, f'label {label!r} is not a class index '
                         f'0..{len(classes) - 1}')
            continue
        path = Path(image_dir) / rel
        if not path.is_file():
            problems.add(list_file, number, f'image {path} not found')
        out.append(Sample(rel, classes[int(label)], path))
    problems.raise_if_any()
    return out


def samples_from_folder(folder: str | Path) -> list[Sample]:
    """One sub-folder per class; id = ``class/file``."""
    from custom_modules.utils.images import list_images

    folder = Path(folder)
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir()) if folder.is_dir() else []
    if not classes:
        problems = Problems()
        problems.add(folder, None, 'no class sub-folders found')
        problems.raise_if_any()
    return [Sample(f'{c}/{rel}', c, folder / c / rel) for c in classes
            for rel in list_images(folder / c)]


def embed(predictor, samples: Sequence[Sample], batch_size: int = 32,
          progress: bool = True) -> np.ndarray:
    """Embeddings ``[N, D]`` (the head's input features) of the samples, in their order."""
    import torch
    from mmengine.dataset import pseudo_collate
    from tqdm import tqdm

    model = predictor.model
    out = []
    with torch.no_grad(), tqdm(total=len(samples), desc='embed', unit='img',
                               disable=not progress) as bar:
        for start in range(0, len(samples), batch_size):
            chunk = samples[start:start + batch_size]
            batch = [predictor.load(s.path) for s in chunk]
            inputs = model.data_preprocessor(pseudo_collate(batch), False)['inputs']
            if hasattr(model, 'neck') or hasattr(model, 'backbone'):
                feats = model.extract_feat(inputs, stage='neck')
                feats = feats[-1] if isinstance(feats, (tuple, list)) else feats
            else:  # TimmClassifier: pooled features before the classifier
                feats = model.model.forward_head(model.model.forward_features(inputs),
                                                 pre_logits=True)
            feats = feats.flatten(1) if feats.dim() == 2 else feats.mean(dim=(2, 3))
            out.append(feats.float().cpu().numpy())
            bar.update(len(chunk))
    return np.concatenate(out)


def normalise(embeddings: np.ndarray) -> np.ndarray:
    """Centred on the mean embedding, then L2-normalised.

    Post-ReLU features share a large positive component: without centring every cosine
    distance is close to 0 and says little.
    """
    centred = embeddings - embeddings.mean(axis=0, keepdims=True)
    return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)


def robust_z(values: np.ndarray) -> np.ndarray:
    """(value - median) / (1.4826 MAD): how unusual each value is, unmoved by the outliers."""
    median = np.median(values)
    mad = np.median(np.abs(values - median)) * 1.4826
    scale = mad if mad > 1e-12 else (values.std() if values.std() > 1e-12 else 1.0)
    return (values - median) / scale


def score(embeddings: np.ndarray, labels: Sequence[str], seed: int = 0) -> pd.DataFrame:
    """Outlier scores of each row of ``embeddings`` (same order), see the module docstring."""
    from sklearn.ensemble import IsolationForest

    emb = normalise(np.asarray(embeddings, np.float64))
    labels = np.asarray(labels)
    classes = sorted(set(labels.tolist()))
    forest = IsolationForest(n_estimators=200, random_state=seed).fit(emb)
    iforest = -forest.score_samples(emb)
    member = labels[:, None] == np.asarray(classes)[None, :]  # [N, K]
    sums, counts = member.T.astype(np.float64) @ emb, member.sum(axis=0)  # [K, D], [K]
    # every image against every class centroid; its own class's centroid without itself
    own_sums = sums[None, :, :] - member[:, :, None] * emb[:, None, :]  # [N, K, D]
    own_counts = counts[None, :] - member
    centroids = np.divide(own_sums, np.maximum(own_counts, 1)[:, :, None])
    norms = np.linalg.norm(centroids, axis=2)
    distance = 1 - np.einsum('nd,nkd->nk', emb, centroids) / np.maximum(norms, 1e-12)
    distance[own_counts == 0] = np.inf  # a class of one image has no centroid to compare with
    own = distance[member]
    other = np.where(member, np.inf, distance).min(axis=1) if len(classes) > 1 \
        else np.full(len(emb), np.inf)
    ratio = np.where(np.isfinite(own) & np.isfinite(other), own / np.maximum(other, 1e-12), 0.0)
    nearest = np.asarray(classes)[np.where(np.isfinite(distance), distance, 9.0).argmin(axis=1)]
    iforest_z, ratio_z = robust_z(iforest), robust_z(ratio)
    return pd.DataFrame({
        'iforest': iforest, 'iforest_z': iforest_z,
        'centroid_distance': np.where(np.isfinite(own), own, np.nan),
        'other_distance': np.where(np.isfinite(other), other, np.nan),
        'centroid_ratio': ratio, 'centroid_z': ratio_z, 'nearest_class': nearest,
        'closer_to_other': nearest != labels, 'score': np.maximum(iforest_z, ratio_z)})


def contact_sheet(table: pd.DataFrame, top: int, thumb: int = 96) -> bytes:
    """PNG bytes: one row per class with its ``top`` most suspicious images and their scores."""
    import io

    from PIL import Image, ImageDraw, ImageOps

    classes = sorted(table['label'].unique())
    label_w, caption = 140, 28
    sheet = Image.new('RGB', (label_w + top * (thumb + 6), len(classes) * (thumb + caption + 8)),
                      'white')
    draw = ImageDraw.Draw(sheet)
    for row, cls in enumerate(classes):
        y = row * (thumb + caption + 8) + 4
        draw.text((4, y + thumb // 2), cls[:20], fill='black')
        worst = table[table['label'] == cls].sort_values('score', ascending=False).head(top)
        for col, rec in enumerate(worst.itertuples()):
            x = label_w + col * (thumb + 6)
            with Image.open(rec.path) as im:
                sheet.paste(ImageOps.pad(im.convert('RGB'), (thumb, thumb), color='grey'), (x, y))
            flag = f' -> {rec.nearest_class}' if rec.closer_to_other else ''
            draw.text((x, y + thumb + 1), f'{str(rec.image_id)[:16]}', fill='black')
            draw.text((x, y + thumb + 13), f'{rec.score:.1f}{flag}'[:18],
                      fill='red' if rec.suspect else 'black')
    buf = io.BytesIO()
    sheet.save(buf, format='PNG')
    return buf.getvalue()


def find_outliers(predictor, samples: Sequence[Sample], out_dir: str | Path, top: int = 8,
                  suspects: float = 0.05, batch_size: int = 32,
                  progress: bool = True) -> pd.DataFrame:
    """Embed, score, and write the CSV, the contact sheet and the embeddings (see docstring)."""
    if not samples:
        raise ValueError('no images to score')
    emb = embed(predictor, samples, batch_size, progress)
    table = pd.DataFrame({'image_id': [s.image_id for s in samples],
                          'label': [s.label for s in samples],
                          'path': [str(s.path) for s in samples]})
    table = pd.concat([table, score(emb, table['label'])], axis=1)
    table = table.sort_values('score', ascending=False, kind='stable').reset_index(drop=True)
    n_suspects = int(np.ceil(suspects * len(table)))
    table['rank'] = np.arange(1, len(table) + 1)
    table['suspect'] = table['rank'] <= n_suspects
    with staged_outputs(out_dir) as out:
        columns = ['rank', 'image_id', 'label', 'score', 'iforest', 'iforest_z',
                   'centroid_distance', 'other_distance', 'centroid_ratio', 'centroid_z',
                   'nearest_class', 'closer_to_other', 'suspect', 'path']
        out.write_csv('outliers.csv', table[columns].round(6))
        out.path('contact_sheet.png').write_bytes(contact_sheet(table, top))
        np.savez(out.path('embeddings.npz'), ids=np.array([s.image_id for s in samples]),
                 embeddings=emb.astype(np.float32))
    return table[columns]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Suspicious training images from embeddings')
    parser.add_argument('config', help='MMPretrain config of the trained model')
    parser.add_argument('checkpoint', help='its checkpoint')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--csv', help='image_id,label CSV (train.csv)')
    source.add_argument('--list', help='MMPretrain `path label` list (train_all.txt)')
    source.add_argument('--folder', help='one sub-folder per class')
    parser.add_argument('--image-dir', help='folder of the --csv / --list images')
    parser.add_argument('--classes', help='class names (default: the checkpoint\'s)')
    parser.add_argument('--out-dir', required=True, help='where the CSV, PNG and npz go')
    parser.add_argument('--top', type=int, default=8, help='images per class on the sheet')
    parser.add_argument('--suspects', type=float, default=0.05,
                        help='fraction of images flagged `suspect` (default: %(default)s)')
    parser.add_argument('--device', help='torch device (default: cuda if available)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--trust-checkpoint', action='append', default=[], metavar='FILE')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if (args.csv or args.list) and not args.image_dir:
        parser.error('--csv and --list need --image-dir')
    return args


def main(argv: list[str] | None = None) -> int:
    import pickle

    import torch

    from custom_modules.compat import trust_file
    from tools.ensemble import PredictionError, read_lines
    from tools.predict_images import Predictor, read_checkpoint_classes

    args = parse_args(argv)
    for path in args.trust_checkpoint:
        trust_file(path)
    try:
        classes = read_lines(args.classes) if args.classes else \
            read_checkpoint_classes(args.checkpoint)
        if not classes:
            raise PredictionError(f'{args.checkpoint} has no class names; give --classes')
        if args.csv:
            samples = samples_from_csv(args.csv, args.image_dir)
        elif args.list:
            samples = samples_from_list(args.list, args.image_dir, classes)
        else:
            samples = samples_from_folder(args.folder)
        device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
        predictor = Predictor(args.config, args.checkpoint, len(classes), device)
        table = find_outliers(predictor, samples, args.out_dir, args.top, args.suspects,
                              args.batch_size, not args.no_progress)
    except (DataError, PredictionError, ValueError, FileNotFoundError,
            pickle.UnpicklingError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    flagged = table[table['suspect']]
    print(f'{len(table)} images scored; {len(flagged)} suspects, the first:')
    print(flagged.head(10)[['image_id', 'label', 'score', 'nearest_class']].to_string(index=False))
    print(f'wrote {Path(args.out_dir) / "outliers.csv"} and contact_sheet.png (nothing deleted)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
