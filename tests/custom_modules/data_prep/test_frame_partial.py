"""Partial media in frame extraction: a video that decodes fewer frames than it declares keeps the
frames that decode and is reported `partial`, now and on every later run; none decoded fails."""
import json

import cv2

from custom_modules.data_prep.frame_extraction import extract_videos
from custom_modules.data_prep.frame_records import (
    RECORD_NAME,
    REPORT_NAME,
    ExtractOptions,
    load_frame_records,
    missing_frames,
)
from custom_modules.data_prep.frame_writer import extract_video
from tests.partial_media import make_corrupt_video, make_partial_video


def frame_files(d):
    return sorted(p.name for p in d.iterdir() if p.name != RECORD_NAME)


def test_opencv_agrees_the_fixture_is_partial(tmp_path):
    video = make_partial_video(tmp_path / 'p.mp4', declared=40, keep=17)
    cap = cv2.VideoCapture(str(video))
    declared, decoded = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0
    while cap.read()[0]:
        decoded += 1
    assert (declared, decoded) == (40, 17)


def test_partial_video_keeps_its_frames_and_is_reported(tmp_path, make_video, capsys):
    part = make_partial_video(tmp_path / 'in' / 'part.mp4', declared=40, keep=17)
    good = make_video(tmp_path / 'in' / 'good.mp4', n=5)
    root = tmp_path / 'raw'
    report = extract_videos([part, good], root, workers=1, progress=False)
    assert report.ok and [r.status for r in report.results] == ['partial', 'done']
    r = report.results[0]
    assert (r.decoded, r.declared, r.frames, r.reused) == (17, 40, 17, False)
    assert r.reason == 'decoded 17 of 40 declared frames; kept 17'
    assert report.frames_written == 17 + 5
    assert frame_files(root / 'part') == [f'img_{i:05d}.jpg' for i in range(1, 18)]
    rec = load_frame_records(root)['part']
    assert (rec.total_frames, rec.source_frames, rec.declared_frames) == (17, 17, 40)
    assert rec.missing_frames == 23 and load_frame_records(root)['good'].missing_frames == 0
    saved = json.loads((root / REPORT_NAME).read_text())
    assert saved['counts'] == {'done': 1, 'skipped': 0, 'partial': 1, 'failed': 0}
    assert saved['partial'] == [{'video': str(part), 'decoded': 17, 'declared': 40, 'kept': 17,
                                 'earlier_run': False}]
    out = capsys.readouterr().out
    assert f'PARTIAL {part}: decoded 17 of 40 declared frames; kept 17' in out
    assert 'good.mp4' not in out  # no line for a complete video

    again = extract_videos([part, good], root, workers=1, progress=False)  # resumes: skips both
    assert [r.status for r in again.results] == ['partial', 'skipped']
    assert again.results[0].reused and again.frames_written == 0 and again.ok
    assert (again.results[0].decoded, again.results[0].declared) == (17, 40)
    assert json.loads((root / REPORT_NAME).read_text())['partial'][0]['earlier_run'] is True
    assert f'PARTIAL {part}: decoded 17 of 40 declared frames' in capsys.readouterr().out
    assert extract_videos([part], root, workers=1, progress=False, strict=True).ok is False


def test_sampled_partial_video_counts_kept_frames(tmp_path):
    part = make_partial_video(tmp_path / 'p.mp4', declared=30, keep=12)
    result = extract_video(part, tmp_path / 'raw', ExtractOptions(every_n=3))
    assert (result.status, result.decoded, result.declared, result.frames) == ('partial', 12, 30, 4)
    assert result.reason == 'decoded 12 of 30 declared frames; kept 4'


def test_zero_decodable_frames_is_a_failure(tmp_path):
    # cut before its first frame: the index declares 20, no frame (nor its size) is there
    empty = make_partial_video(tmp_path / 'none.mp4', declared=20, keep=0)
    report = extract_videos([empty], tmp_path / 'raw', workers=1, progress=False)
    assert not report.ok and not report.partial
    assert report.failed[0].reason in ('video stream has no frame size',
                                       'no decodable frames (it declares 20)')
    assert load_frame_records(tmp_path / 'raw') == {}


def test_a_frame_or_two_short_of_the_declared_count_is_complete():
    # containers with edit lists declare a frame or two more than decode: not partial
    assert missing_frames(99, 100) == 0 and missing_frames(443, 444) == 0
    assert missing_frames(68, 444) == 376 and missing_frames(5, 0) == 0  # 0 = unknown


def test_decode_error_mid_video_keeps_the_frames_before_it(tmp_path):
    # frame 8's bytes are zeros: FFmpeg raises there. The 8 before are kept (frame i stays
    # source frame i: nothing after the error is taken, so per-frame labels still line up).
    video = make_corrupt_video(tmp_path / 'c.mp4', declared=20, bad=8)
    result = extract_video(video, tmp_path / 'raw')
    assert (result.status, result.decoded, result.declared, result.frames) == ('partial', 8, 20, 8)
    assert len(frame_files(tmp_path / 'raw' / 'c')) == 8
    first = make_corrupt_video(tmp_path / 'first.mp4', declared=20, bad=0)  # no frame before it
    failed = extract_video(first, tmp_path / 'raw')
    assert failed.status == 'failed' and 'decode error after 0 frames' in failed.reason
