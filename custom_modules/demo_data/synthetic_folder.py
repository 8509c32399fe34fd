"""A generated dataset folder: never half-written, and never over a user's files.

Every demo generator (action, crash, sports, localize) is one :class:`SyntheticFolder`. It writes
only into an absent or empty folder (built aside and swapped in whole,
:func:`custom_modules.utils.atomic.atomic_folder`), or into one it made itself that nobody changed
since: its manifest holds the sha1 of every file it wrote (:mod:`.ownership`). A complete folder
is left alone; a stale one is regenerated file by file, in place; a changed one (a file of the
generator edited or removed, or a file added) is refused unless ``force``, which rewrites only
the generator's own files. A file it did not make is never deleted; a non-empty folder without
its manifest is never touched. A manifest of an older generator, without hashes, is adopted only
when the folder holds byte for byte what this generator makes for its seed and parameters.
"""
from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from custom_modules.utils.atomic import atomic_folder, atomic_write_text, make_staging_dir
from custom_modules.utils.errors import PodiumError
from custom_modules.utils.validation import list_some

from .ownership import Audit, audit, file_hashes, has_hashes, replace_own_files, transition

logger = logging.getLogger(__name__)


class ForeignFolder(PodiumError, FileExistsError):
    """The output folder holds data a generator did not make; it is never touched."""


class ChangedFolder(ForeignFolder):
    """A generator's folder was changed since it made it; regenerating would overwrite that."""


def csv_text(header: list[str], rows: list[list]) -> str:
    """A small CSV as text, ``\\n`` line ends (the generators' files are byte-reproducible)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def write_texts(folder: Path, texts: dict[str, str]) -> None:
    """Writes each ``{relative name: text}`` into ``folder`` (UTF-8)."""
    for name, text in texts.items():
        (folder / name).write_text(text, encoding='utf-8')


@dataclass(frozen=True)
class SyntheticFolder:
    """One generator: what it builds, its manifest, and its command line.

    Args:
        generator: The generator's command file name (``make_crash_demo.py``), named in
            messages and in the manifest.
        manifest_name: The manifest file written last inside the folder.
        version: Bump it when the output of the same seed and parameters changes.
        build: ``build(stage, seed, params)`` writes the whole dataset into ``stage``.
        params_type: The frozen dataclass of the generator's parameters (its defaults are used
            when none are given); None for a generator without parameters.
        default_out: The command line's default output folder.
    """

    generator: str
    manifest_name: str
    version: int
    build: Callable[[Path, int, Any], None]
    params_type: type | None = None
    default_out: str = ''

    def _params(self, p: Any | None) -> tuple[Any | None, dict | None]:
        """The parameters to build with, and their manifest form."""
        if self.params_type is None:
            return None, None
        p = self.params_type() if p is None else p
        return p, asdict(p)

    def read_manifest(self, out: str | Path) -> dict | None:
        """The manifest of ``out``, or None when there is none or it is unreadable."""
        try:
            data = json.loads((Path(out) / self.manifest_name).read_text(encoding='utf-8'))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get('synthetic') is True else None

    def stale_reason(self, out: str | Path, seed: int, p: Any | None = None) -> str | None:
        """Why ``out`` is not a complete folder for ``seed``/``p`` (None: it is complete).

        Files a user added do not make it stale (they are left alone); a changed or removed
        file of the generator does. A manifest of an older generator without hashes is judged
        by file sizes here; :meth:`generate` compares its bytes.
        """
        m = self.read_manifest(out)
        if m is None:
            return f'no {self.manifest_name}'
        return self._stale(Path(out), m, seed, self._params(p)[1], self._audit(Path(out), m))

    def _stale(self, out: Path, m: dict, seed: int, params: dict | None,
               found: Audit | None) -> str | None:
        if m.get('version') != self.version or m.get('params') != params:
            return f'made by generator version {m.get("version")} or with other parameters'
        if m.get('seed') != seed:
            return f'made with seed {m.get("seed")}, not {seed}'
        if m.get('complete') is False:
            return 'an earlier regeneration was interrupted'
        if found is None:  # sizes only (an older generator's manifest)
            for rel, size in (m.get('files') or {}).items():
                f = out / rel
                if not f.is_file() or f.stat().st_size != size:
                    return f'{rel} is missing or changed'
            return None
        if found.changed or found.missing:
            return f'{(found.changed + found.missing)[0]} is missing or changed'
        return None

    def _audit(self, out: Path, m: dict) -> Audit | None:
        """What differs from the manifest's hashes (None: the manifest has sizes only)."""
        files = m.get('files') or {}
        return audit(out, files, {self.manifest_name}) if has_hashes(files) else None

    def _legacy_hashes(self, out: Path, m: dict) -> dict[str, dict] | None:
        """The hashes of what this generator makes for an older manifest's seed and parameters,
        when that manifest's version is this one (None: it cannot be rebuilt to compare)."""
        if m.get('version') != self.version or not isinstance(m.get('files'), dict):
            return None
        params = m.get('params')
        try:
            p = None if self.params_type is None else self.params_type(**(params or {}))
        except TypeError:
            return None
        stage = make_staging_dir(out, 'verify')
        try:
            self.build(stage, int(m.get('seed', 0)), p)
            return file_hashes(stage)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _ownership(self, out: Path, m: dict) -> tuple[dict[str, dict] | None, Audit]:
        """The generator's files in ``out`` with their hashes, and what differs from them.

        An older manifest without hashes is adopted only when the folder holds byte for byte
        what this generator makes for its seed and parameters; otherwise nothing in it is known
        to be the generator's (files None) and every file counts as changed.
        """
        files = m.get('files') or {}
        if not has_hashes(files):
            files = self._legacy_hashes(out, m)
            if files is None or set(files) != set(m.get('files') or {}):
                everything = audit(out, {}, {self.manifest_name}).added
                return None, Audit(changed=everything)
        found = audit(out, files, {self.manifest_name})
        if m.get('complete') is False:  # interrupted midway: files not moved in yet, or removed
            found.missing = []
        return files, found

    def _write_manifest(self, out: Path, seed: int, params: dict | None, files: dict,
                        complete: bool = True) -> None:
        manifest = {'generator': f'podium tools/data/{self.generator}', 'synthetic': True,
                    'version': self.version, 'seed': seed, 'params': params,
                    'complete': complete, 'files': files}
        atomic_write_text(out / self.manifest_name, json.dumps(manifest, indent=2) + '\n')

    def refusal(self, out: str | Path, found: Audit, files: dict | None) -> str:
        """Why ``out`` is not regenerated without ``force``, and how to proceed."""
        what = (f'holds files {self.generator} cannot verify as its own (made by an older '
                f'version without file hashes): {found.describe()}' if files is None else
                f'was changed since {self.generator} made it: {found.describe()}')
        return (f'{out} {what}. Not regenerating it, so that nothing of yours is overwritten. '
                'To proceed: use another data folder (DATA_ROOT= / --out), set demo_data = False '
                'in the solution manifest to use the folder as it is, or regenerate the '
                "generator's own files with --force (FORCE=1 for train.sh); files it did not "
                'make are never deleted.')

    def check(self, out: str | Path, seed: int = 0, force: bool = False,
              p: Any | None = None) -> str | None:
        """What :meth:`generate` would refuse with (None: it would run or do nothing)."""
        out = Path(self.default_out if out is None else out)
        if not out.exists() or (out.is_dir() and not any(out.iterdir())):
            return None
        m = self.read_manifest(out)
        if m is None:
            return self._foreign(out)
        files, found = self._ownership(out, m)
        if force or not (found.touched or files is None):
            return None
        stale = self._stale(out, m, seed, self._params(p)[1], None if files is None else found)
        return None if stale is None else self.refusal(out, found, files)

    def _foreign(self, out: Path) -> str:
        return (f'{out} exists and was not made by {self.generator} (no {self.manifest_name}); '
                'not touching it. Use another data folder (DATA_ROOT= / --out), or set '
                'demo_data = False in the solution manifest to use it as it is.')

    def generate(self, out: str | Path | None = None, seed: int = 0, force: bool = False,
                 p: Any | None = None) -> bool:
        """Makes the dataset in ``out`` unless a complete one is there.

        Writes only into an absent or empty folder, or one this generator made that nobody
        changed since (its manifest's hashes say so). With ``force`` it regenerates its own files
        even when changed; files it did not make stay, named in the log.

        Args:
            out: The output folder (default: ``default_out``).
            seed: The random seed.
            force: Regenerate even when complete, or changed by someone else.
            p: The generator's parameters (default: ``params_type()``).

        Returns:
            True if it was (re)generated, False if a complete one was already there.

        Raises:
            ForeignFolder: ``out`` is a non-empty folder that this generator did not make, or
                one it made that was changed since (and ``force`` is off).
        """
        out = Path(self.default_out if out is None else out)
        p, params = self._params(p)
        if not out.exists() or (out.is_dir() and not any(out.iterdir())):
            with atomic_folder(out) as stage:
                self.build(stage, seed, p)
                files = file_hashes(stage)
                self._write_manifest(stage, seed, params, files)
            logger.info('wrote the SYNTHETIC data of %s to %s (seed %d, %d files)',
                        self.generator, out, seed, len(files))
            return True
        m = self.read_manifest(out)
        if m is None:
            raise ForeignFolder(self._foreign(out))
        old, found = self._ownership(out, m)
        stale = self._stale(out, m, seed, params, None if old is None else found)
        if stale is None and not force:
            if old is not None and not has_hashes(m.get('files')):  # older, verified bytes
                self._write_manifest(out, seed, params, old)
            logger.info('%s is complete (seed %d, version %d); nothing to do', out, seed,
                        self.version)
            return False
        if found.touched or old is None:
            if not force:
                raise ChangedFolder(self.refusal(out, found, old))
            logger.warning('%s: --force regenerates the generator\'s own files (%s)', out,
                           found.describe())
        self._regenerate(out, seed, p, params, old or {})
        return True

    def _regenerate(self, out: Path, seed: int, p: Any, params: dict | None,
                    old: dict[str, dict]) -> None:
        """Rewrites the generator's own files in place, leaving every other file alone.

        The manifest first accepts old and new content alike (an interrupted run is still
        recognised as ours), then lists the new files once they are all in place.
        """
        stage = make_staging_dir(out)
        try:
            self.build(stage, seed, p)
            new = file_hashes(stage)
            self._write_manifest(out, seed, params, transition(old, new), complete=False)
            replace_own_files(stage, out, old, new)
            self._write_manifest(out, seed, params, new)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        kept = audit(out, new, {self.manifest_name}).added
        if kept:
            logger.warning('%s: kept %d file(s) %s did not make: %s', out, len(kept),
                           self.generator, list_some(kept))
        logger.info('regenerated the SYNTHETIC data of %s in %s (seed %d, %d files)',
                    self.generator, out, seed, len(new))

    def command(self, doc: str) -> Callable[[list[str] | None], int]:
        """The ``main(argv)`` of a command line whose help is the first paragraph of ``doc``."""
        return functools.partial(self.main, description=doc.split('\n\n')[0])

    def main(self, argv: list[str] | None = None, description: str = '') -> int:
        """The generator's command line: ``--out-dir`` (alias ``--out``), ``--seed``, ``--force``.

        Raises:
            ForeignFolder: See :meth:`generate` (exit 2 through ``run_cli``).
            PodiumError: The folder could not be written (exit 2).
        """
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument('--out-dir', '--out', dest='out', default=self.default_out,
                            help='output folder (default: %(default)s)')
        parser.add_argument('--seed', type=int, default=0,
                            help='random seed (default: %(default)s)')
        parser.add_argument('--force', action='store_true', help='regenerate even if complete')
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO,
                            format=f'[{Path(self.generator).stem}] %(message)s')
        try:
            self.generate(args.out, args.seed, args.force)
        except ForeignFolder:
            raise
        except OSError as err:
            raise PodiumError(f'cannot write {args.out}: {err}') from err
        return 0
