"""Single-object localisation images: one class and one box per image, from prep_localize's CSVs."""
from __future__ import annotations

import os.path as osp

import numpy as np
import pandas as pd
from mmpretrain.datasets import BaseDataset

from ..registry import register_in

BOX = ('xmin', 'ymin', 'xmax', 'ymax')


@register_in(scopes=('mmpretrain', ), registry='DATASETS')
class LocalizeDataset(BaseDataset):
    """Images with one object each, from the lists of ``custom_modules/data_prep/localize_lists``.

    ``annotations.csv`` (one line: ``cat_01,cat_01.jpg,500,375,cat,0,12,30,410,360,...,3``) gives
    the class and the box in pixels; ``test.csv`` (``image_id,file,width,height``) has neither.
    Each sample carries ``gt_label``, ``gt_bboxes`` (``[1, 4]`` pixels, moved by the transforms)
    and ``ori_bbox`` (the same box, left untouched, for the metric in original pixels).

    Args:
        ann_file: ``annotations.csv`` or ``test.csv``.
        fold: With ``split`` 'train' / 'val': the validation fold (``fold`` column).
        split: 'all', 'train' (fold != ``fold``) or 'val' (fold == ``fold``).
        data_prefix: Folder of the images (``dict(img_path=...)`` or a string).
        classes: Class names or a ``classes.txt`` (mmpretrain's ``classes`` argument).
        **kwargs: Passed to mmpretrain's ``BaseDataset``.
    """

    def __init__(self, ann_file: str, fold: int | None = None, split: str = 'all',
                 **kwargs) -> None:
        if split not in ('all', 'train', 'val'):
            raise ValueError(f"split must be 'all', 'train' or 'val', got {split!r}")
        if split != 'all' and fold is None:
            raise ValueError(f'split={split!r} needs a fold')
        self.fold = fold
        self.split = split
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> list[dict]:
        table = pd.read_csv(self.ann_file, dtype={'image_id': str, 'file': str})
        missing = {'image_id', 'file', 'width', 'height'} - set(table.columns)
        if missing:
            raise ValueError(f'{self.ann_file}: missing columns {sorted(missing)}')
        if self.split != 'all':
            if 'fold' not in table.columns:
                raise ValueError(f'{self.ann_file}: no fold column for split={self.split!r}')
            keep = table['fold'] == self.fold if self.split == 'val' else table['fold'] != self.fold
            table = table[keep]
        has_boxes = set(BOX) <= set(table.columns) and 'label' in table.columns
        n_classes = len(self.CLASSES) if self.CLASSES else None
        prefix = self.data_prefix.get('img_path', '') if isinstance(self.data_prefix,
                                                                    dict) else self.data_prefix
        data_list = []
        for line, row in zip(table.index + 2, table.itertuples(index=False)):
            info = dict(img_path=osp.join(prefix, row.file), sample_id=row.image_id,
                        ori_size=(int(row.height), int(row.width)))
            if has_boxes:
                label = int(row.label)
                if n_classes is not None and not 0 <= label < n_classes:
                    raise ValueError(f'{self.ann_file}:{line}: label {label} outside the '
                                     f'{n_classes} classes')
                box = np.array([getattr(row, k) for k in BOX], dtype=np.float32)
                info.update(gt_label=label, gt_bboxes=box[None], ori_bbox=box.copy())
            data_list.append(info)
        return data_list
