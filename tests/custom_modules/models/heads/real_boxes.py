"""Tiny localisation batches made of real photographs (scikit-learn's china.jpg and flower.jpg,
installed with scikit-learn from requirements/lock.txt): an object crop of one photo or the
other pasted at a random place and size into a random crop of either photo; the class is which
photo the object came from, the box is where it was pasted."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

# (top, left, bottom, right) of the object regions: flower.jpg's flower, china.jpg's temple.
OBJECT_REGIONS = ((80, 140, 380, 500), (40, 120, 300, 480))


def sample_photos() -> tuple[np.ndarray, np.ndarray]:
    """(china, flower) as RGB uint8, or the test is skipped with the reason."""
    datasets = pytest.importorskip('sklearn.datasets', reason='scikit-learn (requirements/lock)')
    china, flower = datasets.load_sample_images().images
    return china, flower


def real_box_batch(n: int, size: int = 64, seed: int = 0
                   ) -> tuple[torch.Tensor, list[DataSample]]:
    """``n`` images ``[n, 3, size, size]`` (uint8 values as float) with classes 0 (flower) / 1
    (temple) alternating, and data samples holding ``gt_label`` and ``gt_bbox`` in [0, 1]."""
    china, flower = sample_photos()
    rng = np.random.default_rng(seed)
    images, samples = [], []
    for i in range(n):
        label = i % 2
        photo = (china, flower)[int(rng.integers(2))]
        side = int(rng.integers(160, 400))
        y, x = rng.integers(0, photo.shape[0] - side), rng.integers(0, photo.shape[1] - side)
        canvas = cv2.resize(photo[y:y + side, x:x + side], (size, size),
                            interpolation=cv2.INTER_AREA).copy()
        top, left, bottom, right = OBJECT_REGIONS[label]
        source = (flower, china)[label]
        crop = int(rng.integers(120, bottom - top))
        cy, cx = rng.integers(top, bottom - crop + 1), rng.integers(left, right - crop + 1)
        obj_side = int(rng.integers(size // 3, size * 2 // 3))
        obj = cv2.resize(source[cy:cy + crop, cx:cx + crop], (obj_side, obj_side),
                         interpolation=cv2.INTER_AREA)
        oy, ox = (int(v) for v in rng.integers(0, size - obj_side + 1, 2))
        canvas[oy:oy + obj_side, ox:ox + obj_side] = obj
        images.append(torch.from_numpy(canvas).permute(2, 0, 1).float())
        sample = DataSample(metainfo=dict(img_shape=(size, size))).set_gt_label(label)
        box = np.array([ox, oy, ox + obj_side, oy + obj_side], dtype=np.float32) / size
        sample.set_field(box, 'gt_bbox')
        samples.append(sample)
    return torch.stack(images), samples


def train_localizer(model, data: dict, optimizer, iterations: int, hook=None, runner=None
                    ) -> list[dict[str, torch.Tensor]]:
    """``iterations`` steps of a localize model on one preprocessed batch (``data``), a hook
    called around each as the runner would (``runner.iter`` set, ``before_train_iter``, loss,
    backward of class + box loss, step, ``after_train_iter``); each step's losses, detached."""
    model.train()
    losses = []
    for it in range(iterations):
        if hook is not None:
            runner.iter = it
            hook.before_train_iter(runner, it)
        out = model(data['inputs'], data['data_samples'], mode='loss')
        optimizer.zero_grad()
        (out['loss_cls'] + out['loss_bbox']).backward()
        optimizer.step()
        if hook is not None:
            hook.after_train_iter(runner, it)
        losses.append({k: v.detach() if torch.is_tensor(v) else v for k, v in out.items()})
    return losses
