"""Where weights come from: the manifests, the installed model zoos, and the status check."""
from __future__ import annotations

from custom_modules.checkpoints import (
    entries,
    file_status,
    find_url,
    manifest_weights,
    name_sha256_prefix,
    zoo_index,
)
from tests.zoo_server import DATA, NAME, SHA

EFFNET_B0 = 'efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth'


def test_name_sha256_prefix():
    assert name_sha256_prefix('checkpoints/resnet50-0676ba61.pth') == '0676ba61'
    assert name_sha256_prefix(EFFNET_B0) == 'a7e2a0b1'
    assert name_sha256_prefix('model_best.pth') is None


def test_zoo_index_from_the_installed_metafiles():
    index = zoo_index()
    assert len(index) > 500
    assert all(k.endswith('.pth') and v.startswith('https://') and v.endswith('/' + k)
               for k, v in index.items())
    assert find_url(EFFNET_B0) == index[EFFNET_B0]
    assert 'mmclassification' in index[EFFNET_B0]


def write_manifest(root, url):
    """A manifest whose runs' weights are present, wrong, missing with a URL, and unknown."""
    (root / 'configs/solutions').mkdir(parents=True)
    (root / 'checkpoints').mkdir()
    (root / 'checkpoints' / NAME).write_bytes(DATA)
    bad = f'bad_20990101-{SHA[:8]}.pth'
    (root / 'checkpoints' / bad).write_bytes(DATA[:-1])
    (root / 'checkpoints/mine.pth').write_bytes(b'mine')
    (root / 'configs/solutions/mini.py').write_text(f'''
solution = 'mini'
runs = [
    dict(name='here', pretrained=dict(file='checkpoints/{NAME}', url='{url}/good/{NAME}')),
    dict(name='wrong', pretrained=dict(file='checkpoints/{bad}', url='{url}/good/{bad}')),
    dict(name='gone', pretrained=dict(file='checkpoints/later-{SHA[:8]}.pth',
                                      url='{url}/good/later-{SHA[:8]}.pth')),
    dict(name='nowhere', pretrained=dict(file='checkpoints/mine.pth', what='my weights')),
    dict(name='scratch'),
]
''')


def test_manifest_entries_with_status(tmp_path):
    write_manifest(tmp_path, 'http://127.0.0.1:9')
    weights = manifest_weights(tmp_path / 'configs/solutions/mini.py')
    assert [w.run for w in weights] == ['here', 'wrong', 'gone', 'nowhere']
    got = {e.weight.run: (e.status, e.url) for e in entries(tmp_path)}
    assert got['here'] == ('present', f'http://127.0.0.1:9/good/{NAME}')
    assert got['wrong'][0] == 'hash mismatch'
    assert got['gone'][0] == 'missing'
    assert got['nowhere'] == ('present', None)  # no hash in the name: presence is all we know
    assert file_status(tmp_path / 'checkpoints/mine.pth', sha256='00000000') == 'hash mismatch'
