"""tools/infer_video.py on generated clips: a row per frame, probabilities, annotated video,
labels (metrics, mismatch errors), folders, and the test pipeline taken from the config."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import custom_modules  # noqa: F401
from custom_modules.registry import library_registry
from tests.conftest import REPO_ROOT, run_cli
from tools import infer_video as iv
from tools.data.make_demo_data import read_video, write_video

TINY = REPO_ROOT / 'configs/crash/tinyconvnet_1xb16-4e_crash-demo-frames-64px.py'


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> Path:
    """The tiny crash model's initialised weights as a plain (weights-only) checkpoint."""
    torch.manual_seed(0)
    cfg = Config.fromfile(str(TINY))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = library_registry('mmpretrain').build(cfg.model)
    model.init_weights()
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def make_clip(path: Path, n: int, seed: int = 0, size: tuple[int, int] = (80, 48)) -> Path:
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 255, (n, size[1], size[0], 3), dtype=np.uint8)
    frames[n // 2:] //= 3  # a change over time, so probabilities vary
    path.parent.mkdir(parents=True, exist_ok=True)
    write_video(path, frames, 10)
    return path


def make_labels(path: Path, n: int, base: int = 0, crash: tuple[int, int] = (3, 5)) -> Path:
    types = ['before crush' if i < crash[0] else 'crush moment' if i < crash[1]
             else 'after crush' for i in range(n)]
    pd.DataFrame({'frame': range(base, base + n), 'type': types}).to_csv(path, index=False)
    return path


def test_one_video_csv_annotated_video_and_metrics(tmp_path, checkpoint):
    clip = make_clip(tmp_path / 'clip.mp4', 21)
    labels = make_labels(tmp_path / 'clip_labels.csv', 21, base=1)
    out = run_cli(['python', str(REPO_ROOT / 'tools/infer_video.py'), '--config', str(TINY),
                   '--checkpoint', str(checkpoint), '--input-video', str(clip),
                   '--output-csv', str(tmp_path / 'out' / 'clip.csv'), '--input-csv', str(labels),
                   '--output-video', str(tmp_path / 'out' / 'clip_annotated.mp4'),
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


def test_api_matches_bare_forward_with_the_config_test_pipeline(tmp_path, checkpoint):
    clip = make_clip(tmp_path / 'clip.mp4', 9, seed=2)
    predictor = iv.FramePredictor.from_config(TINY, checkpoint, 'cpu')
    rows = []
    result = iv.infer_video(predictor, clip, batch_size=4, progress=False, frame_base=1,
                            write_rows=lambda first, probs: rows.append((first, probs)))
    assert [first for first, _ in rows] == [1, 5, 9]  # batches of 4, in order, 1-based
    # the same probabilities as the config's own test pipeline + model on decoded frames
    frames = read_video(clip)
    resized = [cv2.resize(f, (64, 64), interpolation=cv2.INTER_LINEAR) for f in frames]
    batch = torch.from_numpy(np.stack(resized)).permute(0, 3, 1, 2).contiguous()
    np.testing.assert_allclose(result.probs, predictor.predict(batch), atol=1e-5)
    np.testing.assert_allclose(np.concatenate([p for _, p in rows]), result.probs)


def main(args: list[str], capsys) -> tuple[int, str]:
    """The command line in this process (the subprocess path is tested once above)."""
    code = iv.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_label_mismatch_and_bad_rows_are_clear_errors(tmp_path, checkpoint, capsys):
    clip = make_clip(tmp_path / 'clip.mp4', 12)
    tool = ['--config', TINY, '--checkpoint', checkpoint, '--input-video', clip,
            '--device', 'cpu']
    too_many = make_labels(tmp_path / 'long.csv', 14)
    code, out = main([*tool, '--output-csv', tmp_path / 'a.csv', '--input-csv', too_many,
                      '--output-video', tmp_path / 'a.mp4'], capsys)
    assert code == 1
    assert f'{too_many}:14: 14 label rows but {clip} decodes to 12 frames' in out
    assert not (tmp_path / 'a.csv').exists() and not (tmp_path / 'a.mp4').exists()
    assert not list(tmp_path.glob('.*tmp*'))

    predictor = iv.FramePredictor.from_config(TINY, checkpoint, 'cpu')
    short = make_labels(tmp_path / 'short.csv', 10)
    with pytest.raises(iv.DataError, match=r'short\.csv: 10 label rows but .* 12 frames'):
        iv.infer_video(predictor, clip, labels_csv=short, progress=False)
    bad = tmp_path / 'bad.csv'
    bad.write_text('frame,type\n0,before crush\n1,crashed\n' + ''.join(
        f'{i},after crush\n' for i in range(2, 12)))
    with pytest.raises(iv.DataError, match=r"bad\.csv:3: unknown type 'crashed'"):
        iv.infer_video(predictor, clip, labels_csv=bad, progress=False)


def test_folder_of_videos_combined_and_per_video(tmp_path, checkpoint, capsys):
    videos = tmp_path / 'videos'
    make_clip(videos / 'a.mp4', 7, seed=1)
    make_clip(videos / 'b.mp4', 5, seed=2)
    labels = tmp_path / 'labels'
    labels.mkdir()
    make_labels(labels / 'a.csv', 7)
    make_labels(labels / 'b.csv', 5, crash=(1, 2))
    base = ['--config', TINY, '--checkpoint', checkpoint, '--input-video', videos,
            '--device', 'cpu', '--no-progress']
    code, out = main([*base, '--output-csv', tmp_path / 'all.csv', '--input-csv', labels,
                      '--output-video', tmp_path / 'annotated'], capsys)
    assert code == 0, out[-3000:]
    combined = pd.read_csv(tmp_path / 'all.csv')
    assert list(combined.columns) == ['video', 'frame_id', 'pred']
    assert combined.groupby('video').size().to_dict() == {'a': 7, 'b': 5}
    assert 'all videos: AUC' in out
    assert len(read_video(tmp_path / 'annotated' / 'b.mp4')) == 5

    code, out = main([*base, '--output-csv', tmp_path / 'per_video'], capsys)
    assert code == 0, out[-3000:]
    assert sorted(p.name for p in (tmp_path / 'per_video').iterdir()) == ['a.csv', 'b.csv']
    assert len(pd.read_csv(tmp_path / 'per_video' / 'a.csv')) == 7

    (labels / 'b.csv').unlink()
    code, out = main([*base, '--output-csv', tmp_path / 'x.csv', '--input-csv', labels], capsys)
    assert code == 2 and f"no labels for 1 video(s): ['{labels / 'b.csv'}']" in out
    assert not (tmp_path / 'x.csv').exists()


def test_unreadable_video_and_missing_checkpoint(tmp_path, checkpoint):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video at all')
    predictor = iv.FramePredictor.from_config(TINY, checkpoint, 'cpu')
    with pytest.raises(iv.InferenceError, match='bad.mp4'):
        iv.infer_video(predictor, bad, progress=False)
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        iv.FramePredictor.from_config(TINY, tmp_path / 'missing.pth', 'cpu')


def test_checkpoint_goes_through_the_trust_policy(tmp_path):
    """A file that needs arbitrary unpickling is refused; its payload never runs."""
    from custom_modules.compat import UntrustedCheckpointError
    from tests.conftest import CreatesFileWhenUnpickled

    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': CreatesFileWhenUnpickled(str(marker))}, evil)
    with pytest.raises(UntrustedCheckpointError, match='Refusing to unpickle'):
        iv.FramePredictor.from_config(TINY, evil, 'cpu')
    assert not marker.exists()
