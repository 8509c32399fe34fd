"""Benchmark action preprocessing at scale: N videos' extraction records -> k-fold lists + COCO.

Writes N synthetic extraction records (`<root>/<stem>/meta.json`, no frames), a train.csv, a
sample_submission.csv and a boxes CSV, then times `load_frame_records` and `prepare_action`.

    python bench/preprocess.py --videos 10000 --boxes 100000
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_modules.data_prep.action_lists import prepare_action  # noqa: E402
from custom_modules.data_prep.frame_records import (  # noqa: E402
    RECORD_NAME,
    ExtractOptions,
    FrameRecord,
    load_frame_records,
)

CLASSES = ['driveway_walk', 'fall_down', 'jay_walk', 'normal', 'putup_umbrella', 'ride_kick']


def write_inputs(work: Path, n: int, n_boxes: int) -> dict[str, Path]:
    raw = work / 'rawframes'
    options = ExtractOptions().to_dict()
    for i in range(n):
        stem = f'video_{i:06d}'
        frames = 40 + i % 60
        rec = FrameRecord(stem=stem, video=f'/data/{stem}.mp4', video_bytes=1, total_frames=frames,
                          fps=30.0, width=960, height=540, source_fps=30.0,
                          source_frames=frames, source_width=1920, source_height=1080,
                          duration=frames / 30, pix_fmt='yuv420p',
                          filename_tmpl='img_{:05d}.jpg', options=options)
        (raw / stem).mkdir(parents=True)
        (raw / stem / RECORD_NAME).write_text(json.dumps(asdict(rec)))
    n_test = n // 10
    with open(work / 'train.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['video_filename', 'class'])
        w.writerows([f'video_{i:06d}.mp4', CLASSES[i % len(CLASSES)]] for i in range(n_test, n))
    with open(work / 'sample_submission.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['video_filename', 'class'])
        w.writerows([f'video_{i:06d}.mp4', 'normal'] for i in reversed(range(n_test)))
    with open(work / 'boxes.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['filename', 'categoryid', 'width', 'height', 'xmin', 'ymin', 'xmax', 'ymax'])
        for j in range(n_boxes):
            i = n_test + j % (n - n_test)
            x = j % 800
            w.writerow([f'video_{i:06d}/img_{1 + j % 40:05d}.jpg', 1 + j % 2, 1920, 1080,
                        x, 100, x + 200, 500])
    return {'raw': raw, 'train': work / 'train.csv', 'sub': work / 'sample_submission.csv',
            'boxes': work / 'boxes.csv'}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--videos', type=int, default=10_000)
    p.add_argument('--boxes', type=int, default=100_000, help='rows of the boxes CSV (0: none)')
    p.add_argument('--folds', type=int, default=5)
    p.add_argument('--work-dir', type=Path, help='scratch folder (default: a temp dir)')
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix='podium-bench-prep-', dir=args.work_dir))
    try:
        t0 = time.perf_counter()
        inputs = write_inputs(work, args.videos, args.boxes)
        t_setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        records = load_frame_records(inputs['raw'])
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        prepare_action(inputs['train'], inputs['raw'], work / 'lists', folds=args.folds,
                       oversample={'fall_down': 2, 'ride_kick': 3},
                       sample_submission=inputs['sub'],
                       boxes_csv=inputs['boxes'] if args.boxes else None,
                       det_classes=['person', 'kickboard'])
        t_prep = time.perf_counter() - t0
        print(f'{args.videos} videos, {args.boxes} boxes, {args.folds} folds')
        print('| step | seconds |\n| --- | --- |')
        print(f'| write synthetic inputs (setup) | {t_setup:.2f} |')
        print(f'| load_frame_records ({len(records)} records) | {t_load:.2f} |')
        print(f'| prepare_action (lists, oversampling, test list, COCO) | {t_prep:.2f} |')
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
