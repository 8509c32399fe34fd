"""A tiny work dir with every input of the run report, in the formats the runs write."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np

CLASSES = ['ball', 'box', 'cone']
RUNS = ('tsm1', 'tsm2')
FOLDS = (0, 1)

STAGES_TRAIN = [
    {'name': 'preprocess lists', 'status': 'skipped', 'seconds': 0.0, 'metrics': {'classes': 3},
     'note': ''},
    {'name': 'train tsm1 fold0', 'status': 'ran', 'seconds': 12.5,
     'metrics': {'acc/top1': 0.8125}, 'note': ''},
    {'name': 'validate tsm1 fold0', 'status': 'failed', 'seconds': 1.25, 'metrics': {},
     'note': 'went <wrong>'},
]
STAGES_INFERENCE = [{'name': 'ensemble + submission', 'status': 'ran', 'seconds': 2.0,
                     'metrics': {'rows': 6}, 'note': ''}]
CV = {'metric': 'accuracy', 'complete': True, 'note': 'every fold (0..1)', 'runs': {
    run: {'folds': {str(k): {'accuracy': 0.75 + 0.05 * k + 0.01 * i, 'log_loss': 0.6}
                    for k in FOLDS},
          'mean': {'accuracy': 0.775 + 0.01 * i, 'log_loss': 0.6},
          'std': {'accuracy': 0.025, 'log_loss': 0.0},
          'oof': {'accuracy': 0.7777 + 0.01 * i, 'log_loss': 0.5911}}
    for i, run in enumerate(RUNS)}, 'ensemble': {'oof': {'accuracy': 0.8333, 'log_loss': 0.55}}}
WEIGHTS = {'method': 'oof', 'reason': None, 'metric': 'log_loss',
           'weights': {'tsm1': 0.7, 'tsm2': 0.3}, 'equal': {'tsm1': 0.5, 'tsm2': 0.5},
           'oof_fitted': {'log_loss': 0.5123, 'accuracy': 0.8444},
           'oof_equal': {'log_loss': 0.5555, 'accuracy': 0.8333}}
RULES = {'metric': 'accuracy', 'samples': 36, 'before': 0.8333, 'after': 0.8055, 'rows': [
    {'number': 1, 'rule': 'threshold_fallback putup_umbrella < 0.95', 'changed': 3,
     'before': 0.8333, 'after': 0.8611, 'hurts': False, 'grid': {'min_prob': [0.9, 0.95]},
     'chosen': {'min_prob': 0.9}},
    {'number': 2, 'rule': 'top3 jay_walk -> driveway_walk', 'changed': 2, 'before': 0.8611,
     'after': 0.8055, 'hurts': True, 'grid': None, 'chosen': None},
    {'number': 3, 'rule': 'detector counts ride_kick', 'changed': None, 'before': None,
     'after': None, 'hurts': False, 'grid': None, 'chosen': None, 'note': 'off: no boxes'}]}
TTA = {'tsm1': {'metric': 'accuracy', 'without': 0.7777, 'with': 0.8012, 'delta': 0.0235,
                'log_loss': {'without': 0.61, 'with': 0.58, 'delta': -0.03}, 'folds': [0, 1],
                'samples': 12}}


def png(path: Path, seed: int = 0) -> Path:
    """A small real PNG (8x12 pixels)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (8, 12, 3), dtype=np.uint8)
    ok, data = cv2.imencode('.png', pixels)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1))


def make_data_root(root: Path) -> Path:
    """``lists/classes.txt`` and ``lists/train_all.txt`` (sports, action): 6 ball, 3 box, 3 cone."""
    lists = root / 'lists'
    lists.mkdir(parents=True)
    (lists / 'classes.txt').write_text('\n'.join(CLASSES) + '\n')
    labels = [0] * 6 + [1] * 3 + [2] * 3
    (lists / 'train_all.txt').write_text(''.join(f'img_{i}.jpg {k}\n'
                                                 for i, k in enumerate(labels)))
    return root


def make_work_dir(work_dir: Path) -> int:
    """Every input of the report; returns how many PNGs the runs left."""
    write_json(work_dir / 'stages_train.json', STAGES_TRAIN)
    write_json(work_dir / 'stages_inference.json', STAGES_INFERENCE)
    write_json(work_dir / 'cv_report.json', CV)
    write_json(work_dir / 'ensemble_weights.json', WEIGHTS)
    write_json(work_dir / 'rules_oof.json', RULES)
    write_json(work_dir / 'tta_oof.json', TTA)
    (work_dir / 'submission.csv').write_text('image_id,label\na,ball\nb,ball\nc,box\nd,box\n'
                                             'e,box\nf,cone\n')
    count = 0
    for run in RUNS:
        for fold in FOLDS:
            for name in ('curves.png', 'confusion_matrix.png'):
                png(work_dir / run / f'fold{fold}' / name, seed=count)
                count += 1
    png(work_dir / 'top3_best.png', seed=99)
    (work_dir / 'logs').mkdir()
    png(work_dir / 'logs' / 'ignored.png')  # not a run's figure
    return count + 1


class Page(HTMLParser):
    """The parts of a report page the tests look at: tables by name, image sources, text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[str] = []
        self.missing: list[str] = []
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_missing = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = dict(attrs)
        if tag == 'table':
            self._table = self.tables.setdefault(attrs.get('data-table', f'#{len(self.tables)}'),
                                                 [])
        elif tag == 'tr' and self._table is not None:
            self._table.append([])
        elif tag in ('td', 'th'):
            self._cell = []
        elif tag == 'img':
            self.images.append(attrs['src'])
        elif tag == 'p' and attrs.get('class') == 'missing':
            self._in_missing = True
            self.missing.append('')

    def handle_endtag(self, tag: str) -> None:
        if tag in ('td', 'th') and self._table is not None and self._cell is not None:
            self._table[-1].append(''.join(self._cell))
            self._cell = None
        elif tag == 'table':
            self._table = None
        elif tag == 'p':
            self._in_missing = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_missing:
            self.missing[-1] += data
