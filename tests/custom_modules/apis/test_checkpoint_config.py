"""custom_modules.apis.checkpoint_config and the predictors without a config: the checkpoint's own
config read as data (never executed), under the trust policy; --width/--height on its Resize."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from custom_modules.apis import FramePredictor
from custom_modules.apis.checkpoint_config import (
    NoCheckpointConfig,
    config_from_checkpoint,
    parse_config_text,
)
from custom_modules.apis.frame_predictor import resize_to
from custom_modules.apis.predictor import ConfigError
from custom_modules.compat import UntrustedCheckpointError
from tests.conftest import CreatesFileWhenUnpickled
from tests.predictor_fixtures import CRASH_CONFIG


def test_pretty_text_reads_back_as_the_same_config():
    from mmengine.config import Config

    cfg = Config.fromfile(str(CRASH_CONFIG))
    assert parse_config_text(cfg.pretty_text) == cfg.to_dict()
    assert parse_config_text("a = -1\nb = {'x.y': (1, )}\nc = dict(d=[None, True, 2.5])") == {
        'a': -1, 'b': {'x.y': (1,)}, 'c': {'d': [None, True, 2.5]}}


@pytest.mark.parametrize('text, where', [
    ("a = 1\nimport os", "line 2: only `name = value` lines are read, got 'import os'"),
    ("a = __import__('os').system('touch {m}')", "line 1: \"__import__('os').system"),
    ("a = open('{m}', 'w')", "line 1: \"open('"),
    ('a = dict(**b)', "line 1: 'dict(**b)' is not a literal"),
    ('a.b = 1', "line 1: only `name = value` lines are read, got 'a.b = 1'"),
    ('a = [i for i in range(3)]', 'is not a literal'),
    ('a = (', 'line 1: '),
])
def test_anything_but_literals_is_refused_and_never_runs(text, where, tmp_path):
    marker = tmp_path / 'ran'
    with pytest.raises(ValueError) as error:
        parse_config_text(text.replace('{m}', str(marker)))
    assert where.replace('{m}', str(marker)) in str(error.value)
    assert not marker.exists()


def test_checkpoint_without_a_usable_config_says_to_pass_one(tmp_path):
    for ckpt in ({'state_dict': {}}, {'meta': {}}, {'meta': {'cfg': ''}}, {'meta': 'x'}):
        with pytest.raises(NoCheckpointConfig, match=r'm\.pth keeps no config .* --config CONFIG'):
            config_from_checkpoint(ckpt, 'm.pth')
    with pytest.raises(NoCheckpointConfig, match=r'm\.pth: its config \(meta.cfg\) is not plain '
                       r"data \(line 2: 'x\(\)' is not a literal\): pass .* --config CONFIG"):
        config_from_checkpoint({'meta': {'cfg': 'a = 1\nb = x()'}}, 'm.pth')
    with pytest.raises(NoCheckpointConfig, match='filename is reserved'):
        config_from_checkpoint({'meta': {'cfg': "filename = 'x'"}}, 'm.pth')
    cfg = config_from_checkpoint({'meta': {'cfg': 'a = dict(b=1)'}}, 'm.pth', {'a.c': 2})
    assert cfg.to_dict() == {'a': {'b': 1, 'c': 2}}


def test_frame_predictor_from_the_checkpoint_alone(crash_checkpoint, crash_checkpoint_with_config):
    own = FramePredictor(None, crash_checkpoint_with_config, device='cpu')
    given = FramePredictor(CRASH_CONFIG, crash_checkpoint, device='cpu')
    frame = np.random.default_rng(0).integers(0, 255, (48, 80, 3), dtype=np.uint8)
    batch = np.stack([own.preprocess(frame)])
    assert batch.shape == (1, 3, 64, 64)
    np.testing.assert_allclose(own.predict(batch), given.predict(batch))
    with pytest.raises(NoCheckpointConfig, match='tiny.pth keeps no config'):
        FramePredictor(None, crash_checkpoint, device='cpu')


def test_reading_the_config_stays_under_the_trust_policy(crash_checkpoint_with_config, tmp_path):
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    state = torch.load(crash_checkpoint_with_config, weights_only=True)
    state['meta']['evil'] = CreatesFileWhenUnpickled(str(marker))
    torch.save(state, evil, pickle_protocol=pickle.DEFAULT_PROTOCOL)
    with pytest.raises(UntrustedCheckpointError, match='Refusing to unpickle'):
        FramePredictor(None, evil, device='cpu')
    assert not marker.exists()
    FramePredictor(None, evil, device='cpu', trust=[evil])  # the user's explicit opt-in
    assert marker.exists()


def test_width_and_height_replace_the_test_resize(crash_checkpoint):
    steps = [dict(type='Resize', scale=(64, 64), keep_ratio=True, scale_factor=None),
             dict(type='PackInputs')]
    assert resize_to(steps, 32, 40)[0] == dict(type='Resize', scale=(32, 40), keep_ratio=False)
    assert resize_to(steps, height=40)[0]['scale'] == (64, 40)  # the other side is kept
    assert resize_to([dict(type='mmpretrain.Resize', scale=50)], width=20)[0]['scale'] == (20, 50)
    assert resize_to(steps) is steps and steps[0]['scale'] == (64, 64)  # nothing given: as is
    with pytest.raises(ConfigError, match=r"has 0 Resize steps: \['PackInputs'\]"):
        resize_to(steps[1:], 32, 40)
    with pytest.raises(ConfigError, match='has 2 Resize steps'):
        resize_to([steps[0], steps[0]], 32, 40)
    with pytest.raises(ConfigError, match='no scale .* give both --width and --height'):
        resize_to([dict(type='Resize', scale_factor=0.5)], width=32)

    predictor = FramePredictor(CRASH_CONFIG, crash_checkpoint, device='cpu', width=32, height=40)
    frame = np.zeros((48, 80, 3), dtype=np.uint8)
    assert predictor.preprocess(frame).shape == (3, 40, 32)
