"""tools/data/extract_frames.py with a partial video: exit 0 and a count, --strict exits 2."""
import json

from custom_modules.data_prep.frame_records import REPORT_NAME, load_frame_records
from tests.partial_media import make_partial_video
from tools.data.extract_frames import main


def test_partial_video_exits_0_unless_strict(tmp_path, make_video, capsys):
    part = make_partial_video(tmp_path / 'in' / 'part.mp4', declared=30, keep=11)
    make_video(tmp_path / 'in' / 'good.mp4', n=4)
    root = tmp_path / 'raw'
    args = ['--dir', str(tmp_path / 'in'), '--output-root', str(root), '--workers', '1',
            '--no-progress']
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f'PARTIAL {part}: decoded 11 of 30 declared frames; kept 11' in out
    assert '1 extracted, 0 already complete, 1 partial, 0 failed; 15 frames' in out
    assert load_frame_records(root)['part'].total_frames == 11
    assert json.loads((root / REPORT_NAME).read_text())['counts']['partial'] == 1

    assert main(args + ['--strict']) == 2  # a rerun: skipped, still partial, now an error
    captured = capsys.readouterr()
    assert '0 extracted, 1 already complete, 1 partial, 0 failed' in captured.out
    assert '--strict: 1 partial videos' in captured.err
    assert f'{part}: decoded 11 of 30 declared frames; kept 11' in captured.err
    assert load_frame_records(root)['part'].total_frames == 11  # the frames are kept all the same
