"""What frame extraction writes and reads back: options, the per-video record, the run report.

Frames go to `<root>/<video stem>/img_00001.jpg ...`, numbered from 1 (MMAction2's
RawframeDataset: `start_index=1`, `filename_tmpl='img_{:05}.jpg'`). Each finished video also gets
`<root>/<stem>/meta.json`, its :class:`FrameRecord` (frame count, fps, size): the list builders
read frame counts from there instead of trusting hard-coded numbers.

Partial media: a video that decodes fewer frames than its container declares keeps the frames
that decode; its record holds both counts (`source_frames`, `declared_frames`) and every report
of it, this run's or a later one's, says `partial`.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from custom_modules.utils.errors import PodiumError

RECORD_NAME = 'meta.json'
REPORT_NAME = 'extract_report.json'
PARTIAL_DIR = '.partial'
RECORD_FORMAT = 1
# A container may declare a few more frames than decode (edit lists): not partial below this.
PARTIAL_TOLERANCE = 0.02


def missing_frames(decoded: int, declared: int) -> int:
    """Declared frames that did not decode, or 0 within the tolerance (or when unknown: 0)."""
    if not declared or decoded >= declared * (1 - PARTIAL_TOLERANCE) - 1:
        return 0
    return declared - decoded


def partial_note(decoded: int, declared: int, kept: int) -> str:
    """The one-line account of a partial video, as every report prints it."""
    return f'decoded {decoded} of {declared} declared frames; kept {kept}'


class BadOptions(PodiumError, ValueError):
    """Extraction options that contradict each other or are out of range."""


@dataclass(frozen=True)
class ExtractOptions:
    """How frames are sampled, resized and encoded.

    Args:
        fps: Keep frames at this rate (by timestamp); None keeps all frames.
        every_n: Keep every n-th decoded frame (1 = all). Exclusive with `fps`.
        short_side: Resize so the shorter side has this many pixels (aspect kept).
        size: Resize to exactly (width, height). Exclusive with `short_side`.
        ext: `jpg` or `png`.
        quality: JPEG quality 1-100 (OpenCV/libjpeg scale); ignored for PNG.
    """

    fps: float | None = None
    every_n: int = 1
    short_side: int | None = None
    size: tuple[int, int] | None = None
    ext: str = 'jpg'
    quality: int = 95

    def __post_init__(self) -> None:
        if self.size is not None:  # a list from JSON/YAML is fine too
            object.__setattr__(self, 'size', tuple(int(v) for v in self.size))
        if self.fps is not None and (self.fps <= 0 or self.every_n != 1):
            raise BadOptions('fps must be > 0 and cannot be combined with every_n')
        if self.every_n < 1:
            raise BadOptions('every_n must be >= 1')
        if self.short_side is not None and (self.short_side < 1 or self.size is not None):
            raise BadOptions('short_side must be >= 1 and cannot be combined with size')
        if self.size is not None and (len(self.size) != 2 or min(self.size) < 1):
            raise BadOptions('size must be (width, height) with both >= 1')
        if self.ext not in ('jpg', 'png'):
            raise BadOptions(f'ext must be jpg or png, got {self.ext!r}')
        if not 1 <= self.quality <= 100:
            raise BadOptions('quality must be in 1..100')

    @property
    def filename_tmpl(self) -> str:
        return 'img_{:05d}.' + self.ext

    def to_dict(self) -> dict:
        d = asdict(self)
        d['size'] = list(self.size) if self.size else None
        return d

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """Output (width, height) for a source of `width` x `height`."""
        if self.size is not None:
            return self.size
        if self.short_side is None:
            return width, height
        scale = self.short_side / min(width, height)
        if width <= height:
            return self.short_side, max(1, round(height * scale))
        return max(1, round(width * scale)), self.short_side


@dataclass(frozen=True)
class FrameRecord:
    """What was extracted from one video (the `meta.json` beside its frames).

    Frames are `<root>/<stem>/` + `filename_tmpl.format(i)` for i in 1..total_frames.
    """

    stem: str
    video: str
    video_bytes: int
    total_frames: int
    fps: float
    width: int
    height: int
    source_fps: float
    source_frames: int
    source_width: int
    source_height: int
    duration: float
    pix_fmt: str
    filename_tmpl: str
    start_index: int = 1
    options: dict = field(default_factory=dict)
    source_indices: list[int] | None = None  # 0-based decoded index per frame when sampled
    declared_frames: int = 0  # the container's frame count (0 = unknown); > source_frames: partial
    format: int = RECORD_FORMAT

    @classmethod
    def from_dict(cls, d: dict) -> FrameRecord:
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in names})

    @property
    def missing_frames(self) -> int:
        """Declared frames that did not decode (0: complete, see :func:`missing_frames`)."""
        return missing_frames(self.source_frames, self.declared_frames)

    def frame_path(self, index: int) -> str:
        """Path of frame `index` (1-based) relative to the rawframes root."""
        return f'{self.stem}/{self.filename_tmpl.format(index)}'


@dataclass
class VideoResult:
    """Outcome for one video: `done`, `skipped` (already complete), `partial` (fewer frames
    decode than the container declares; those are kept, `reason` says how many) or `failed`
    (with reason). `reused`: the frames are from an earlier run (`skipped`, or `partial`)."""

    video: str
    stem: str
    status: str
    reason: str = ''
    frames: int = 0
    seconds: float = 0.0
    decoded: int = 0
    declared: int = 0
    reused: bool = False


@dataclass
class ExtractionReport:
    """All outcomes of one extraction run; `strict`: partial videos are not usable (`ok`)."""

    output_root: str
    results: list[VideoResult]
    options: dict
    seconds: float = 0.0
    strict: bool = False

    def by_status(self, status: str) -> list[VideoResult]:
        return [r for r in self.results if r.status == status]

    @property
    def failed(self) -> list[VideoResult]:
        return self.by_status('failed')

    @property
    def partial(self) -> list[VideoResult]:
        return self.by_status('partial')

    @property
    def ok(self) -> bool:
        return not self.failed and not (self.strict and self.partial)

    @property
    def frames_written(self) -> int:
        return sum(r.frames for r in self.results
                   if r.status in ('done', 'partial') and not r.reused)

    def to_dict(self) -> dict:
        counts = {s: len(self.by_status(s)) for s in ('done', 'skipped', 'partial', 'failed')}
        return {
            'output_root': self.output_root,
            'options': self.options,
            'counts': counts,
            'frames_written': self.frames_written,
            'seconds': round(self.seconds, 3),
            'failed': [{'video': r.video, 'reason': r.reason} for r in self.failed],
            'partial': [{'video': r.video, 'decoded': r.decoded, 'declared': r.declared,
                         'kept': r.frames, 'earlier_run': r.reused} for r in self.partial],
            'results': [asdict(r) for r in self.results],
        }


def read_record(frame_dir: str | Path) -> FrameRecord | None:
    """The record in `frame_dir`, or None if it is missing or unreadable."""
    path = Path(frame_dir) / RECORD_NAME
    try:
        return FrameRecord.from_dict(json.loads(path.read_text(encoding='utf-8')))
    except (OSError, ValueError, TypeError):
        return None


def load_frame_records(root: str | Path,
                       stems: Iterable[str] | None = None) -> dict[str, FrameRecord]:
    """Records of every completely extracted video under `root`, keyed by video stem.

    Args:
        root: The rawframes root given to the extraction.
        stems: Only these stems (missing ones are simply absent); None reads all.
    """
    root = Path(root)
    if stems is None:
        names = [e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith('.')]
    else:
        names = list(dict.fromkeys(stems))
    records = {}
    for name in names:
        record = read_record(root / name)
        if record is not None and record.stem == name:
            records[name] = record
    return records


def completed_record(frame_dir: Path, video: Path, options: ExtractOptions) -> FrameRecord | None:
    """The record of a finished extraction of `video` made with `options` in `frame_dir`, or
    None when there is none (absent, other options, another video size, frames missing)."""
    record = read_record(frame_dir)
    if record is None or record.options != options.to_dict():
        return None
    try:
        if record.video_bytes != video.stat().st_size:
            return None
        complete = len(os.listdir(frame_dir)) == record.total_frames + 1  # frames + the record
    except OSError:
        return None
    return record if complete else None
