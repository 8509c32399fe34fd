"""Download class-labelled images safely: ``URL_DIR/<class>.urls`` -> ``OUT_DIR/<class>/``.

    python tools/data/download_images.py URL_DIR OUT_DIR [--workers 8] [--timeout 15]
        [--retries 3] [--backoff 1.0] [--max-bytes 20MB]

``URL_DIR`` holds one ``<class>.urls`` file per class, one URL a line (blank lines and ``#``
comments skipped). Every URL is fetched in a thread pool (``--workers``) with:

- only ``http``/``https`` (no ``file://``, no other schemes);
- a per-request time limit (``--timeout`` seconds for connecting, each read and the whole
  transfer);
- retries with exponential backoff (``--backoff`` x 2^attempt) for connection errors,
  timeouts, HTTP 429 and 5xx; a 404, a non-image or an oversized file is not retried;
- a size cap (``--max-bytes``, default 20 MB) checked on ``Content-Length`` and enforced while
  streaming, so a server that lies or sends no length cannot fill the disk;
- a content check: the ``Content-Type`` must be ``image/*`` (when sent) and the bytes must fully
  decode as an image (Pillow); anything else is rejected and never written;
- safe names: the file is ``<first 16 hex of SHA-256>.<format's extension>``, so neither the URL
  nor the server chooses a path (no traversal), and the same content within a class is kept
  once (``duplicate``); the same content in two classes is reported as a label conflict;
- atomic files (written beside the target, renamed when complete) and a log
  ``OUT_DIR/download_log.jsonl`` appended as URLs finish: a rerun (after Ctrl-C or a crash)
  skips URLs already downloaded and tries the failed ones again.

At the end ``OUT_DIR/download_report.csv`` lists every URL with its status (``ok``,
``duplicate``, ``skipped`` or ``failed``), file, size and the reason of each failure, and the
failures are printed. Exit code 0, or 1 when some URLs failed (``--allow-failures``: 0), or 2
for bad URL lists. The logic is :mod:`custom_modules.data_prep.download`.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.data_prep.download import REPORT_NAME, Options, download  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402


def parse_size(text: str) -> int:
    """``20MB``, ``512k``, ``1048576`` -> bytes."""
    match = re.fullmatch(r'\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*', text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f'bad size {text!r}: use e.g. 20MB, 512k or 1048576')
    return int(float(match.group(1)) * 1024 ** ' kmg'.index(match.group(2) or ' '))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Download class-labelled images safely')
    parser.add_argument('url_dir', help='folder of <class>.urls files, one URL a line')
    parser.add_argument('out_dir', help='images go to OUT_DIR/<class>/')
    parser.add_argument('--workers', type=int, default=8, help='parallel downloads')
    parser.add_argument('--timeout', type=float, default=15.0, help='seconds per request')
    parser.add_argument('--retries', type=int, default=3, help='extra attempts for transient '
                        'errors (timeouts, 429, 5xx)')
    parser.add_argument('--backoff', type=float, default=1.0,
                        help='first retry delay in seconds, doubled each time')
    parser.add_argument('--max-bytes', type=parse_size, default=20 * 1024 * 1024,
                        help='size cap per image, e.g. 20MB (default)')
    parser.add_argument('--allow-failures', action='store_true', help='exit 0 even if some '
                        'URLs failed (they stay in the report)')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if args.workers < 1 or args.timeout <= 0 or args.retries < 0 or args.backoff < 0:
        parser.error('--workers >= 1, --timeout > 0, --retries >= 0, --backoff >= 0')
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    opts = Options(timeout=args.timeout, retries=args.retries, backoff=args.backoff,
                   max_bytes=args.max_bytes)
    summary = download(args.url_dir, args.out_dir, opts, args.workers, not args.no_progress)
    print(f'{len(summary.results)} URLs: {summary.count("ok")} downloaded, '
          f'{summary.count("duplicate")} duplicates, {summary.count("skipped")} already there, '
          f'{summary.count("failed")} failed; report: {Path(args.out_dir) / REPORT_NAME}')
    if summary.failed:
        print('failures:\n' + '\n'.join(summary.failure_lines()), file=sys.stderr)
    return 0 if args.allow_failures or not summary.failed else 1


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='download_images'))
