"""ClassBalancedSampler: equal class shares, disjoint rank shares, per-epoch determinism."""
from __future__ import annotations

from collections import Counter
from unittest import mock

import numpy as np
import pytest
from mmengine.registry import DATA_SAMPLERS as MMENGINE_SAMPLERS
from mmpretrain.registry import DATA_SAMPLERS

import custom_modules  # noqa: F401
from custom_modules.datasets.samplers import class_balanced


class Labelled:
    """A dataset that only knows its labels, like mmpretrain's BaseDataset."""

    def __init__(self, labels) -> None:
        self.labels = np.asarray(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def get_gt_labels(self) -> np.ndarray:
        return self.labels


class CatIds:
    """A wrapper-like dataset (ConcatDataset) that gives labels by ``get_cat_ids`` only."""

    def __init__(self, labels) -> None:
        self.labels = np.asarray(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def get_cat_ids(self, i: int) -> list[int]:
        return [int(self.labels[i])]


def imbalanced(n_neg: int = 180, n_pos: int = 20, seed: int = 0) -> Labelled:
    labels = np.array([0] * n_neg + [1] * n_pos)
    return Labelled(np.random.default_rng(seed).permutation(labels))


def build(dataset, rank: int = 0, world: int = 1, **kwargs):
    with mock.patch.object(class_balanced, 'get_dist_info', return_value=(rank, world)):
        return DATA_SAMPLERS.build(dict(type='ClassBalancedSampler', dataset=dataset, seed=7,
                                        **kwargs))


def test_registered_in_both_registries():
    assert DATA_SAMPLERS.get('ClassBalancedSampler') is MMENGINE_SAMPLERS.get(
        'ClassBalancedSampler')


def test_one_process_draws_classes_50_50():
    ds = imbalanced()
    sampler = build(ds)
    indices = list(sampler)
    assert len(indices) == len(sampler) == 200
    counts = Counter(int(ds.labels[i]) for i in indices)
    assert counts == {0: 100, 1: 100}
    # the rare class is cycled evenly: each of the 20 positives 5 times
    positives = Counter(i for i in indices if ds.labels[i] == 1)
    assert set(positives.values()) == {5}
    # the common class is subsampled without repeats
    negatives = Counter(i for i in indices if ds.labels[i] == 0)
    assert set(negatives.values()) == {1}


def test_two_ranks_get_disjoint_balanced_shares_of_one_draw():
    ds = imbalanced()
    full = build(ds).epoch_indices()
    ranks = [build(ds, rank=r, world=2) for r in (0, 1)]
    for epoch in (0, 3):
        shares = []
        for sampler in ranks:
            sampler.set_epoch(epoch)
            shares.append(list(sampler))
        assert len(shares[0]) == len(shares[1]) == 100
        # together they are exactly one epoch's draw, split by position
        ref = build(ds)
        ref.set_epoch(epoch)
        merged = np.empty(200, np.int64)
        merged[0::2], merged[1::2] = shares[0], shares[1]
        np.testing.assert_array_equal(merged, ref.epoch_indices())
        # no common-class sample is given to both ranks
        neg = [{i for i in s if ds.labels[i] == 0} for s in shares]
        assert not neg[0] & neg[1]
        # each rank's share is balanced too (within sampling noise of a shuffle)
        for share in shares:
            assert 35 <= sum(int(ds.labels[i]) for i in share) <= 65
    assert len(full) == 200


def test_deterministic_per_epoch_and_resume_safe():
    ds = imbalanced()
    a, b = build(ds), build(ds)
    a.set_epoch(4)
    b.set_epoch(4)  # a resumed run: a fresh sampler told the epoch
    assert list(a) == list(b)
    b.set_epoch(5)
    assert list(a) != list(b)
    # over a few epochs every common-class sample is seen
    seen = set()
    for epoch in range(4):
        a.set_epoch(epoch)
        seen |= {i for i in a if ds.labels[i] == 0}
    assert len(seen) > 0.9 * 180


def test_num_samples_weights_and_rounding():
    ds = imbalanced()
    sampler = build(ds, rank=1, world=3, num_samples=100, class_weights=[1, 3])
    assert len(sampler) == 34 and sampler.total_size == 102
    draw = sampler.epoch_indices()
    counts = Counter(int(ds.labels[i]) for i in draw)
    assert counts == {0: 26, 1: 76} or counts == {0: 25, 1: 77}  # 102 * 1/4 = 25.5
    only_pos = build(ds, class_weights={1: 1.0})
    assert all(ds.labels[i] == 1 for i in only_pos)


def test_labels_from_cat_ids_and_errors():
    ds = CatIds([0, 1, 1, 0, 0, 0])
    assert Counter(int(ds.labels[i]) for i in build(ds)) == {0: 3, 1: 3}
    with pytest.raises(ValueError, match='no weight'):
        build(Labelled([0, 0, 1]), class_weights={5: 1.0})
    with pytest.raises(TypeError, match='needs the labels'):
        build([1, 2, 3])


def _rank_main(rank: int, world: int, init_file: str, out_dir: str) -> None:
    """One real rank (gloo): build the sampler with no seed (synchronised) and dump its share."""
    import json

    import torch.distributed as dist

    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank,
                            world_size=world)
    try:
        sampler = DATA_SAMPLERS.build(dict(type='ClassBalancedSampler', dataset=imbalanced()))
        shares = {}
        for epoch in (0, 1):
            sampler.set_epoch(epoch)
            shares[epoch] = list(sampler)
        with open(f'{out_dir}/rank{rank}.json', 'w') as f:
            json.dump({'seed': sampler.seed, 'shares': shares}, f)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_real_processes(tmp_path):
    import json

    import torch.multiprocessing as mp

    mp.spawn(_rank_main, args=(2, str(tmp_path / 'init'), str(tmp_path)), nprocs=2)
    ranks = [json.loads((tmp_path / f'rank{r}.json').read_text()) for r in (0, 1)]
    assert ranks[0]['seed'] == ranks[1]['seed']  # a random seed, agreed across ranks
    ds = imbalanced()
    for epoch in ('0', '1'):
        a, b = ranks[0]['shares'][epoch], ranks[1]['shares'][epoch]
        assert len(a) == len(b) == 100
        labels = ds.labels[a + b]
        assert int(labels.sum()) == 100  # 50/50 over both ranks
        neg = [{i for i in s if ds.labels[i] == 0} for s in (a, b)]
        assert not neg[0] & neg[1]  # disjoint shares
    assert ranks[0]['shares']['0'] != ranks[0]['shares']['1']
