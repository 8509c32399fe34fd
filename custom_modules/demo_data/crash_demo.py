"""Generate podium's tiny, deterministic, SYNTHETIC dashcam-like crash dataset (``crash_demo``).

It has the crash solution's layout, so the whole flow (frames, folds, training, per-frame video
inference, fold averaging, metrics) runs on a CPU in about a minute::

    data/crash_demo/
        train/synthetic_crash_train_000.mp4     112x64, 10 fps, 20-28 frames
        train_labels/synthetic_crash_train_000.csv   frame,type (0-based frame, one row a frame)
        test/synthetic_crash_test_000.mp4
        test_labels/synthetic_crash_test_000.csv     hidden test labels, for scoring
        README_synthetic.txt
        synthetic_crash_demo_manifest.json      generator version, seed, files; written last

Every clip is drawn, not filmed: a sky, a road with lane dashes rushing towards the camera and a
car ahead. In a crash clip the car grows as it is approached; the "crush moment" frames (2-4 of
them) shake the camera and flash the picture bright orange, and the "after crush" frames are a
still, tilted, darker picture. Clips without a crash are all "before crush". The crush moment
is therefore visually learnable by a tiny CNN at 64 px.

Idempotent and never half-written (:mod:`custom_modules.demo_data.synthetic_folder`); the command
line is ``tools/data/make_crash_demo.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from custom_modules.utils.video import write_video

from .synthetic_folder import SyntheticFolder, csv_text

GENERATOR_VERSION = 1
MANIFEST_NAME = 'synthetic_crash_demo_manifest.json'


@dataclass(frozen=True)
class CrashDemoParams:
    """Everything that shapes the dataset; a change makes an existing folder stale."""

    width: int = 112
    height: int = 64
    fps: int = 10
    min_frames: int = 20
    max_frames: int = 28
    train_crash: int = 8
    train_normal: int = 4
    test_crash: int = 4
    test_normal: int = 2
    noise: float = 5.0


@dataclass(frozen=True)
class ClipSpec:
    """One synthetic clip."""

    name: str
    n_frames: int
    crash_at: int | None  # first crush-moment frame (0-based), None: no crash
    crash_len: int
    car_colour: tuple[int, int, int]
    lane_speed: float
    seed: int

    def types(self) -> list[str]:
        if self.crash_at is None:
            return ['before crush'] * self.n_frames
        end = self.crash_at + self.crash_len
        return ['before crush' if t < self.crash_at else 'crush moment' if t < end
                else 'after crush' for t in range(self.n_frames)]


def make_specs(seed: int, p: CrashDemoParams) -> dict[str, list[ClipSpec]]:
    """Train and test clip specs; crash and normal clips shuffled so names say nothing."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, crash, normal in (('train', p.train_crash, p.train_normal),
                                 ('test', p.test_crash, p.test_normal)):
        kinds = [True] * crash + [False] * normal
        kinds = [kinds[i] for i in rng.permutation(len(kinds))]
        specs = []
        for i, is_crash in enumerate(kinds):
            n = int(rng.integers(p.min_frames, p.max_frames + 1))
            crash_len = int(rng.integers(2, 5))
            crash_at = int(rng.integers(n // 2, n - crash_len - 2)) if is_crash else None
            colour = tuple(int(c) for c in rng.integers(20, 120, size=3))
            specs.append(ClipSpec(f'synthetic_crash_{split}_{i:03d}.mp4', n, crash_at, crash_len,
                                  colour, float(rng.uniform(2.0, 4.0)),
                                  int(rng.integers(2**31))))
        out[split] = specs
    return out


def _scene(p: CrashDemoParams, t: int, spec: ClipSpec, car_scale: float,
           lane_phase: float) -> np.ndarray:
    w, h = p.width, p.height
    horizon = int(h * 0.4)
    img = np.empty((h, w, 3), np.uint8)
    sky = np.linspace(235, 170, horizon)[:, None]  # bright to pale blue, BGR
    img[:horizon] = np.stack([np.full_like(sky, 230), sky, sky * 0.8], axis=-1).astype(np.uint8)
    img[horizon:] = (60, 120, 60)  # grass
    road = np.array([[w // 2 - 4, horizon], [w // 2 + 4, horizon], [w - 1, h - 1], [0, h - 1]])
    cv2.fillPoly(img, [road], (90, 90, 90))
    for k in range(6):  # lane dashes, perspective-spaced, moving down with the phase
        f = ((k + lane_phase) / 6.0) % 1.0
        y0 = int(horizon + (h - horizon) * f ** 2)
        y1 = int(horizon + (h - horizon) * min(1.0, (f + 0.07) ** 2))
        cv2.line(img, (w // 2, y0), (w // 2, y1), (235, 235, 235), max(1, int(3 * f)))
    car_w = int(10 + 60 * car_scale)
    car_h = int(car_w * 0.6)
    cx, base = w // 2, int(horizon + 6 + (h - horizon - 8) * car_scale * 0.8)
    cv2.rectangle(img, (cx - car_w // 2, base - car_h), (cx + car_w // 2, base),
                  spec.car_colour, -1)
    cv2.rectangle(img, (cx - car_w // 2 + 2, base - car_h // 3), (cx - car_w // 2 + 5, base - 2),
                  (40, 40, 220), -1)  # tail lights
    cv2.rectangle(img, (cx + car_w // 2 - 5, base - car_h // 3), (cx + car_w // 2 - 2, base - 2),
                  (40, 40, 220), -1)
    return img


def render_clip(spec: ClipSpec, p: CrashDemoParams) -> np.ndarray:
    """The clip's frames, uint8 ``[T, H, W, 3]`` BGR."""
    rng = np.random.default_rng(spec.seed)
    frames = np.empty((spec.n_frames, p.height, p.width, 3), np.uint8)
    types = spec.types()
    for t in range(spec.n_frames):
        kind = types[t]
        if spec.crash_at is None:
            scale = 0.25 + 0.05 * np.sin(t / 3.0)
        else:
            scale = min(1.0, 0.2 + 0.8 * (t / max(1, spec.crash_at)) ** 2)
        phase = spec.lane_speed * min(t, spec.crash_at or t) / 6.0
        img = _scene(p, t, spec, scale, phase).astype(np.float32)
        if kind == 'crush moment':  # shake + bright orange flash
            dx, dy = rng.integers(-8, 9, size=2)
            m = np.float32([[1, 0, dx], [0, 1, dy]])
            img = cv2.warpAffine(img, m, (p.width, p.height), borderMode=cv2.BORDER_REFLECT)
            img = 0.35 * img + 0.65 * np.float32([80, 190, 255])
        elif kind == 'after crush':  # still, tilted, dark
            m = cv2.getRotationMatrix2D((p.width / 2, p.height / 2), 8.0, 1.1)
            img = cv2.warpAffine(img, m, (p.width, p.height), borderMode=cv2.BORDER_REFLECT) * 0.55
        img += rng.normal(0.0, p.noise, img.shape)
        frames[t] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return frames


README = """SYNTHETIC crash demo data generated by podium's tools/data/make_crash_demo.py (seed
{seed}, generator version {version}). It is not real footage: every clip is a drawn road scene,
made to prove podium's crash flow end to end on a CPU in about a minute.

Labels (train_labels/, test_labels/): one CSV per clip, `frame,type`, frame counted from 0,
type in {{before crush, crush moment, after crush}}. Crash clips: the car ahead grows, the crush
moment frames shake and flash bright orange, the after-crush frames are still, tilted, dark.
Clips without a crash are all `before crush`. test_labels/ are the hidden truth, for scoring.
"""


def _build(stage: Path, seed: int, p: CrashDemoParams) -> None:
    """Writes the clips, their labels and the README into ``stage``."""
    for split, specs in make_specs(seed, p).items():
        (stage / split).mkdir()
        (stage / f'{split}_labels').mkdir()
        for spec in specs:
            write_video(stage / split / spec.name, render_clip(spec, p), p.fps)
            rows = [[t, kind] for t, kind in enumerate(spec.types())]
            (stage / f'{split}_labels' / f'{Path(spec.name).stem}.csv').write_text(
                csv_text(['frame', 'type'], rows), encoding='utf-8')
    (stage / 'README_synthetic.txt').write_text(
        README.format(seed=seed, version=GENERATOR_VERSION), encoding='utf-8')


FOLDER = SyntheticFolder('make_crash_demo.py', MANIFEST_NAME, GENERATOR_VERSION, _build,
                         CrashDemoParams, 'data/crash_demo')
generate, stale_reason = FOLDER.generate, FOLDER.stale_reason
