"""A generated dataset folder: built aside, moved in whole, regenerated only when stale.

Every demo generator (make_demo_data.py, make_{crash,sports,localize}_demo.py) writes its files
through :class:`SyntheticFolder`: a complete folder for the same seed, parameters and generator
version is left alone; a stale one of ours is regenerated; ``force`` always regenerates; a
non-empty folder without our manifest is never touched. The folder is built beside the output
and swapped in at the end, so it is never half-written.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


def csv_text(header: list[str], rows: list[list]) -> str:
    """A small CSV as text, ``\\n`` line ends (the generators' files are byte-reproducible)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@dataclass(frozen=True)
class SyntheticFolder:
    """The manifest and the atomic build of one generator's output folder.

    Args:
        generator: the generator's file name (``make_crash_demo.py``), named in messages.
        manifest_name: the manifest file written last inside the folder.
        version: bump it when the output of the same seed and parameters changes.
    """

    generator: str
    manifest_name: str
    version: int

    def read_manifest(self, out: str | Path) -> dict | None:
        """The manifest of ``out``, or None when there is none or it is unreadable."""
        try:
            data = json.loads((Path(out) / self.manifest_name).read_text(encoding='utf-8'))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get('synthetic') is True else None

    def stale_reason(self, out: str | Path, seed: int, params: dict | None = None) -> str | None:
        """Why ``out`` is not a complete folder for ``seed``/``params`` (None: it is complete)."""
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

    def generate(self, out: str | Path, seed: int, force: bool,
                 build: Callable[[Path], dict[str, int]], params: dict | None = None) -> bool:
        """Run ``build(stage)`` (returns ``{relative file: size}``) unless ``out`` is complete.

        Returns:
            True if it was (re)generated, False if a complete one was already there.

        Raises:
            FileExistsError: ``out`` is a non-empty folder that this generator did not make.
        """
        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            if self.read_manifest(out) is None:
                raise FileExistsError(
                    f'{out} exists and was not made by {self.generator} (no '
                    f'{self.manifest_name}); not touching it. Pick another --out.')
            reason = self.stale_reason(out, seed, params)
            if reason is None and not force:
                logger.info('%s is complete (seed %d, version %d); nothing to do', out, seed,
                            self.version)
                return False
            logger.info('regenerating %s (%s); derived data inside it goes too', out,
                        'forced' if force else reason)
        out.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f'.{out.name}.staging-', dir=out.parent))
        os.chmod(stage, 0o755)  # mkdtemp makes it private; the dataset folder should not be
        old = None
        try:
            files = build(stage)
            manifest = {'generator': f'podium tools/data/{self.generator}', 'synthetic': True,
                        'version': self.version, 'seed': seed, 'params': params,
                        'files': files}
            (stage / self.manifest_name).write_text(json.dumps(manifest, indent=2) + '\n',
                                                    encoding='utf-8')
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f'.{out.name}.old-', dir=out.parent))
                os.replace(out, old / out.name)
            os.replace(stage, out)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            if old is not None and not out.exists():  # put the previous folder back
                os.replace(old / out.name, out)
            raise
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        logger.info('wrote the SYNTHETIC data of %s to %s (seed %d, %d files)', self.generator,
                    out, seed, len(files))
        return True


def generator_main(argv: list[str] | None, description: str, default_out: str,
                   generate: Callable[[str, int, bool], bool], log_name: str) -> int:
    """The generators' command line: ``--out``, ``--seed``, ``--force``; exit 2 on refusal."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--out', default=default_out, help='output folder (default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default: %(default)s)')
    parser.add_argument('--force', action='store_true', help='regenerate even if complete')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=f'[{log_name}] %(message)s')
    try:
        generate(args.out, args.seed, args.force)
    except (FileExistsError, OSError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0
