"""tools/infer_video.py: the command line over one video or a folder, its outputs and flags,
clear errors and no partial output (the library: tests/custom_modules/apis)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from custom_modules.utils.cli import run_cli as run_main
from custom_modules.utils.errors import PodiumError
from custom_modules.utils.video import read_video
from tests.conftest import REPO_ROOT, run_cli
from tests.predictor_fixtures import CRASH_CONFIG, make_clip, make_labels
from tools import infer_video as iv


def main(args: list, capsys) -> tuple[int, str]:
    """The command line in this process (the subprocess path is tested once below)."""
    code = run_main(iv.main, [str(a) for a in args], prog='infer_video')
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.slow
def test_one_video_csv_annotated_video_and_metrics(tmp_path, crash_checkpoint):
    clip = make_clip(tmp_path / 'clip.mp4', 21)
    labels = make_labels(tmp_path / 'clip_labels.csv', 21, base=1)
    out = run_cli(['python', str(REPO_ROOT / 'tools/infer_video.py'), str(CRASH_CONFIG),
                   str(crash_checkpoint), '--input-video', str(clip),
                   '--out', str(tmp_path / 'out' / 'clip.csv'), '--input-csv', str(labels),
                   '--out-video', str(tmp_path / 'out' / 'clip_annotated.mp4'),
                   '--batch-size', '4', '--device', 'cpu'], timeout=120)
    assert out.returncode == 0, out.stdout[-3000:]
    df = pd.read_csv(tmp_path / 'out' / 'clip.csv')
    assert list(df.columns) == ['frame_id', 'pred']
    assert df['frame_id'].tolist() == list(range(21))  # every frame, 0-based by default
    assert df['pred'].between(0, 1).all() and df['pred'].nunique() > 1
    annotated = read_video(tmp_path / 'out' / 'clip_annotated.mp4')
    assert annotated.shape == read_video(clip).shape  # same frame count and size
    assert 'AUC' in out.stdout and 'log loss' in out.stdout and '(21 frames, 2 crash' in out.stdout
    assert not list((tmp_path / 'out').glob('.*tmp*'))  # no temp files left


def test_old_flag_spellings_still_work(tmp_path, crash_checkpoint, capsys):
    clip = make_clip(tmp_path / 'clip.mp4', 5)
    code, out = main(['--config', CRASH_CONFIG, '--checkpoint', crash_checkpoint,
                      '--input-video', clip, '--output-csv', tmp_path / 'a.csv',
                      '--output-video', tmp_path / 'a.mp4', '--device', 'cpu', '--no-progress'],
                     capsys)
    assert code == 0, out[-3000:]
    assert len(pd.read_csv(tmp_path / 'a.csv')) == 5 and len(read_video(tmp_path / 'a.mp4')) == 5
    code, out = main([CRASH_CONFIG, crash_checkpoint, '--input-video', clip, '--out-dir',
                      tmp_path / 'per_video', '--device', 'cpu', '--no-progress'], capsys)
    assert code == 0 and len(pd.read_csv(tmp_path / 'per_video' / 'clip.csv')) == 5
    with pytest.raises(SystemExit):  # the config twice
        iv.parse_args([str(CRASH_CONFIG), str(crash_checkpoint), '--config', str(CRASH_CONFIG),
                       '--input-video', str(clip), '--out', 'x.csv'])


def test_label_mismatch_is_a_clear_error_and_leaves_nothing(tmp_path, crash_checkpoint, capsys):
    clip = make_clip(tmp_path / 'clip.mp4', 12)
    too_many = make_labels(tmp_path / 'long.csv', 14)
    code, out = main([CRASH_CONFIG, crash_checkpoint, '--input-video', clip, '--device', 'cpu',
                      '--out', tmp_path / 'a.csv', '--input-csv', too_many,
                      '--out-video', tmp_path / 'a.mp4'], capsys)
    assert code == 2
    assert f'{too_many}:14: 14 label rows but {clip} decodes to 12 frames' in out
    assert not (tmp_path / 'a.csv').exists() and not (tmp_path / 'a.mp4').exists()
    assert not list(tmp_path.glob('.*tmp*'))


def test_folder_of_videos_combined_and_per_video(tmp_path, crash_checkpoint, capsys):
    videos = tmp_path / 'videos'
    make_clip(videos / 'a.mp4', 7, seed=1)
    make_clip(videos / 'b.mp4', 5, seed=2)
    labels = tmp_path / 'labels'
    labels.mkdir()
    make_labels(labels / 'a.csv', 7)
    make_labels(labels / 'b.csv', 5, crash=(1, 2))
    base = [CRASH_CONFIG, crash_checkpoint, '--input-video', videos, '--device', 'cpu',
            '--no-progress']
    code, out = main([*base, '--out', tmp_path / 'all.csv', '--input-csv', labels,
                      '--out-video', tmp_path / 'annotated'], capsys)
    assert code == 0, out[-3000:]
    combined = pd.read_csv(tmp_path / 'all.csv')
    assert list(combined.columns) == ['video', 'frame_id', 'pred']
    assert combined.groupby('video').size().to_dict() == {'a': 7, 'b': 5}
    assert 'all videos: AUC' in out
    assert len(read_video(tmp_path / 'annotated' / 'b.mp4')) == 5

    for flag, folder in (('--out-dir', 'per_video'), ('--output-csv', 'old_spelling')):
        code, out = main([*base, flag, tmp_path / folder], capsys)
        assert code == 0, out[-3000:]
        assert sorted(p.name for p in (tmp_path / folder).iterdir()) == ['a.csv', 'b.csv']
        assert len(pd.read_csv(tmp_path / folder / 'a.csv')) == 7

    (labels / 'b.csv').unlink()
    code, out = main([*base, '--out', tmp_path / 'x.csv', '--input-csv', labels], capsys)
    assert code == 2 and f"no labels for 1 video(s): ['{labels / 'b.csv'}']" in out
    assert not (tmp_path / 'x.csv').exists()

    make_clip(videos / 'more' / 'a.mp4', 3, seed=3)  # a second `a`: its outputs would collide
    code, out = main([*base, '--out-dir', tmp_path / 'clash'], capsys)
    assert code == 2 and "share stems (they name the outputs): ['a']" in out
    assert not (tmp_path / 'clash').exists()


def test_unreadable_video_fails_the_run(tmp_path, crash_checkpoint, capsys):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video at all')
    code, out = main([CRASH_CONFIG, crash_checkpoint, '--input-video', bad, '--device', 'cpu',
                      '--out', tmp_path / 'bad.csv'], capsys)
    assert code == 1 and 'bad.mp4' in out and 'Traceback' not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ['bad.mp4']
    code, out = main([CRASH_CONFIG, Path(tmp_path / 'missing.pth'), '--input-video', bad,
                      '--out', tmp_path / 'x.csv'], capsys)
    assert code == 2 and 'checkpoint not found' in out


def test_origin_command_line_config_from_the_checkpoint(tmp_path, crash_checkpoint_with_config,
                                                         capsys):
    """`--input_video X --output_csv Y --model Z --output_video`: the crash origin's spelling."""
    clip = make_clip(tmp_path / 'in' / 'clip.mp4', 5)
    code, out = main(['--input_video', clip, '--output_csv', tmp_path / 'out' / 'pred.csv',
                      '--model', crash_checkpoint_with_config, '--device', 'cpu',
                      '--no-progress', '--output_video'], capsys)
    assert code == 0, out[-3000:]
    assert len(pd.read_csv(tmp_path / 'out' / 'pred.csv')) == 5
    assert len(read_video(tmp_path / 'out' / 'pred.mp4')) == 5  # <csv stem>.mp4 beside the CSV
    assert f"and {tmp_path / 'out' / 'pred.mp4'}" in out


def test_checkpoint_without_config_asks_for_one(tmp_path, crash_checkpoint, capsys):
    clip = make_clip(tmp_path / 'clip.mp4', 3)
    code, out = main([crash_checkpoint, '--input-video', clip, '--out', tmp_path / 'a.csv',
                      '--device', 'cpu'], capsys)
    assert code == 2
    assert f'{crash_checkpoint} keeps no config' in out and '--config CONFIG' in out
    assert not (tmp_path / 'a.csv').exists()
    code, out = main(['--config', CRASH_CONFIG, crash_checkpoint, '--input-video', clip,
                      '--out', tmp_path / 'a.csv', '--device', 'cpu', '--no-progress'], capsys)
    assert code == 0, out[-3000:]


def test_width_and_height_change_what_the_model_sees(tmp_path, crash_checkpoint, capsys):
    clip = make_clip(tmp_path / 'clip.mp4', 4)
    base = [CRASH_CONFIG, crash_checkpoint, '--input-video', clip, '--device', 'cpu',
            '--no-progress']
    assert main([*base, '--out', tmp_path / 'a.csv'], capsys)[0] == 0
    assert main([*base, '--out', tmp_path / 'b.csv', '--width', '40', '--height', '24'],
                capsys)[0] == 0
    default, resized = (pd.read_csv(tmp_path / f'{n}.csv')['pred'] for n in 'ab')
    assert not default.equals(resized)
    with pytest.raises(SystemExit):
        iv.parse_args([str(crash_checkpoint), '--input-video', 'v.mp4', '--out', 'x.csv',
                       '--width', '0'])


def test_output_video_without_a_value(tmp_path):
    videos = tmp_path / 'videos'
    for name in ('a', 'b'):
        make_clip(videos / f'{name}.mp4', 2)

    def planned(*argv):
        jobs, combined = iv.plan_jobs(iv.parse_args(['m.pth', '--input-video', *map(str, argv),
                                                     '--out-video']))
        return [j.output_video for j in jobs], combined

    assert planned(videos / 'a.mp4', '--out', tmp_path / 'o' / 'x.csv') == (
        [tmp_path / 'o' / 'x.mp4'], None)
    assert planned(videos / 'a.mp4', '--out-dir', tmp_path / 'd') == ([tmp_path / 'd' / 'a.mp4'],
                                                                      None)
    # a folder: beside each per-video CSV, or in a folder named after the combined CSV
    assert planned(videos, '--out-dir', tmp_path / 'd') == (
        [tmp_path / 'd' / 'a.mp4', tmp_path / 'd' / 'b.mp4'], None)
    assert planned(videos, '--out', tmp_path / 'all.csv') == (
        [tmp_path / 'all' / 'a.mp4', tmp_path / 'all' / 'b.mp4'], tmp_path / 'all.csv')
    with pytest.raises(PodiumError, match=r'would overwrite its input: .*a\.mp4'):
        planned(videos / 'a.mp4', '--out', videos / 'a.csv')
