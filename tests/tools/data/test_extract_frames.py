"""tools/data/extract_frames.py: exit codes, --skip-bad, and resuming after a kill -9."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from custom_modules.data_prep.frame_records import PARTIAL_DIR, RECORD_NAME, load_frame_records
from custom_modules.utils.cli import run_cli
from tools.data.extract_frames import main

REPO = Path(__file__).resolve().parents[3]


def frame_files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name != RECORD_NAME)


@pytest.mark.slow
def test_kill_9_mid_video_then_resume(tmp_path, make_video):
    video = make_video(tmp_path / 'long.mp4', n=400, size=(320, 240))
    root = tmp_path / 'raw'
    cmd = [sys.executable, str(REPO / 'tools/data/extract_frames.py'), '--video', str(video),
           '--output-root', str(root), '--workers', '1', '--ext', 'png', '--no-progress']
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90  # the start imports custom_modules (seconds on a busy machine)
    partial = root / PARTIAL_DIR
    while time.time() < deadline:
        written = list(partial.glob('*/img_*.png')) if partial.is_dir() else []
        if len(written) >= 5 or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert proc.poll() is None, 'extraction finished before it could be killed'
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (root / 'long').exists() and load_frame_records(root) == {}
    assert main(['--video', str(video), '--output-root', str(root), '--workers', '1',
                 '--ext', 'png', '--no-progress']) == 0
    assert load_frame_records(root)['long'].total_frames == 400
    assert len(frame_files(root / 'long')) == 400
    assert not any((root / PARTIAL_DIR).iterdir())


def test_cli_exit_codes_and_skip_bad(tmp_path, bad_videos, capsys):
    videos = bad_videos
    args = ['--dir', str(tmp_path / 'in'), '--output-root', str(tmp_path / 'raw'),
            '--workers', '1', '--no-progress']
    assert main(args) == 1
    assert 'empty file' in capsys.readouterr().err
    assert main(args + ['--skip-bad']) == 0
    report = tmp_path / 'reports' / 'good.json'
    assert main(['--video', str(videos['good']), '--out-dir', str(tmp_path / 'raw'),
                 '--no-progress', '--report', str(report)]) == 0
    assert videos['good'].stem in report.read_text()  # the report lands where --report says
    assert run_cli(main, args + ['--fps', '0']) == 2  # bad options: one message, exit 2
    assert 'fps must be > 0' in capsys.readouterr().err
    assert run_cli(main, ['--dir', str(tmp_path / 'nowhere'), '--out-dir', 'x']) == 2
