"""Bad-input cases for the preflight tests: each breaks a copy of a demo dataset one way.

A case is ``(name, break_data(root), manifest overrides, expected message patterns)``; the
patterns name the file and, where there is one, the row.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Case:
    name: str
    breaks: Callable[[Path], None]
    expect: list[str]
    overrides: dict = field(default_factory=dict)


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding='utf-8')


def edit_line(path: Path, line: int, text: str) -> None:
    """Replace 1-based ``line`` of a text file."""
    lines = path.read_text(encoding='utf-8').splitlines()
    lines[line - 1] = text
    write(path, '\n'.join(lines) + '\n')


def append(path: Path, text: str) -> None:
    with open(path, 'a', encoding='utf-8') as f:
        f.write(text + '\n')


def garbage(path: Path) -> None:
    path.write_bytes(b'\x00not a video or an image\xff' * 64)


def first(folder: Path, pattern: str) -> Path:
    return sorted(folder.glob(pattern))[0]


def line_of(path: Path, start: str) -> int:
    """1-based number of the first line starting with ``start``."""
    for i, text in enumerate(path.read_text(encoding='utf-8').splitlines(), start=1):
        if text.startswith(start):
            return i
    raise AssertionError(f'{start!r} not in {path}')


def action_all_at_once(root: Path) -> None:
    """Five faults in one dataset: the preflight names all of them."""
    train = root / 'train.csv'
    edit_line(train, 2, 'synthetic_train_000.mp4,NaN')
    edit_line(train, 3, 'synthetic_train_001.mp4,jump')
    append(train, 'synthetic_train_002.mp4,move_up')  # a duplicate id
    append(train, 'no_such_video.mp4,move_up')
    garbage(root / 'train' / 'synthetic_train_005.mp4')


ACTION = [
    Case('empty train.csv', lambda r: write(r / 'train.csv', ''),
         [r'train\.csv: empty file \(0 bytes\)']),
    Case('header-only train.csv', lambda r: write(r / 'train.csv', 'video_filename,class\n'),
         [r'train\.csv: no rows']),
    Case('missing column', lambda r: edit_line(r / 'train.csv', 1, 'video,class'),
         [r"train\.csv:1: missing column\(s\) \['video_filename'\]"]),
    Case('header-only sample_submission',
         lambda r: write(r / 'sample_submission.csv', 'video_filename,class\n'),
         [r'sample_submission\.csv: no rows']),
    Case('NaN, unknown label, duplicate id, id without video, unreadable video',
         action_all_at_once,
         [r"train\.csv:2: missing value \(NaN\) in column 'class'",
          r"train\.csv:3: class 'jump' is not in the class list",
          r"train\.csv:\d+: duplicate video_filename 'synthetic_train_002\.mp4' "
          r'\(first on line 4\)',
          r"train\.csv:\d+: no video 'no_such_video\.mp4'",
          r'synthetic_train_005\.mp4: unreadable video']),
    Case('a typo becomes a rare class without a class list (issue 17)',
         lambda r: edit_line(r / 'train.csv', 5, 'synthetic_train_003.mp4,move_diagonal'),
         [r"train\.csv:5: class 'move_diagonal' has 1 sample\(s\), fewer than the 4 folds"],
         overrides={'inputs': {'classes': None}}),
    Case('rule naming a class the data does not have', lambda r: None,
         [r"postprocess_rules\[0\]: .*then 'fall_down' is not a known class"],
         overrides={'postprocess_rules': [dict(
             type='detector_count', det_class='box', min_score=0.7, min_count=8,
             when_pred_in=['move_left'], then='fall_down')]}),
]


def crash_all_at_once(root: Path) -> None:
    labels = first(root / 'train_labels', '*.csv')
    edit_line(labels, 2, '0,NaN')
    edit_line(labels, 3, '1,exploding')
    garbage(first(root / 'train', '*.mp4').with_name(
        sorted((root / 'train').glob('*.mp4'))[1].name))


def crash_header(root: Path) -> str:
    return first(root / 'train_labels', '*.csv').read_text().splitlines()[0]


CRASH = [
    Case('empty label CSV', lambda r: write(first(r / 'train_labels', '*.csv'), ''),
         [r'train_labels/\S+\.csv: empty file \(0 bytes\)']),
    Case('header-only label CSV',
         lambda r: write(first(r / 'train_labels', '*.csv'), crash_header(r) + '\n'),
         [r'train_labels/\S+\.csv: no rows']),
    Case('missing column', lambda r: edit_line(first(r / 'train_labels', '*.csv'), 1, 'a,b'),
         [r'train_labels/\S+\.csv:1: need a frame index column']),
    Case('NaN and unknown type, unreadable video', crash_all_at_once,
         [r"train_labels/\S+\.csv:2: unknown type 'NaN'",
          r"train_labels/\S+\.csv:3: unknown type 'exploding'",
          r'train/\S+\.mp4: unreadable video']),
    Case('repeated frame index', lambda r: append(first(r / 'train_labels', '*.csv'),
                                                   '1,before crush'),
         [r'train_labels/\S+\.csv:\d+: frame index repeated']),
    Case('video without labels', lambda r: first(r / 'train_labels', '*.csv').unlink(),
         [r'train_labels: no label CSV for 1 train video']),
]


def sports_all_at_once(root: Path) -> None:
    train = root / 'train.csv'
    edit_line(train, 2, edit_cell(train, 2, 'nan'))
    edit_line(train, 3, edit_cell(train, 3, 'curling'))
    append(train, train.read_text().splitlines()[4])  # a duplicate id
    garbage(first(root / 'train', train.read_text().splitlines()[6].split(',')[0] + '.*'))


def sports_damaged(root: Path) -> None:
    """Two images cut short (their headers still read) and a typo of a class: all named."""
    train = root / 'train.csv'
    for line in (4, 5):
        image = first(root / 'train', train.read_text().splitlines()[line - 1].split(',')[0] + '.*')
        image.write_bytes(image.read_bytes()[:-200])
    edit_line(train, 6, edit_cell(train, 6, 'h_strips'))


def edit_cell(path: Path, line: int, label: str) -> str:
    image_id = path.read_text().splitlines()[line - 1].split(',')[0]
    return f'{image_id},{label}'


SPORTS = [
    Case('empty train.csv', lambda r: write(r / 'train.csv', ''),
         [r'train\.csv: empty file \(0 bytes\)']),
    Case('header-only test.csv', lambda r: write(r / 'test.csv', 'image_id\n'),
         [r'test\.csv: no rows']),
    Case('missing column', lambda r: edit_line(r / 'train.csv', 1, 'image,label'),
         [r"train\.csv:1: missing column\(s\) \['image_id'\]"]),
    Case('NaN and unknown label, duplicate id, unreadable image', sports_all_at_once,
         [r"train\.csv:2: missing value \(NaN\) in column 'label'",
          r"train\.csv:3: label 'curling' is not in the class list",
          r'train\.csv:\d+: duplicate image_id',
          r'train\.csv:7: .*unreadable image']),
    Case('truncated images and a typo of a class (issue 17)', sports_damaged,
         [r'train\.csv:4: .*unreadable image \(image file is truncated',
          r'train\.csv:5: .*unreadable image',
          r"train\.csv:6: class 'h_strips' has 1 sample\(s\).*did you mean 'h_stripes'"],
         overrides={'inputs': {'classes': None}}),
]


def localize_all_at_once(root: Path) -> None:
    boxes = sorted((root / 'train').glob('*.txt'))
    write(boxes[0], '')
    write(boxes[1], 'nan 1 2 3 4\n')
    write(boxes[2], 'square 1 2\n')
    write(boxes[3], 'triangle 1 2 30 40\n')
    garbage(boxes[4].with_suffix('.jpg'))
    write(boxes[5], 'square nan 2 30 40\n')
    shutil.copy(boxes[6].with_suffix('.jpg'), boxes[6].with_suffix('.png'))  # a duplicate id


LOCALIZE = [
    Case('empty, NaN, short and unknown box files, unreadable image, duplicate id',
         localize_all_at_once,
         [r'train/synthetic_train_000\.txt: expected one line "cls xmin ymin xmax ymax", '
          r'found 0',
          r"train/synthetic_train_001\.txt:1: missing class \('nan'\)",
          r'train/synthetic_train_002\.txt:1: expected 5 values',
          r"train/synthetic_train_003\.txt:1: class 'triangle' is not in the class list",
          r'train/synthetic_train_004\.jpg: .*unreadable image',
          r'train/synthetic_train_005\.txt:1: box values are not finite numbers',
          r"train/synthetic_train_006\.png: two images with id 'synthetic_train_006'"]),
    Case('image without its box file', lambda r: first(r / 'train', '*.txt').unlink(),
         [r'train/synthetic_train_000\.(jpg|txt)']),
]
