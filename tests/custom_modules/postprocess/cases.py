"""Shared cases of the postprocess tests: action classes, the origin's rules, fixture files."""
from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import torch

from custom_modules.postprocess import load_rules
from custom_modules.predictions import save_predictions
from tests.conftest import REPO_ROOT

# The origin's classes, in the origin's label order.
CLASSES = ['putup_umbrella', 'ride_kick', 'fall_down', 'driveway_walk', 'jay_walk', 'ride_moto',
           'ride_cycle', 'fighting', 'normal']
DET_CLASSES = ['person', 'ride_kick', 'fall_down']
C = {name: k for k, name in enumerate(CLASSES)}

# The origin's rules (DESIGN.md, "The action flow", step 6), as the action manifest states them;
# test_origin_rules.py pins their values: a fallback, four substitutions, two detector rules.
ORIGIN_RULES = load_rules(REPO_ROOT / 'configs/solutions/action.py')
assert len(ORIGIN_RULES) == 7, ORIGIN_RULES
FALLBACK, JAY_TO_DRIVEWAY = ORIGIN_RULES[0], ORIGIN_RULES[1]
RIDE_KICK_BOXES, FALL_DOWN_BOXES = ORIGIN_RULES[5], ORIGIN_RULES[6]


def probs_row(**named: float) -> np.ndarray:
    """A probability row with the named classes set and the rest sharing what is left."""
    row = np.zeros(len(CLASSES))
    for name, p in named.items():
        row[C[name]] = p
    rest = [k for k in range(len(CLASSES)) if CLASSES[k] not in named]
    row[rest] = (1.0 - row.sum()) / len(rest)
    return row


def det_dump(path: Path, frames: dict[str, list[tuple[int, float]]]) -> Path:
    """A MMDetection DumpResults-like pickle: one dict per frame path, (label, score) per box."""
    samples = []
    for frame, boxes in frames.items():
        n = len(boxes)
        samples.append({'img_path': f'data/action/rawframes/{frame}', 'img_id': 0,
                        'pred_instances': {
                            'bboxes': torch.zeros((n, 4)),
                            'scores': torch.tensor([s for _, s in boxes], dtype=torch.float32),
                            'labels': torch.tensor([lab for lab, _ in boxes], dtype=torch.int64)}})
    with open(path, 'wb') as f:
        pickle.dump(samples, f)
    return path


def write_ss(path: Path, ids: list[str]) -> Path:
    path.write_text('video_filename,class\n' + ''.join(f'{i},normal\n' for i in ids))
    return path


def make_action_case(tmp_path: Path) -> dict[str, Path]:
    """Predictions listed in an order unlike sample_submission's, detections, and a manifest."""
    ss = write_ss(tmp_path / 'sample_submission.csv', ['v3.mp4', 'v1.mp4', 'v2.mp4', 'v4.mp4'])
    rows = {'v1': probs_row(putup_umbrella=0.6, normal=0.3),
            'v2': probs_row(jay_walk=0.5, driveway_walk=0.3),
            'v3': probs_row(jay_walk=0.7, normal=0.2, ride_kick=0.06, fall_down=0.03),
            'v4': probs_row(normal=0.8)}
    pred = tmp_path / 'ens.npz'
    save_predictions(pred, list(rows), np.stack(list(rows.values())), classes=CLASSES)
    det = det_dump(tmp_path / 'det.pkl', {
        **{f'v3/img_{t:05d}.jpg': [(1, 0.95)] for t in range(1, 23)},  # 22 ride_kick boxes
        'v4/img_00001.jpg': [(2, 0.6)] * 5})  # 5 fall_down boxes: too few
    det_classes = tmp_path / 'det_classes.txt'
    det_classes.write_text('\n'.join(DET_CLASSES) + '\n')
    manifest = tmp_path / 'action.py'
    manifest.write_text(f'postprocess_rules = {ORIGIN_RULES!r}\nother = 1\n')
    return dict(ss=ss, pred=pred, det=det, det_classes=det_classes, manifest=manifest)


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text().splitlines()))
