"""Draw each class equally often per epoch (the crash origin's 50/50 crash / other frames)."""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.registry import DATA_SAMPLERS as MMENGINE_SAMPLERS
from torch.utils.data import Sampler

from ...registry import register_in


def dataset_labels(dataset: Sized) -> np.ndarray:
    """One integer class per sample: ``get_gt_labels()`` when the dataset has it, else
    the first of ``get_cat_ids(i)`` (mmengine's wrappers, e.g. ConcatDataset, have that)."""
    if hasattr(dataset, 'get_gt_labels'):
        labels = np.asarray(dataset.get_gt_labels())
    elif hasattr(dataset, 'get_cat_ids'):
        labels = np.asarray([dataset.get_cat_ids(i)[0] for i in range(len(dataset))])
    else:
        raise TypeError(f'{type(dataset).__name__} has neither get_gt_labels() nor '
                        'get_cat_ids(): ClassBalancedSampler needs the labels')
    if labels.ndim != 1 or len(labels) != len(dataset):
        raise ValueError('ClassBalancedSampler needs exactly one label per sample, got labels '
                         f'of shape {labels.shape} for {len(dataset)} samples')
    return labels.astype(np.int64)


@register_in(scopes=('mmpretrain', ), registry='DATA_SAMPLERS')
@MMENGINE_SAMPLERS.register_module()
class ClassBalancedSampler(Sampler):
    """Per epoch, ``num_samples`` indices in which every class has an equal (or weighted) share.

    Each class's share is taken from repeated seeded permutations of its samples: a rare class
    is cycled through evenly (every sample once before any twice), a common class is
    subsampled without repeats, so over the epochs all of its samples are seen. The epoch's
    list is shuffled and split by position: rank r takes items r, r + W, r + 2W, ... (W =
    world size), so ranks get disjoint shares of one draw of the same size. The draw depends
    only on ``seed`` and the epoch (``set_epoch``, called by mmengine's DistSamplerSeedHook),
    so a resumed run sees exactly the epochs it would have seen.

    Args:
        dataset: The dataset (labels from ``get_gt_labels()`` or ``get_cat_ids()``).
        num_samples: Samples per epoch over all ranks (default: the dataset's size), rounded
            up to a multiple of the world size.
        class_weights: Relative share of each class (a list by label, or a dict label ->
            weight; missing labels weigh 0). Default: equal shares for the classes present.
        seed: Seed shared by all ranks (None: a random one, synchronised across ranks).
    """

    def __init__(self, dataset: Sized, num_samples: int | None = None,
                 class_weights: Sequence[float] | Mapping[int, float] | None = None,
                 seed: int | None = None) -> None:
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        labels = dataset_labels(dataset)
        if len(labels) == 0:
            raise ValueError('ClassBalancedSampler: the dataset is empty')
        classes = np.unique(labels)
        self.members = {int(c): np.flatnonzero(labels == c) for c in classes}
        self.weights = self._weights(classes, class_weights)
        total = len(labels) if num_samples is None else int(num_samples)
        if total < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.num_samples = math.ceil(total / self.world_size)  # per rank
        self.total_size = self.num_samples * self.world_size

    @staticmethod
    def _weights(classes: np.ndarray, class_weights) -> dict[int, float]:
        if class_weights is None:
            return {int(c): 1.0 for c in classes}
        if isinstance(class_weights, Mapping):
            given = {int(k): float(v) for k, v in class_weights.items()}
        else:
            given = {i: float(w) for i, w in enumerate(class_weights)}
        if any(w < 0 for w in given.values()):
            raise ValueError(f'class_weights must be >= 0, got {class_weights}')
        weights = {int(c): given.get(int(c), 0.0) for c in classes}
        if sum(weights.values()) <= 0:
            raise ValueError(f'class_weights {class_weights} give no weight to the classes '
                             f'present in the dataset ({classes.tolist()})')
        return weights

    def quotas(self, rng: np.random.Generator) -> dict[int, int]:
        """How many samples each class gets this epoch (largest remainders, ties at random)."""
        classes = [c for c, w in self.weights.items() if w > 0]
        w = np.array([self.weights[c] for c in classes])
        exact = self.total_size * w / w.sum()
        counts = np.floor(exact).astype(np.int64)
        left = self.total_size - int(counts.sum())
        if left:
            order = np.lexsort((rng.random(len(classes)), -(exact - counts)))
            counts[order[:left]] += 1
        return dict(zip(classes, counts.tolist()))

    def epoch_indices(self) -> np.ndarray:
        """The whole epoch's draw (all ranks), identical on every rank."""
        rng = np.random.default_rng([self.seed, self.epoch])
        picks = []
        for c, count in self.quotas(rng).items():
            members = self.members[c]
            cycles = -(-count // len(members))
            cycled = np.concatenate([rng.permutation(members) for _ in range(cycles)])
            picks.append(cycled[:count])
        indices = np.concatenate(picks)
        return indices[rng.permutation(len(indices))]

    def __iter__(self) -> Iterator[int]:
        indices = self.epoch_indices()[self.rank:self.total_size:self.world_size]
        return iter(indices.tolist())

    def __len__(self) -> int:
        """Samples of this rank per epoch."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose draw ``__iter__`` yields."""
        self.epoch = epoch
