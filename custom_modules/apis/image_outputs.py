"""What an image prediction writes for people: a top-k CSV and images sorted by class."""
from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..utils.atomic import atomic_folder, atomic_write
from ..utils.errors import PodiumError
from .image_items import ImageItem


def write_topk_csv(path: str | Path, items: Sequence[ImageItem], probs: np.ndarray,
                   classes: Sequence[str], topk: int = 0) -> None:
    """``image_id,label[,top1_label,top1_prob,...,topK_label,topK_prob]``, atomically."""
    order = np.argsort(-probs, axis=1, kind='stable')
    header = ['image_id', 'label']
    for k in range(1, topk + 1):
        header += [f'top{k}_label', f'top{k}_prob']
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(header)
        for item, row, ranks in zip(items, probs, order):
            cells = [item.image_id, classes[ranks[0]]]
            for c in ranks[:topk]:
                cells += [classes[c], f'{row[c]:.6f}']
            writer.writerow(cells)


def safe_name(image_id: str, path: Path) -> str:
    """A flat file name for an image in a class folder (sub-folders joined by ``__``)."""
    stem = image_id.replace('\\', '/').strip('/').replace('/', '__') or path.stem
    return stem if Path(stem).suffix.lower() == path.suffix.lower() else stem + path.suffix


def sort_into(out_dir: str | Path, items: Sequence[ImageItem], labels: Sequence[str],
              mode: str = 'symlink') -> None:
    """Symlink (or copy) each image into ``out_dir/<label>/``; built aside, then moved in.

    Raises:
        PodiumError: ``out_dir`` exists and is not an empty folder (nothing in it is touched).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise PodiumError(f'{out_dir} exists and is not empty: --sort-into needs a new or '
                          'empty folder (nothing in it is overwritten)')
    with atomic_folder(out_dir) as stage:
        for item, label in zip(items, labels):
            target = stage / label / safe_name(item.image_id, item.path)
            target.parent.mkdir(exist_ok=True)
            if mode == 'symlink':
                target.symlink_to(item.path.resolve())
            else:
                shutil.copy2(item.path, target)
