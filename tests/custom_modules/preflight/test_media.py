"""custom_modules.preflight.media: cheap probes of every video and the frames still to extract."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from custom_modules.data_prep.frame_extraction import extract_videos
from custom_modules.data_prep.frame_records import ExtractOptions
from custom_modules.preflight.media import (
    BYTES_PER_PIXEL,
    VideoProbe,
    frames_to_extract,
    probe_one,
    probe_videos,
)
from custom_modules.utils.validation import Problems


def garbage(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'\x00not a video\xff' * 64)
    return path


def write_mkv(path: Path, frames: int = 20, size: tuple[int, int] = (64, 48)) -> Path:
    """A Matroska video: its container declares no frame count, only a duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('mpeg4', rate=10)
        stream.width, stream.height, stream.pix_fmt = *size, 'yuv420p'
        for i in range(frames):
            image = np.full((size[1], size[0], 3), i * 10, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format='rgb24')))
        container.mux(stream.encode())
    return path


def test_probe_reads_the_declared_frames_and_size(tmp_path, make_video):
    video = make_video(tmp_path / 'clip.mp4', n=12, size=(64, 48), fps=10.0)
    probe = probe_one(video)
    assert isinstance(probe, VideoProbe)
    assert (probe.path, probe.width, probe.height, probe.declared_frames) == (video, 64, 48, 12)
    assert probe.fps == pytest.approx(10.0) and probe.expected_frames == 12


def test_a_container_without_a_frame_count_is_estimated_from_its_duration(tmp_path):
    probe = probe_one(write_mkv(tmp_path / 'clip.mkv', frames=20))
    assert isinstance(probe, VideoProbe)
    assert probe.declared_frames == 0  # MKV declares none
    assert probe.expected_frames == 20  # 2.0 s x 10 fps


def test_unreadable_media_say_why(tmp_path, bad_videos):
    assert probe_one(bad_videos['empty']) == 'empty file (0 bytes)'
    for name in ('text', 'noframes'):
        assert probe_one(bad_videos[name]).startswith('unreadable video ('), name
    assert probe_one(garbage(tmp_path / 'x.mp4')).startswith('unreadable video (InvalidData')
    assert probe_one(tmp_path / 'absent.mp4').startswith('unreadable video (FileNotFoundError')


def test_probe_videos_reports_every_bad_file_and_keeps_going(tmp_path, make_video, bad_videos):
    good = [make_video(tmp_path / 'v' / f'ok{i}.mp4', n=3, seed=i) for i in range(3)]
    bad = [bad_videos['empty'], garbage(tmp_path / 'v' / 'junk.mp4'), bad_videos['text']]
    videos = [good[0], bad[0], good[1], bad[1], bad[2], good[2]]
    problems, ticks = Problems(), []
    probes = probe_videos(videos, problems, workers=2, progress=ticks.append)
    assert list(probes) == good  # in the given order
    assert [p.file for p in problems.items] == [str(v) for v in bad]
    assert all(p.line is None and p.message.endswith('; replace or remove the file')
               for p in problems.items)
    assert problems.items[0].message.startswith('empty file (0 bytes)')
    assert ticks == [1] * 6


def test_frames_to_extract_skips_completed_videos(tmp_path, make_video):
    done = make_video(tmp_path / 'v' / 'done.mp4', n=4, size=(32, 24))
    todo = make_video(tmp_path / 'v' / 'todo.mp4', n=12, size=(64, 48))
    raw = tmp_path / 'rawframes'
    report = extract_videos([done], raw, workers=1, progress=False)
    assert report.ok
    probes = {v: probe_one(v) for v in (done, todo)}
    default = ExtractOptions()
    assert frames_to_extract(probes, raw, default) == (1, int(12 * 64 * 48 * 0.35))
    assert BYTES_PER_PIXEL['jpg'] == 0.35
    # other options: the extracted frames do not count as done, both videos would be written
    small = ExtractOptions(short_side=24)  # 64x48 -> 32x24; 32x24 stays
    assert frames_to_extract(probes, raw, small) == (2, int((12 * 32 * 24 + 4 * 32 * 24) * 0.35))
    assert frames_to_extract({todo: probes[todo]}, raw, ExtractOptions(ext='png')) == (
        1, int(12 * 64 * 48 * BYTES_PER_PIXEL['png']))


def test_frame_sampling_scales_the_estimate(tmp_path):
    probe = VideoProbe(tmp_path / 'v.mp4', 100, 50, declared_frames=40, fps=20.0)
    probes = {probe.path: probe}
    per_frame = 100 * 50 * 0.35
    assert frames_to_extract(probes, tmp_path, ExtractOptions(every_n=4)) == (
        1, int(10 * per_frame))
    assert frames_to_extract(probes, tmp_path, ExtractOptions(fps=5)) == (1, int(10 * per_frame))
    assert frames_to_extract(probes, tmp_path, ExtractOptions(fps=50)) == (1, int(40 * per_frame))
    undeclared = VideoProbe(tmp_path / 'w.mkv', 100, 50, declared_frames=0, fps=20.0,
                            duration=3.0)
    assert frames_to_extract({undeclared.path: undeclared}, tmp_path, ExtractOptions()) == (
        1, int(60 * per_frame))  # 3 s x 20 fps, not 1 frame
