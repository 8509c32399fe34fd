"""Generate podium's tiny, deterministic, SYNTHETIC action dataset (the ``demo`` solution's data).

It has the action solution's layout, so the whole flow (frames, folds, TSM, Faster R-CNN,
ensemble, rules, submission) runs on a CPU in minutes::

    data/demo/
        train.csv                      video_filename,class
        sample_submission.csv          video_filename,class (placeholder class; shuffled order)
        test_labels_synthetic.csv      video_filename,class: hidden test labels, for scoring
        classes.txt                    action classes, one per line, in label order (sorted)
        box_classes.txt                detector classes, one per line: categoryid = line number
        train_boxes.csv                filename,categoryid,width,height,xmin,ymin,xmax,ymax
        train/synthetic_train_000.mp4  96x96, 8 fps, 16-24 frames (a count varying per video)
        test/synthetic_test_000.mp4
        README_synthetic.txt
        synthetic_demo_manifest.json   generator version, seed, files; written last

Each video shows one large shape moving in a straight line over a noisy grey background; the
class is the direction of motion. To be learnable by a tiny TSM in a couple of CPU minutes the
signal is deliberately redundant: ``move_left``/``move_right``/``move_up`` show a ``ball`` in a
red/green/blue hue respectively, while ``move_down`` shows a ``box`` (square) in any of the three
hues. So colour alone confuses ``move_down`` with the others, and a detector that counts ``box``
frames can fix that: the demo's detector rule. Every frame of every train video has one exact
box (from the drawn mask) in ``train_boxes.csv``: ``filename`` is ``<video stem>/img_00001.jpg``
(the frame path under rawframes/, numbered from 1), ``categoryid`` the 1-based line of the class
in ``box_classes.txt`` (1 = ``ball``, 2 = ``box``; prepare_action's default ``det_id_start=1``),
``width,height`` the frame size, and ``xmin,ymin,xmax,ymax`` pixel edges
(0 <= xmin < xmax <= width: the box covers columns xmin..xmax-1).

Idempotent and never half-written (:mod:`custom_modules.demo_data.synthetic_folder`); the command
line is ``tools/data/make_demo_data.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from custom_modules.utils.video import write_video

from .synthetic_folder import SyntheticFolder, csv_text, write_texts

GENERATOR_VERSION = 1
MANIFEST_NAME = 'synthetic_demo_manifest.json'
CLASSES = ('move_down', 'move_left', 'move_right', 'move_up')  # sorted: label order = file order
BOX_CLASSES = ('ball', 'box')
DIRECTIONS = {'move_down': (0, 1), 'move_left': (-1, 0), 'move_right': (1, 0), 'move_up': (0, -1)}
HUES = {'red': (40, 40, 220), 'green': (40, 200, 40), 'blue': (220, 80, 40)}  # BGR
CLASS_HUE = {'move_left': 'red', 'move_right': 'green', 'move_up': 'blue'}  # move_down: any


@dataclass(frozen=True)
class DemoParams:
    """Everything that shapes the dataset; a change makes an existing folder stale."""

    size: int = 96  # frame width = height
    fps: int = 8
    min_frames: int = 16
    max_frames: int = 24
    train_per_class: int = 12
    test_per_class: int = 6
    min_half: int = 11  # shape half-size in px (ball radius); the shape spans 2*half+1 px
    max_half: int = 15
    min_travel: int = 36  # px moved from the first to the last frame
    max_travel: int = 50
    noise: float = 6.0  # std of per-pixel Gaussian noise


@dataclass(frozen=True)
class VideoSpec:
    """One synthetic video: its class and everything needed to draw it."""

    name: str
    label: str
    shape: str  # 'ball' or 'box'
    colour: tuple[int, int, int]  # BGR
    half: int
    start: tuple[float, float]  # (x, y) centre in the first frame
    step: tuple[float, float]  # (dx, dy) per frame
    n_frames: int
    background: int  # grey level
    seed: int  # noise


def _spec(name: str, label: str, rng: np.random.Generator, p: DemoParams) -> VideoSpec:
    shape = 'box' if label == 'move_down' else 'ball'
    hue = CLASS_HUE.get(label) or str(rng.choice(sorted(HUES)))
    colour = tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in HUES[hue])
    half = int(rng.integers(p.min_half, p.max_half + 1))
    n = int(rng.integers(p.min_frames, p.max_frames + 1))
    travel = float(rng.uniform(p.min_travel, p.max_travel))
    lo, hi = half, p.size - 1 - half  # centre range keeping the shape inside the frame
    dx, dy = DIRECTIONS[label]
    along = rng.uniform(lo, hi - travel)  # start on the motion axis; the end stays inside too
    if dx + dy < 0:
        along = lo + hi - along  # moving towards 0: mirror the start
    across = float(rng.uniform(lo, hi))
    start = (along, across) if dx else (across, along)
    step = (dx * travel / (n - 1), dy * travel / (n - 1))
    return VideoSpec(name, label, shape, colour, half, start, step, n,
                     int(rng.integers(90, 150)), int(rng.integers(2**31)))


def make_specs(seed: int, p: DemoParams = DemoParams()) -> tuple[list[VideoSpec], list[VideoSpec]]:
    """Train and test specs, classes shuffled so that names say nothing about labels."""
    rng = np.random.default_rng(seed)
    out = []
    for split, per_class in (('train', p.train_per_class), ('test', p.test_per_class)):
        labels = [c for c in CLASSES for _ in range(per_class)]
        labels = [labels[i] for i in rng.permutation(len(labels))]
        out.append([_spec(f'synthetic_{split}_{i:03d}.mp4', lab, rng, p)
                    for i, lab in enumerate(labels)])
    return out[0], out[1]


def _draw(img: np.ndarray, spec: VideoSpec, centre: tuple[int, int], colour) -> None:
    cx, cy = centre
    if spec.shape == 'ball':
        cv2.circle(img, (cx, cy), spec.half, colour, -1)
    else:
        cv2.rectangle(img, (cx - spec.half, cy - spec.half), (cx + spec.half, cy + spec.half),
                      colour, -1)


def render_video(spec: VideoSpec, size: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Draw a video.

    Returns:
        frames uint8 [T, H, W, 3] (BGR) and exact boxes int [T, 4] (xmin, ymin, xmax, ymax),
        the tight box of the drawn shape's pixels with exclusive max edges.
    """
    rng = np.random.default_rng(spec.seed)
    frames = np.empty((spec.n_frames, size, size, 3), np.uint8)
    boxes = np.empty((spec.n_frames, 4), np.int64)
    for t in range(spec.n_frames):
        centre = (int(round(spec.start[0] + t * spec.step[0])),
                  int(round(spec.start[1] + t * spec.step[1])))
        img = np.full((size, size, 3), spec.background, np.uint8)
        _draw(img, spec, centre, spec.colour)
        noisy = img.astype(np.float32) + rng.normal(0.0, noise, img.shape)
        frames[t] = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
        mask = np.zeros((size, size), np.uint8)
        _draw(mask, spec, centre, 255)
        ys, xs = np.nonzero(mask)
        boxes[t] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    return frames, boxes


README = """SYNTHETIC demo data generated by podium's tools/data/make_demo_data.py (seed {seed},
generator version {version}). It is not real footage: every video is a drawn shape moving over
noise, made to prove podium's action flow end to end on a CPU in minutes.

Classes (direction of motion): {classes}.
Cues: move_left/move_right/move_up show a ball in a red/green/blue hue; move_down shows a box
(square) in any of those hues, so colour alone confuses move_down with the others.
train_boxes.csv: one exact box per train frame, categoryid 1 = ball, 2 = box (the line in
box_classes.txt); filename is
<video stem>/img_00001.jpg (frames numbered from 1); xmax/ymax are exclusive pixel edges.
test_labels_synthetic.csv holds the hidden test labels, for scoring the demo's submission.
Suggested rule: dict(type='detector_count', det_class='box', min_score=0.5, min_count=8,
when_pred_in=['move_left', 'move_right', 'move_up'], then='move_down').
"""


def _build(stage: Path, seed: int, p: DemoParams) -> None:
    """Writes the whole dataset into ``stage`` (the manifest is added by the folder)."""
    train, test = make_specs(seed, p)
    box_rows = []
    for split, specs in (('train', train), ('test', test)):
        (stage / split).mkdir()
        for spec in specs:
            frames, boxes = render_video(spec, p.size, p.noise)
            write_video(stage / split / spec.name, frames, p.fps)
            if split == 'train':
                stem = Path(spec.name).stem
                cat = BOX_CLASSES.index(spec.shape) + 1
                box_rows += [[f'{stem}/img_{t + 1:05d}.jpg', cat, p.size, p.size, *map(int, b)]
                             for t, b in enumerate(boxes)]
    header = ['video_filename', 'class']
    order = np.random.default_rng([seed, 1]).permutation(len(test))  # not sorted, not by class
    texts = {
        'train.csv': csv_text(header, [[s.name, s.label] for s in train]),
        'sample_submission.csv': csv_text(header, [[test[i].name, CLASSES[0]] for i in order]),
        'test_labels_synthetic.csv': csv_text(header, [[test[i].name, test[i].label]
                                                        for i in order]),
        'classes.txt': '\n'.join(CLASSES) + '\n',
        'box_classes.txt': '\n'.join(BOX_CLASSES) + '\n',
        'train_boxes.csv': csv_text(['filename', 'categoryid', 'width', 'height', 'xmin', 'ymin',
                                      'xmax', 'ymax'], box_rows),
        'README_synthetic.txt': README.format(seed=seed, version=GENERATOR_VERSION,
                                              classes=', '.join(CLASSES)),
    }
    write_texts(stage, texts)


FOLDER = SyntheticFolder('make_demo_data.py', MANIFEST_NAME, GENERATOR_VERSION, _build, DemoParams,
                         'data/demo')
generate, stale_reason = FOLDER.generate, FOLDER.stale_reason
