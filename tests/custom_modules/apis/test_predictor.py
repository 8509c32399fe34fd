"""custom_modules.apis.predictor: class names and head size, checkpoint checks, trust, scope."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from custom_modules.apis import (
    CheckpointMismatch,
    CheckpointNotFound,
    FramePredictor,
    ImageLoadError,
    ImagePredictor,
    NoClassNames,
    read_checkpoint_classes,
)
from custom_modules.compat import UntrustedCheckpointError
from custom_modules.utils.errors import PodiumError
from custom_modules.utils.validation import read_class_list
from tests.conftest import CreatesFileWhenUnpickled
from tests.predictor_fixtures import CRASH_CONFIG, IMAGE_CLASSES, IMAGE_CONFIG


def test_image_predictor_takes_classes_and_head_size_from_the_checkpoint(image_data):
    predictor = ImagePredictor(IMAGE_CONFIG, image_data / 'model.pth', device='cpu')
    assert predictor.classes == IMAGE_CLASSES
    assert predictor.model.head.num_classes == 3  # the config says 1000: sized to the names
    assert not predictor.model.training and predictor.device == torch.device('cpu')
    probs = predictor.predict([predictor.load(image_data / 'img' / 'a.jpg')])
    assert probs.shape == (1, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    features = predictor.features([predictor.load(image_data / 'img' / 'd.png')])
    assert features.ndim == 2 and features.shape[0] == 1


def test_class_names_from_a_file_or_the_checkpoint(image_data, tmp_path):
    assert read_checkpoint_classes(image_data / 'model.pth') == IMAGE_CLASSES
    names = tmp_path / 'classes.txt'
    names.write_text('x\ny\nz\n')
    given = ImagePredictor(IMAGE_CONFIG, image_data / 'model.pth', classes=read_class_list(names))
    assert given.classes == ['x', 'y', 'z']  # a class file wins over the checkpoint's names
    bare = tmp_path / 'bare.pth'
    torch.save({'state_dict': torch.load(image_data / 'model.pth')['state_dict']}, bare)
    assert read_checkpoint_classes(bare) is None
    with pytest.raises(NoClassNames, match='bare.pth has no class names'):
        ImagePredictor(IMAGE_CONFIG, bare, device='cpu')
    # the names given win, and a classifier of another size is refused, naming the file
    assert ImagePredictor(IMAGE_CONFIG, bare, classes=['p', 'q', 'r']).classes == ['p', 'q', 'r']
    with pytest.raises(CheckpointMismatch, match='bare.pth does not fit the model'):
        ImagePredictor(IMAGE_CONFIG, bare, classes=['p', 'q'])


def test_missing_checkpoint_and_unreadable_image_are_user_errors(image_data, tmp_path):
    with pytest.raises(CheckpointNotFound, match='checkpoint not found'):
        FramePredictor(CRASH_CONFIG, tmp_path / 'missing.pth', device='cpu')
    assert issubclass(CheckpointNotFound, FileNotFoundError)
    predictor = ImagePredictor(IMAGE_CONFIG, image_data / 'model.pth', device='cpu')
    (tmp_path / 'broken.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ImageLoadError, match='broken.jpg: cannot read'):
        predictor.load(tmp_path / 'broken.jpg')
    assert issubclass(ImageLoadError, PodiumError)


@pytest.mark.parametrize('kind', ['frame', 'image'])
def test_checkpoint_goes_through_the_trust_policy(kind, image_data, crash_checkpoint, tmp_path):
    """A file that needs arbitrary unpickling is refused (its payload never runs) unless trusted."""
    config, source = (CRASH_CONFIG, crash_checkpoint) if kind == 'frame' else \
        (IMAGE_CONFIG, image_data / 'model.pth')
    build = FramePredictor if kind == 'frame' else ImagePredictor
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    state = torch.load(source, weights_only=True)
    state.setdefault('meta', {})['evil'] = CreatesFileWhenUnpickled(str(marker))
    torch.save(state, evil, pickle_protocol=pickle.DEFAULT_PROTOCOL)
    with pytest.raises(UntrustedCheckpointError, match='Refusing to unpickle'):
        build(config, evil, device='cpu')
    assert not marker.exists()
    build(config, evil, device='cpu', trust=[evil])  # the user's explicit opt-in
    assert marker.exists()


def test_frame_predictor_keeps_the_config_head(crash_checkpoint):
    predictor = FramePredictor(CRASH_CONFIG, crash_checkpoint, device='cpu')
    assert predictor.classes is None and predictor.packs
    frame = np.random.default_rng(0).integers(0, 255, (48, 80, 3), dtype=np.uint8)
    inputs = predictor.preprocess(frame)
    assert inputs.shape == (3, 64, 64) and inputs.dtype == np.uint8
    probs = predictor.predict(np.stack([inputs, inputs]))
    assert probs.shape == (2,) and ((probs >= 0) & (probs <= 1)).all()
