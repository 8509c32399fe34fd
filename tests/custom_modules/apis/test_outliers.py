"""custom_modules.apis.outliers: scores follow their rows; ranking and suspects."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from custom_modules.apis import ImageItem
from custom_modules.apis.outliers import rank_outliers, robust_z, score


def clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight clusters of 10, labelled a/b/c; row 4 is labelled a but sits in c."""
    rng = np.random.default_rng(seed)
    centres = np.eye(3) * 5
    emb = np.concatenate([centres[k] + rng.normal(0, 0.3, (10, 3)) for k in range(3)])
    emb[4] = centres[2] + 0.1
    return emb / np.linalg.norm(emb, axis=1, keepdims=True), np.repeat(['a', 'b', 'c'], 10)


def test_scores_follow_the_rows_not_their_order():
    emb, labels = clusters()
    perm = np.random.default_rng(1).permutation(30)
    first, shuffled = score(emb, labels), score(emb[perm], labels[perm])
    assert first['centroid_z'].idxmax() == 4 and first.loc[4, 'nearest_class'] == 'c'
    assert first.loc[4, 'centroid_ratio'] > 1 and first.loc[4, 'closer_to_other']
    assert first['score'].idxmax() == 4
    for column in ('centroid_distance', 'centroid_ratio', 'centroid_z'):
        np.testing.assert_allclose(shuffled[column].to_numpy(), first[column].to_numpy()[perm])


def test_rank_keeps_each_image_with_its_own_row():
    emb, labels = clusters()
    items = [ImageItem(f'img{i}', Path(f'/x/img{i}.jpg'), str(c)) for i, c in enumerate(labels)]
    table = rank_outliers(items, emb, suspects=0.1)
    assert table['rank'].tolist() == list(range(1, 31))
    assert table.loc[0, 'image_id'] == 'img4' and table.loc[0, 'label'] == 'a'
    assert table['suspect'].sum() == 3 and table['suspect'].head(3).all()
    assert (table['path'] == '/x/' + table['image_id'] + '.jpg').all()
    assert table['score'].is_monotonic_decreasing


def test_robust_z_ignores_the_outlier_itself():
    z = robust_z(np.array([1.0, 1.1, 0.9, 1.0, 50.0]))
    assert z[-1] > 100 and np.abs(z[:-1]).max() < 2
    assert np.allclose(robust_z(np.ones(4)), 0)  # no spread: no division by zero
