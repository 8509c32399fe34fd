"""tools/checkpoints.py list / fetch on a tiny manifest, against a local server."""
from __future__ import annotations

from custom_modules.utils.cli import run_cli
from tests.custom_modules.checkpoints.test_sources import write_manifest
from tests.zoo_server import DATA, NAME, SHA, zoo_server  # noqa: F401 (fixture)
from tools.checkpoints import main


def cli(*args: str) -> int:
    return run_cli(main, list(args), prog='checkpoints')


def test_list_shows_status_and_source(tmp_path, capsys):
    write_manifest(tmp_path, 'http://127.0.0.1:9')
    assert cli('--root', str(tmp_path), 'list', 'mini') == 0
    out = capsys.readouterr().out
    assert 'mini/here: present' in out and 'mini/wrong: hash mismatch' in out
    assert 'mini/gone: missing' in out and f'from: http://127.0.0.1:9/good/later-{SHA[:8]}' in out
    assert 'mini/nowhere: present' in out and 'from: unknown: put the file there by hand' in out
    assert cli('--root', str(tmp_path), 'list', 'nope') == 2
    assert 'no solution manifest nope' in capsys.readouterr().err


def test_fetch_solution_fetches_missing_and_mismatched(zoo_server, tmp_path, capsys):  # noqa: F811
    write_manifest(tmp_path, zoo_server)
    (tmp_path / 'checkpoints/mine.pth').unlink()  # now: no source for it
    assert cli('--root', str(tmp_path), 'fetch', 'mini', '--no-progress') == 2
    err = capsys.readouterr().err
    assert '1 of 3 not fetched' in err and 'mine.pth: no known source' in err
    assert (tmp_path / f'checkpoints/later-{SHA[:8]}.pth').read_bytes() == DATA
    assert (tmp_path / f'checkpoints/bad_20990101-{SHA[:8]}.pth').read_bytes() == DATA
    assert sorted(p for p, _ in zoo_server.log) == sorted(
        [f'/good/bad_20990101-{SHA[:8]}.pth', f'/good/later-{SHA[:8]}.pth'])


def test_fetch_url_and_unknown_names(zoo_server, tmp_path, capsys):  # noqa: F811
    out = tmp_path / 'w.bin'
    assert cli('fetch', '--url', f'{zoo_server}/good/x', '--sha256', SHA, '--out', str(out),
               '--no-progress') == 0
    assert out.read_bytes() == DATA
    assert cli('fetch', '--url', f'{zoo_server}/wrong/x', '--sha256', SHA[:8],
               '--out', str(tmp_path / 'v.bin'), '--no-progress') == 2
    assert 'expected' in capsys.readouterr().err and not (tmp_path / 'v.bin').exists()
    assert cli('--root', str(tmp_path), 'fetch', 'not-a-thing') == 2
    assert 'neither a solution' in capsys.readouterr().err
    write_manifest(tmp_path, zoo_server)
    assert cli('--root', str(tmp_path), 'fetch', 'nobody-deadbeef.pth') == 2
    assert 'in no installed model zoo' in capsys.readouterr().err


def test_fetch_by_zoo_name_uses_the_index_and_mirror(zoo_server, tmp_path, monkeypatch):  # noqa: F811
    import tools.checkpoints as tool

    name = NAME
    monkeypatch.setattr(tool, 'find_url', lambda n: f'https://zoo.example.invalid/good/{n}')
    write_manifest(tmp_path, zoo_server)
    (tmp_path / 'checkpoints' / name).unlink()
    assert cli('--root', str(tmp_path), 'fetch', name, '--mirror', zoo_server,
               '--no-progress') == 0
    assert (tmp_path / 'checkpoints' / name).read_bytes() == DATA
    assert zoo_server.log == [(f'/good/{name}', None)]
