"""A generated dataset folder: built aside, swapped in whole, regenerated only when stale.

Every demo generator (action, crash, sports, localize) is one :class:`SyntheticFolder`: a
complete folder for the same seed, parameters and generator version is left alone; a stale one
of ours is regenerated; ``force`` always regenerates; a non-empty folder without our manifest is
never touched. The folder is built in a staging folder beside the output and swapped in at the
end (:func:`custom_modules.utils.atomic.atomic_folder`), so it is never half-written.
"""
from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from custom_modules.utils.atomic import atomic_folder
from custom_modules.utils.errors import PodiumError

logger = logging.getLogger(__name__)


class ForeignFolder(PodiumError, FileExistsError):
    """The output folder holds data a generator did not make; it is never touched."""


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


def file_sizes(folder: Path) -> dict[str, int]:
    """``{relative posix path: size}`` of every file under ``folder``, sorted."""
    return {f.relative_to(folder).as_posix(): f.stat().st_size
            for f in sorted(folder.rglob('*')) if f.is_file()}


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
        """Why ``out`` is not a complete folder for ``seed``/``p`` (None: it is complete)."""
        params = self._params(p)[1]
        m = self.read_manifest(out)
        if m is None:
            return f'no {self.manifest_name}'
        if m.get('version') != self.version or m.get('params') != params:
            return f'made by generator version {m.get("version")} or with other parameters'
        if m.get('seed') != seed:
            return f'made with seed {m.get("seed")}, not {seed}'
        for rel, size in (m.get('files') or {}).items():
            f = Path(out) / rel
            if not f.is_file() or f.stat().st_size != size:
                return f'{rel} is missing or changed'
        return None

    def generate(self, out: str | Path | None = None, seed: int = 0, force: bool = False,
                 p: Any | None = None) -> bool:
        """Makes the dataset in ``out`` unless a complete one is there.

        Args:
            out: The output folder (default: ``default_out``).
            seed: The random seed.
            force: Regenerate even when complete.
            p: The generator's parameters (default: ``params_type()``).

        Returns:
            True if it was (re)generated, False if a complete one was already there.

        Raises:
            ForeignFolder: ``out`` is a non-empty folder that this generator did not make.
        """
        out = Path(self.default_out if out is None else out)
        p, params = self._params(p)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            if self.read_manifest(out) is None:
                raise ForeignFolder(
                    f'{out} exists and was not made by {self.generator} (no '
                    f'{self.manifest_name}); not touching it. Pick another --out.')
            reason = self.stale_reason(out, seed, p)
            if reason is None and not force:
                logger.info('%s is complete (seed %d, version %d); nothing to do', out, seed,
                            self.version)
                return False
            logger.info('regenerating %s (%s); derived data inside it goes too', out,
                        'forced' if force else reason)
        with atomic_folder(out) as stage:
            self.build(stage, seed, p)
            files = file_sizes(stage)
            manifest = {'generator': f'podium tools/data/{self.generator}', 'synthetic': True,
                        'version': self.version, 'seed': seed, 'params': params,
                        'files': files}
            (stage / self.manifest_name).write_text(json.dumps(manifest, indent=2) + '\n',
                                                    encoding='utf-8')
        logger.info('wrote the SYNTHETIC data of %s to %s (seed %d, %d files)', self.generator,
                    out, seed, len(files))
        return True

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
