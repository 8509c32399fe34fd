"""custom_modules/data_prep/frame_*.py: numbering, records, pixels, resume, bad videos."""
import json
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from custom_modules.data_prep.frame_extraction import extract_videos
from custom_modules.data_prep.frame_records import (
    PARTIAL_DIR,
    RECORD_NAME,
    REPORT_NAME,
    ExtractOptions,
    load_frame_records,
)


def decoded_count(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def frame_files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name != RECORD_NAME)


def test_frames_numbered_from_one_with_record(tmp_path, make_video):
    video = make_video(tmp_path / 'v' / 'clip_a.mp4', n=12)
    report = extract_videos([video], tmp_path / 'raw', workers=1, progress=False)
    assert report.ok and report.frames_written == 12
    names = frame_files(tmp_path / 'raw' / 'clip_a')
    assert names == [f'img_{i:05d}.jpg' for i in range(1, 13)]
    rec = load_frame_records(tmp_path / 'raw')['clip_a']
    assert (rec.total_frames, rec.source_frames, rec.start_index) == (12, 12, 1)
    assert (rec.width, rec.height, rec.fps) == (64, 48, 10.0)
    assert rec.total_frames == decoded_count(video)
    assert rec.frame_path(1) == 'clip_a/img_00001.jpg'
    assert rec.filename_tmpl.format(12) == names[-1]
    saved = json.loads((tmp_path / 'raw' / REPORT_NAME).read_text())
    assert saved['counts'] == {'done': 1, 'skipped': 0, 'partial': 0, 'failed': 0}


@pytest.mark.parametrize('fourcc,ext', [('mp4v', '.mp4'), ('MJPG', '.avi')])
def test_pixels_match_source(tmp_path, make_video, make_frames, fourcc, ext):
    # mp4v decodes to yuv420p (OpenCV conversion), MJPG to yuvj420p (FFmpeg conversion).
    video = make_video(tmp_path / f'c{ext}', n=3, size=(64, 48), fourcc=fourcc)
    extract_videos([video], tmp_path / 'raw', ExtractOptions(ext='png'), workers=1,
                   progress=False)
    got = cv2.imread(str(tmp_path / 'raw' / 'c' / 'img_00002.png')).astype(float)
    want = make_frames(3)[1].astype(float)
    assert np.abs(got - want).mean() < 10  # lossy codec, but same picture and channel order


@pytest.mark.parametrize('opts,size', [(ExtractOptions(size=(21, 11), ext='png'), (21, 11)),
                                       (ExtractOptions(short_side=25, ext='png'), (33, 25)),
                                       (ExtractOptions(size=(96, 72), ext='png'), (96, 72))])
def test_resized_pixels_match_source_odd_and_upscaled(tmp_path, make_video, make_frames, opts,
                                                      size):
    # Resizing happens in YUV (FFmpeg) with odd sides padded for OpenCV's I420 conversion.
    video = make_video(tmp_path / 'odd.mp4', n=3, size=(64, 48))
    extract_videos([video], tmp_path / 'raw', opts, workers=1, progress=False)
    got = cv2.imread(str(tmp_path / 'raw' / 'odd' / 'img_00002.png'))
    assert got.shape == (size[1], size[0], 3)
    want = cv2.resize(make_frames(3)[1], size, interpolation=cv2.INTER_AREA)
    diff = np.abs(got.astype(float) - want)
    assert diff.mean() < 10  # lossy mp4v and a different area filter, but the same picture
    assert diff[:, -1].mean() < 10 and diff[-1].mean() < 10  # padded edges are real pixels


def test_reextraction_gives_identical_files(tmp_path, make_video, dir_bytes):
    videos = [make_video(tmp_path / 'v' / f'v{i}.mp4', n=10, seed=i) for i in range(3)]
    extract_videos(videos, tmp_path / 'one', workers=1, progress=False)
    extract_videos(videos, tmp_path / 'two', workers=2, progress=False)  # the process pool
    one, two = dir_bytes(tmp_path / 'one'), dir_bytes(tmp_path / 'two')
    one.pop(REPORT_NAME)
    two.pop(REPORT_NAME)
    assert len(one) == 3 * 11 and one == two


def test_resize_and_sampling(tmp_path, make_video):
    video = make_video(tmp_path / 'r.mp4', n=12, size=(64, 48))
    cases = {
        'short': ExtractOptions(short_side=24),
        'size': ExtractOptions(size=(20, 10), ext='png'),
        'every': ExtractOptions(every_n=3),
        'fps': ExtractOptions(fps=5),
    }
    for name, opts in cases.items():
        extract_videos([video], tmp_path / name, opts, workers=1, progress=False)
    recs = {name: load_frame_records(tmp_path / name)['r'] for name in cases}
    assert ExtractOptions(size=[20, 10]).size == (20, 10)  # a list from a manifest
    assert (recs['short'].width, recs['short'].height) == (32, 24)
    img = cv2.imread(str(tmp_path / 'size' / 'r' / 'img_00001.png'))
    assert img.shape == (10, 20, 3)
    assert recs['every'].total_frames == 4 and recs['every'].source_indices == [0, 3, 6, 9]
    assert recs['every'].fps == pytest.approx(10 / 3, rel=1e-4)
    assert recs['fps'].total_frames == 6 and recs['fps'].source_indices == [0, 2, 4, 6, 8, 10]
    assert len(frame_files(tmp_path / 'fps' / 'r')) == 6


def test_complete_video_is_skipped_and_changed_options_redone(tmp_path, make_video):
    video = make_video(tmp_path / 's.mp4', n=6)
    first = extract_videos([video], tmp_path / 'raw', workers=1, progress=False)
    again = extract_videos([video], tmp_path / 'raw', workers=1, progress=False)
    assert [r.status for r in first.results] == ['done']
    assert [r.status for r in again.results] == ['skipped'] and again.results[0].frames == 6
    changed = extract_videos([video], tmp_path / 'raw', ExtractOptions(quality=50), workers=1,
                             progress=False)
    assert [r.status for r in changed.results] == ['done']
    assert load_frame_records(tmp_path / 'raw')['s'].options['quality'] == 50


def test_leftovers_of_a_killed_run_are_redone(tmp_path, make_video):
    video = make_video(tmp_path / 'k.mp4', n=8)
    root = tmp_path / 'raw'
    # What a kill -9 leaves: a temp folder of a dead process, and a folder without its record.
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    stale = root / PARTIAL_DIR / f'k.{dead.pid}.tmp'
    stale.mkdir(parents=True)
    (stale / 'img_00001.jpg').write_bytes(b'half')
    (root / 'k').mkdir()
    (root / 'k' / 'img_00001.jpg').write_bytes(b'half')
    assert load_frame_records(root) == {}  # never counted complete
    report = extract_videos([video], root, workers=1, progress=False)
    assert [r.status for r in report.results] == ['done']
    assert not stale.exists()
    assert len(frame_files(root / 'k')) == 8
    assert cv2.imread(str(root / 'k' / 'img_00001.jpg')) is not None


def test_bad_videos_are_reported_and_the_rest_extracted(tmp_path, bad_videos):
    videos = bad_videos
    report = extract_videos(videos.values(), tmp_path / 'raw', workers=2, progress=False)
    reasons = {Path(r.video).stem: r.reason for r in report.failed}
    assert set(reasons) == {'empty', 'text', 'noframes'}
    assert 'empty file' in reasons['empty']
    assert 'cannot open' in reasons['text']
    assert 'no video stream' in reasons['noframes'] or 'no decodable' in reasons['noframes']
    # the cut AVI declares 30 frames and decodes 13: kept, as partial (test_frame_partial.py)
    partial = [(Path(r.video).stem, r.decoded, r.declared) for r in report.partial]
    assert partial == [('cut', 13, 30)]
    assert sorted(load_frame_records(tmp_path / 'raw')) == ['cut', 'good']
    saved = json.loads((tmp_path / 'raw' / REPORT_NAME).read_text())
    assert {Path(f['video']).stem for f in saved['failed']} == set(reasons)
    assert not list((tmp_path / 'raw' / PARTIAL_DIR).iterdir())  # nothing half-extracted left


def test_duplicate_stems_both_fail(tmp_path, make_video):
    a = make_video(tmp_path / 'a' / 'same.mp4', n=3)
    b = make_video(tmp_path / 'b' / 'same.mp4', n=3)
    report = extract_videos([a, b], tmp_path / 'raw', workers=1, progress=False)
    assert len(report.failed) == 2 and 'same stem' in report.failed[0].reason
    assert load_frame_records(tmp_path / 'raw') == {}


def test_real_clip_frame_count_matches_decoders(tmp_path, real_clip):
    report = extract_videos([real_clip], tmp_path / 'raw', workers=2, progress=False)
    rec = load_frame_records(tmp_path / 'raw')[real_clip.stem]
    cap = cv2.VideoCapture(str(real_clip))
    opencv_count = 0
    while cap.read()[0]:
        opencv_count += 1
    assert report.ok and rec.total_frames == decoded_count(real_clip) == opencv_count == 250
    assert (rec.width, rec.height) == (640, 272)
    assert len(frame_files(tmp_path / 'raw' / real_clip.stem)) == 250
