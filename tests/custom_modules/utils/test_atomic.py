"""custom_modules.utils.atomic: a target is the old file or the whole new one, never a part."""
from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest

from custom_modules.utils import atomic


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith('.'))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_writers_give_a_normal_file_mode_and_leave_no_temporary(tmp_path, umask_022):
    atomic.atomic_write_text(tmp_path / 'a.txt', 'x\n')
    atomic.atomic_write_bytes(tmp_path / 'b.bin', b'\x00\x01')
    atomic.atomic_write_json(tmp_path / 'c.json', {'k': [1, 2]})
    atomic.atomic_write_csv(tmp_path / 'd.csv', [(1, 'a'), (2, 'b')], header=('id', 'name'))
    atomic.atomic_write_csv(tmp_path / 'e.csv', pd.DataFrame({'id': [3]}))
    atomic.atomic_save_npz(tmp_path / 'f.npz', ids=np.array(['x']), probs=np.ones((1, 2)))
    for name in ('a.txt', 'b.bin', 'c.json', 'd.csv', 'e.csv', 'f.npz'):
        assert mode_of(tmp_path / name) == 0o644, name
    assert (tmp_path / 'd.csv').read_text() == 'id,name\n1,a\n2,b\n'
    assert (tmp_path / 'e.csv').read_text() == 'id\n3\n'
    assert (tmp_path / 'c.json').read_text() == '{\n  "k": [\n    1,\n    2\n  ]\n}\n'
    assert np.load(tmp_path / 'f.npz')['probs'].shape == (1, 2)
    assert leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / 'out.csv'
    target.write_text('old\n')
    with pytest.raises(RuntimeError), atomic.atomic_write(target) as f:
        f.write('half a')
        raise RuntimeError('boom')
    assert target.read_text() == 'old\n'
    assert leftovers(tmp_path) == []


def test_streaming_file_commits_or_discards(tmp_path):
    kept = atomic.AtomicFile(tmp_path / 'kept.csv')
    kept.file.write('a\n')
    assert not (tmp_path / 'kept.csv').exists()  # invisible until committed
    kept.commit()
    dropped = atomic.AtomicFile(tmp_path / 'dropped.csv')
    dropped.file.write('b\n')
    dropped.discard()
    assert (tmp_path / 'kept.csv').read_text() == 'a\n'
    assert not (tmp_path / 'dropped.csv').exists()
    assert leftovers(tmp_path) == []


def test_atomic_folder_replaces_whole_or_not_at_all(tmp_path, umask_022):
    out = tmp_path / 'sorted'
    out.mkdir()
    (out / 'old.txt').write_text('old')
    with pytest.raises(ValueError), atomic.atomic_folder(out) as stage:
        (stage / 'new.txt').write_text('new')
        raise ValueError('failed half way')
    assert sorted(p.name for p in out.iterdir()) == ['old.txt']
    with atomic.atomic_folder(out) as stage:
        (stage / 'new.txt').write_text('new')
    assert sorted(p.name for p in out.iterdir()) == ['new.txt']
    assert mode_of(out) == 0o755
    assert leftovers(tmp_path) == []


def test_staged_outputs_move_in_together_or_not_at_all(tmp_path):
    with pytest.raises(KeyError), atomic.staged_outputs(tmp_path) as out:
        out.write_lines('a.txt', ['1', '2'])
        raise KeyError('bad row')
    assert not (tmp_path / 'a.txt').exists()
    with atomic.staged_outputs(tmp_path) as out:
        out.write_lines('a.txt', ['1', '2'])
        out.write_json('sub/b.json', {'n': 1})
    assert (tmp_path / 'a.txt').read_text() == '1\n2\n'
    assert (tmp_path / 'sub' / 'b.json').is_file()
    assert leftovers(tmp_path) == []


def test_only_the_atomic_module_renames_into_place(repo_root):
    """One place decides how files are replaced (temp beside, fsync, mode)."""
    rename = 'os.' + 'replace('  # spelled so that this file does not match itself
    users = sorted(str(p.relative_to(repo_root))
                   for folder in ('custom_modules', 'tools', 'bench')
                   for p in (repo_root / folder).rglob('*.py')
                   if rename in p.read_text(encoding='utf-8'))
    assert users == ['custom_modules/utils/atomic.py']
