"""Pretrained weights of the solutions: list where each comes from, fetch them verified.

``list`` shows, for every run of the solution manifests that starts from pretrained weights,
the file, its source URL (the manifest's ``url``, else the installed packages' model-zoo
metafiles or torchvision) and whether it is present, missing or has the wrong hash. ``fetch``
downloads what is missing (progress bar, resume, timeouts, retries, size cap), verifies the
sha256 the file name ends with (or ``--sha256``), moves it into ``checkpoints/`` only then,
and records it in the checkpoint trust ledger so training accepts it. Runs never download.

Example::

    python tools/checkpoints.py list
    python tools/checkpoints.py fetch sports --mirror https://mirror.example.org
    python tools/checkpoints.py fetch efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth
    python tools/checkpoints.py fetch --url URL --sha256 HEX --out checkpoints/x.pth
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_modules.checkpoints import (  # noqa: E402
    UNKNOWN_SOURCE,
    FetchError,
    FetchOptions,
    download,
    entries,
    find_url,
    is_solution,
)
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.errors import InputError  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger('checkpoints')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default=str(REPO_ROOT), help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest='command', required=True)
    lister = sub.add_parser('list', help='each run\'s weights, source and status')
    lister.add_argument('solutions', nargs='*', metavar='SOLUTION',
                        help='manifest names (default: all of configs/solutions)')
    fetch = sub.add_parser('fetch', help='download, verify and put in place what is missing')
    fetch.add_argument('names', nargs='*', metavar='SOLUTION|FILE',
                       help='solutions, or zoo file names (default: every solution)')
    fetch.add_argument('--url', help='fetch this URL instead (with --out and --sha256)')
    fetch.add_argument('--sha256', help='the file\'s sha256 (full, or a prefix of 8+ hex digits)')
    fetch.add_argument('--out', help='where --url goes')
    fetch.add_argument('--out-dir', default='checkpoints',
                       help='folder for zoo file names (default: %(default)s)')
    fetch.add_argument('--mirror', help='replace the scheme and host of every source URL')
    fetch.add_argument('--max-mb', type=float, default=4096, help='size cap (default: 4096)')
    fetch.add_argument('--timeout', type=float, default=30, help='seconds per connect/read')
    fetch.add_argument('--retries', type=int, default=3, help='extra attempts (default: 3)')
    fetch.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def list_weights(root: Path, solutions: list[str]) -> int:
    for entry in entries(root, solutions):
        w = entry.weight
        source = entry.url or (f'made here by `{w.make}`' if w.make else UNKNOWN_SOURCE)
        print(f'{w.solution}/{w.run}: {entry.status}\n  file: {entry.path}\n  from: {source}')
    return 0


def targets(root: Path, names: list[str], out_dir: str,
            made: dict[Path, str] | None = None) -> dict[Path, str | None]:
    """Target path -> source URL (None: no known source) for solutions and zoo file names;
    ``made`` collects the files a command makes here instead (path -> command)."""
    unknown = [n for n in names if not is_solution(root, n) and not n.endswith('.pth')]
    if unknown:
        raise InputError(f'{", ".join(unknown)}: neither a solution in {root}/configs/solutions '
                         'nor a weights file name (*.pth)')
    found: dict[Path, str | None] = {}
    solutions = [n for n in names if is_solution(root, n)]
    if solutions or not names:
        for entry in entries(root, solutions):
            if entry.status != 'present':
                found.setdefault(entry.path, entry.url)
                if entry.weight.make and made is not None:
                    made[entry.path] = entry.weight.make
    for name in (n for n in names if not is_solution(root, n)):
        path = (root / out_dir / Path(name).name).resolve()
        url = find_url(path.name)
        if url is None:
            raise InputError(f'{name} is in no installed model zoo (mmpretrain, mmaction, mmdet '
                             'metafiles, torchvision): fetch it with --url URL --sha256 HEX --out '
                             f'{path}')
        found.setdefault(path, url)
    return found


def fetch_weights(args: argparse.Namespace, root: Path) -> int:
    opts = FetchOptions(timeout=args.timeout, retries=args.retries, max_bytes=int(
        args.max_mb * 2**20), progress=not args.no_progress, mirror=args.mirror)
    if args.url or args.out:
        if not (args.url and args.out) or args.names:
            raise InputError('--url needs --out (and --sha256 unless the name ends in '
                             '-<8 hex>.pth), and no SOLUTION or FILE names')
        logger.info('%s verified', download(args.url, args.out, args.sha256, opts))
        return 0
    made: dict[Path, str] = {}
    todo = targets(root, args.names, args.out_dir, made)
    failures = [f'{p}: made here, not downloaded: run `{made[p]}` (install.sh does)' if p in made
                else f'{p}: no known source, put the file there by hand or use --url'
                for p, url in todo.items() if url is None]
    for path, url in todo.items():
        if url is None:
            continue
        try:
            logger.info('fetching %s', url)
            logger.info('%s verified', download(url, path, opts=opts))
        except FetchError as err:
            failures.append(str(err))
    if failures:
        raise FetchError(f'{len(failures)} of {len(todo)} not fetched:\n  ' + '\n  '.join(failures))
    logger.info('nothing missing' if not todo else f'{len(todo)} file(s) fetched and verified')
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='[checkpoints] %(message)s')
    root = Path(args.root)
    if args.command == 'list':
        return list_weights(root, args.solutions)
    return fetch_weights(args, root)


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='checkpoints'))
