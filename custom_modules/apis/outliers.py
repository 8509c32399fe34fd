"""Suspicious training images (wrong label, junk, duplicates of another class) from embeddings.

Each image is embedded by a trained classifier (the features its head sees, see
:meth:`ImagePredictor.features`), centred on the mean embedding and L2-normalised. Two methods,
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
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils.atomic import staged_outputs
from ..utils.errors import PodiumError
from .image_items import ImageItem
from .image_predictor import ImagePredictor

COLUMNS = ['rank', 'image_id', 'label', 'score', 'iforest', 'iforest_z', 'centroid_distance',
           'other_distance', 'centroid_ratio', 'centroid_z', 'nearest_class', 'closer_to_other',
           'suspect', 'path']


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


def rank_outliers(items: Sequence[ImageItem], embeddings: np.ndarray,
                  suspects: float = 0.05) -> pd.DataFrame:
    """Every image with its scores, most suspicious first; ``suspect`` marks the top
    ``suspects`` fraction."""
    table = pd.DataFrame({'image_id': [i.image_id for i in items],
                          'label': [i.label for i in items],
                          'path': [str(i.path) for i in items]})
    table = pd.concat([table, score(embeddings, table['label'])], axis=1)
    table = table.sort_values('score', ascending=False, kind='stable').reset_index(drop=True)
    table['rank'] = np.arange(1, len(table) + 1)
    table['suspect'] = table['rank'] <= int(np.ceil(suspects * len(table)))
    return table[COLUMNS]


def find_outliers(predictor: ImagePredictor, items: Sequence[ImageItem], out_dir: str | Path,
                  top: int = 8, suspects: float = 0.05, batch_size: int = 32,
                  progress: bool = True) -> pd.DataFrame:
    """Embed and rank ``items``; write ``outliers.csv``, ``contact_sheet.png`` (per class, its
    ``top`` most suspicious images) and ``embeddings.npz`` into ``out_dir``, all or none."""
    if not items:
        raise PodiumError('no images to score')
    emb = predictor.embed_paths([i.path for i in items], batch_size, progress=progress)
    table = rank_outliers(items, emb, suspects)
    with staged_outputs(out_dir) as out:
        out.write_csv('outliers.csv', table.round(6))
        out.path('contact_sheet.png').write_bytes(contact_sheet(table, top))
        np.savez(out.path('embeddings.npz'), ids=np.array([i.image_id for i in items]),
                 embeddings=emb.astype(np.float32))
    return table
