"""crash_lists with a partial video (real extraction): label rows for its declared frames keep the
decoded frames' rows and drop the rest with a warning; other counts stay errors."""
import pytest

from custom_modules.data_prep.crash_lists import prepare_crash
from custom_modules.data_prep.frame_extraction import extract_videos
from custom_modules.utils.validation import DataError
from tests.partial_media import make_partial_video


def labels_csv(path, write_csv, n, crash_at, base=0):
    types = ['before crush' if i < crash_at else 'crush moment' if i == crash_at else
             'after crush' for i in range(n)]
    return write_csv(path, ['frame', 'type'], [[i + base, t] for i, t in enumerate(types)])


@pytest.fixture
def extracted(tmp_path, make_video):
    """`part` declares 20 frames and decodes 8; `full` has 6; both extracted to tmp/raw."""
    videos = [make_partial_video(tmp_path / 'in' / 'part.mp4', declared=20, keep=8),
              make_video(tmp_path / 'in' / 'full.mp4', n=6)]
    report = extract_videos(videos, tmp_path / 'raw', workers=1, progress=False)
    assert [r.status for r in report.results] == ['partial', 'done']
    return tmp_path / 'raw'


def test_rows_of_undecoded_frames_are_dropped_with_a_warning(tmp_path, extracted, write_csv,
                                                             capsys):
    labels = tmp_path / 'labels'
    labels_csv(labels / 'part.csv', write_csv, 20, crash_at=3, base=1)  # rows for all declared
    labels_csv(labels / 'full.csv', write_csv, 6, crash_at=2)
    frames = prepare_crash(labels, extracted, tmp_path / 'out', folds=2).frames
    part = frames[frames.video == 'part']
    assert part.frame_id.tolist() == list(range(1, 9))
    assert part.frame_path.tolist()[-1] == 'part/img_00008.jpg'
    assert part.target.tolist() == [0, 0, 0, 1, 0, 0, 0, 0]
    assert len(frames[frames.video == 'full']) == 6
    out = capsys.readouterr().out
    assert ('part.csv: the video is partial (decoded 8 of 20 declared frames): dropped the 12 '
            'label rows of frames 9..20, kept 8') in out


def test_partial_video_row_counts_outside_decoded_to_declared_are_errors(tmp_path, extracted,
                                                                         write_csv):
    labels = tmp_path / 'labels'
    labels_csv(labels / 'full.csv', write_csv, 7, crash_at=2)  # a complete video: exact count
    labels_csv(labels / 'part.csv', write_csv, 21, crash_at=3)  # more rows than it declares
    with pytest.raises(DataError) as err:
        prepare_crash(labels, extracted, tmp_path / 'out', folds=2)
    msg = str(err.value)
    assert 'full.csv: 7 rows but the video has 6 extracted frames' in msg
    assert 'part.csv: 21 rows but the video has 8 extracted frames' in msg
    labels_csv(labels / 'part.csv', write_csv, 5, crash_at=3)  # fewer than decoded
    labels_csv(labels / 'full.csv', write_csv, 6, crash_at=2)
    with pytest.raises(DataError, match='part.csv: 5 rows but the video has 8'):
        prepare_crash(labels, extracted, tmp_path / 'out', folds=2)
    assert not (tmp_path / 'out').exists()
