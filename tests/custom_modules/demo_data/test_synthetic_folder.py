"""demo_data/synthetic_folder.py + ownership.py: a generator never overwrites or deletes a
user's files (issue 17), with the sports demo (the fastest generator, ~0.2 s)."""
from __future__ import annotations

import json

import pytest

from custom_modules.demo_data import synthetic_folder
from custom_modules.demo_data.sports_demo import FOLDER, MANIFEST_NAME, generate, stale_reason
from custom_modules.demo_data.synthetic_folder import ChangedFolder, ForeignFolder


@pytest.fixture
def made(tmp_path):
    """A folder the sports generator made (seed 0) and a pristine copy's bytes."""
    out = tmp_path / 'sports_demo'
    assert generate(out) is True
    return out


def test_the_issue_case_is_refused_then_forced_keeping_the_users_file(made, dir_bytes):
    pristine = (made / 'train.csv').read_bytes()
    (made / 'train.csv').write_text('image_id,label\nsyn_train_0000,disc\n')
    (made / 'my_notes.txt').write_text('my notes')
    with pytest.raises(ChangedFolder) as err:
        generate(made)
    text = str(err.value)
    assert err.value.exit_code == 2
    for part in ("1 changed ['train.csv']", "1 added ['my_notes.txt']", 'DATA_ROOT',
                 'demo_data = False', '--force', 'never deleted'):
        assert part in text, part
    assert (made / 'train.csv').read_text() == 'image_id,label\nsyn_train_0000,disc\n'
    assert (made / 'my_notes.txt').read_text() == 'my notes'
    assert FOLDER.check(made) == text and FOLDER.check(made, force=True) is None

    assert generate(made, force=True) is True
    assert (made / 'train.csv').read_bytes() == pristine  # regenerated
    assert (made / 'my_notes.txt').read_text() == 'my notes'  # never deleted
    assert stale_reason(made, 0) is None and generate(made) is False
    assert sorted(p.name for p in made.parent.iterdir()) == ['sports_demo']  # no staging left


def test_absent_and_empty_folders_are_generated(tmp_path, dir_bytes):
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert generate(empty) is True and generate(tmp_path / 'absent') is True
    assert dir_bytes(empty) == dir_bytes(tmp_path / 'absent')
    entry = json.loads((empty / MANIFEST_NAME).read_text())['files']['train.csv']
    assert set(entry) == {'size', 'sha1'} and len(entry['sha1']) == 40


def test_own_unchanged_folder_is_regenerated_in_place_keeping_added_files(made, dir_bytes,
                                                                          tmp_path):
    (made / 'lists').mkdir()  # podium's derived data: neither the generator's nor the user's
    (made / 'lists' / 'train.txt').write_text('derived')
    assert generate(made) is False  # complete; derived data does not make it stale
    (made / 'my_notes.txt').write_text('mine')
    assert generate(made) is False  # an added file alone: nothing to regenerate, nothing touched
    with pytest.raises(ChangedFolder, match="1 added \\['my_notes.txt'\\]"):
        generate(made, seed=1)  # stale, but regenerating would write beside the user's file
    (made / 'my_notes.txt').unlink()
    assert generate(made, seed=1) is True  # stale and untouched: regenerated without --force
    assert (made / 'lists' / 'train.txt').read_text() == 'derived'
    assert generate(tmp_path / 'fresh', seed=1)
    fresh = dir_bytes(tmp_path / 'fresh')
    assert {k: v for k, v in dir_bytes(made).items() if not k.startswith('lists')} == fresh


def test_a_removed_file_is_refused_and_force_restores_it(made):
    (made / 'test.csv').unlink()
    assert 'test.csv' in stale_reason(made, 0)
    with pytest.raises(ChangedFolder, match="1 removed \\['test.csv'\\]"):
        generate(made)
    assert not (made / 'test.csv').exists()
    assert generate(made, force=True) and (made / 'test.csv').is_file()


def test_an_interrupted_regeneration_is_still_ours(made, monkeypatch):
    def crash(stage, out, old, new):
        first = next(rel for rel in new if rel.startswith('train/'))
        (out / first).write_bytes((stage / first).read_bytes())
        raise OSError('disk full')

    monkeypatch.setattr(synthetic_folder, 'replace_own_files', crash)
    with pytest.raises(OSError, match='disk full'):
        generate(made, seed=1)
    monkeypatch.undo()
    assert stale_reason(made, 1) == 'an earlier regeneration was interrupted'
    assert generate(made, seed=1) is True and stale_reason(made, 1) is None


def legacy(out, version=None):
    """Rewrites ``out``'s manifest as the old code wrote it: file sizes, no hashes."""
    m = json.loads((out / MANIFEST_NAME).read_text())
    m['files'] = {rel: e['size'] for rel, e in m['files'].items()}
    del m['complete']
    if version is not None:
        m['version'] = version
    (out / MANIFEST_NAME).write_text(json.dumps(m))


def test_legacy_folder_matching_byte_for_byte_is_adopted(made):
    legacy(made)
    assert stale_reason(made, 0) is None
    (made / 'my_notes.txt').write_text('mine')
    assert generate(made) is False  # rebuilt aside, compared, adopted: hashes written
    assert 'sha1' in json.loads((made / MANIFEST_NAME).read_text())['files']['train.csv']
    assert (made / 'my_notes.txt').read_text() == 'mine'


def test_legacy_folder_with_an_edit_of_the_same_size_is_refused(made):
    legacy(made)
    text = (made / 'classes.txt').read_text()
    (made / 'classes.txt').write_text(text.replace('disc', 'DISC'))
    assert stale_reason(made, 0) is None  # sizes only: the old check was blind to it
    with pytest.raises(ChangedFolder, match="changed \\['classes.txt'\\]"):
        generate(made, seed=1)
    assert 'DISC' in (made / 'classes.txt').read_text()


def test_legacy_folder_of_another_version_is_foreign_until_forced(made):
    legacy(made, version=0)
    (made / 'my_notes.txt').write_text('mine')
    with pytest.raises(ChangedFolder, match='cannot verify as its own'):
        generate(made)
    assert generate(made, force=True) is True
    assert (made / 'my_notes.txt').read_text() == 'mine'
    assert stale_reason(made, 0) is None


def test_a_folder_without_manifest_is_never_touched_even_forced(tmp_path):
    (tmp_path / 'train.csv').write_text('mine')
    with pytest.raises(ForeignFolder, match='demo_data = False'):
        generate(tmp_path, force=True)
    assert [p.name for p in tmp_path.iterdir()] == ['train.csv']
