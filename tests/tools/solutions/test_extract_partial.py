"""The action and crash flows' frame extraction with a partial video: usable, one warning line
each, the count in the stage metrics; a video without any frame still stops the flow."""
from __future__ import annotations

from pathlib import Path

import pytest

from custom_modules.utils.errors import InputError
from tests.data_fixtures import make_video
from tests.partial_media import make_partial_video
from tools.solutions import action, crash
from tools.solutions.manifest import Manifest


def manifest(root: Path, flow: str) -> Manifest:
    return Manifest(name=flow, path=root / f'{flow}.py', flow=flow, data_root=root,
                    work_dir=root / 'work', folds=[0], runs=[], raw={'extract': {'workers': 1}})


@pytest.mark.parametrize('flow', ['action', 'crash'])
def test_partial_video_is_usable_and_said(tmp_path, flow, capsys):
    module = {'action': action, 'crash': crash}[flow]
    m = manifest(tmp_path, flow)
    paths = action.ActionPaths(m) if flow == 'action' else crash.CrashPaths(m)
    part = make_partial_video(paths.train_videos / 'part.mp4', declared=30, keep=12)
    make_video(paths.train_videos / 'good.mp4', n=4)
    paths.test_videos.mkdir(parents=True, exist_ok=True)
    assert module.extract(m, paths) == {'videos': 2, 'partial': 1}
    line = f'PARTIAL {part}: decoded 12 of 30 declared frames; kept 12'
    assert line in capsys.readouterr().out.splitlines()
    assert module.extract(m, paths) == {'videos': 2, 'partial': 1}  # a rerun still says it
    assert line in capsys.readouterr().out.splitlines()
    assert len(list((paths.rawframes / 'part').glob('img_*.jpg'))) == 12

    make_partial_video(paths.train_videos / 'none.mp4', declared=10, keep=0)
    with pytest.raises(InputError, match='1 videos could not be decoded'):
        module.extract(m, paths)
