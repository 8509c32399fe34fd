"""What a generator owns in its folder: the sha1 of every file it wrote, and what changed since.

A generator's manifest lists ``{relative path: {"size": n, "sha1": hex}}`` for every file it
wrote. Comparing the folder with that list tells the generator's untouched files from the ones a
user changed, removed or added, so that a regeneration never overwrites or deletes a user's work
(:mod:`custom_modules.demo_data.synthetic_folder`). While an in-place regeneration is under way,
an entry also accepts its ``previous`` hashes, so an interrupted one is recognised as ours.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from custom_modules.utils.atomic import move_into_place
from custom_modules.utils.validation import list_some

# Podium's own derived data beside the generated files (frames, lists): neither the generator's
# nor the user's; kept as they are, their own stages redo what is stale.
DERIVED = ('lists', 'rawframes')


def sha1_of(path: Path, chunk: int = 1 << 20) -> str:
    """The sha1 hex digest of a file's bytes."""
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_hashes(folder: Path) -> dict[str, dict]:
    """``{relative posix path: {"size", "sha1"}}`` of every file under ``folder``, sorted."""
    return {f.relative_to(folder).as_posix(): {'size': f.stat().st_size, 'sha1': sha1_of(f)}
            for f in sorted(folder.rglob('*')) if f.is_file()}


def has_hashes(files: object) -> bool:
    """A manifest's ``files`` records hashes (older generators recorded sizes only)."""
    return isinstance(files, dict) and all(isinstance(e, dict) and 'sha1' in e
                                           for e in files.values())


def accepted(entry: dict) -> set[str]:
    """The hashes an entry accepts as the generator's own content."""
    return {entry['sha1'], *entry.get('previous', ())}


def unchanged(path: Path, entry: dict) -> bool:
    """``path`` holds the content its manifest entry says the generator wrote."""
    return path.is_file() and sha1_of(path) in accepted(entry)


@dataclass
class Audit:
    """What differs between a folder and the generator's list of its files."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.changed or self.missing or self.added)

    def describe(self) -> str:
        """``1 changed ['train.csv']; 1 added ['my_notes.txt']`` (a few names of each)."""
        parts = [f'{len(v)} {k} {list_some(v)}' for k, v in
                 (('changed', self.changed), ('removed', self.missing), ('added', self.added)) if v]
        return '; '.join(parts) or 'nothing changed'


def audit(folder: Path, files: dict[str, dict], own: set[str]) -> Audit:
    """Compares ``folder`` with ``files``; ``own`` are other names it may hold (its manifest).

    Files under :data:`DERIVED` folders and hidden staging entries of the atomic writers are
    neither the generator's nor counted as added.
    """
    result = Audit()
    for rel, entry in files.items():
        path = folder / rel
        if not path.is_file():
            result.missing.append(rel)
        elif not unchanged(path, entry):
            result.changed.append(rel)
    for path in sorted(folder.rglob('*')):
        rel = path.relative_to(folder).as_posix()
        if (path.is_file() and rel not in files and rel not in own
                and rel.split('/')[0] not in DERIVED):
            result.added.append(rel)
    return result


def transition(old: dict[str, dict], new: dict[str, dict]) -> dict[str, dict]:
    """The manifest entries while new files replace old ones: each accepts old and new content."""
    merged = {rel: dict(e, previous=sorted(accepted(e))) for rel, e in old.items()}
    for rel, entry in new.items():
        before = accepted(old[rel]) if rel in old else set()
        merged[rel] = dict(entry, previous=sorted(before - {entry['sha1']}))
    return merged


def replace_own_files(stage: Path, out: Path, old: dict[str, dict],
                      new: dict[str, dict]) -> list[str]:
    """Moves each file of ``stage`` into ``out`` and removes the old files no longer made.

    A file whose content is already right is left alone (its time stamp too); an old file is
    removed only when it still holds what the generator wrote. Returns the old files kept
    because their content is not the generator's.
    """
    for rel, entry in new.items():
        target = out / rel
        if target.is_file() and sha1_of(target) == entry['sha1']:
            continue
        move_into_place(stage / rel, target)
    kept = []
    for rel in sorted(set(old) - set(new)):
        path = out / rel
        if unchanged(path, old[rel]):
            os.unlink(path)
        elif path.exists():
            kept.append(rel)
    return kept
