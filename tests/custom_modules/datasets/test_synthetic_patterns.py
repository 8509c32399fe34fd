from __future__ import annotations

import numpy as np

from custom_modules.datasets import SyntheticPatternDataset


def build(**kwargs) -> SyntheticPatternDataset:
    return SyntheticPatternDataset(num_samples=12, image_size=24, **kwargs)


def test_deterministic_and_balanced():
    first, second = build(seed=3), build(seed=3)
    for i in range(len(first)):
        a, b = first.get_data_info(i), second.get_data_info(i)
        np.testing.assert_array_equal(a['img'], b['img'])
        assert a['sample_id'] == b['sample_id'] == f'synthetic_3_{i:05d}'
    labels = [first.get_data_info(i)['gt_label'] for i in range(len(first))]
    assert np.bincount(labels).tolist() == [4, 4, 4]
    assert first.metainfo['classes'] == ('horizontal_stripes', 'vertical_stripes', 'checkerboard')


def test_seeds_give_different_images():
    a, b = build(seed=0).get_data_info(0)['img'], build(seed=1).get_data_info(0)['img']
    assert a.shape == (24, 24, 3) and a.dtype == np.uint8
    assert not np.array_equal(a, b)


def test_stripes_have_the_right_orientation():
    data = SyntheticPatternDataset(num_samples=2, image_size=32, seed=5)
    horizontal = data.get_data_info(0)['img'].astype(float)
    vertical = data.get_data_info(1)['img'].astype(float)
    # rows of horizontal stripes are nearly constant; columns of vertical ones are
    assert horizontal.std(axis=1).mean() < horizontal.std(axis=0).mean()
    assert vertical.std(axis=0).mean() < vertical.std(axis=1).mean()
