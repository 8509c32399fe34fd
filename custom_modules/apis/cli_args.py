"""The arguments every prediction command line shares, spelled once.

``CONFIG CHECKPOINT`` are positional, as in ``tools/test.py``; a tool whose users already typed
``--config``/``--checkpoint`` (or the origin's ``--model``) keeps those spellings too
(``flag_aliases``), resolved by :func:`model_args`. With ``config_from_checkpoint`` the config may
be left out (``[CONFIG] CHECKPOINT``): the predictor then reads the checkpoint's own.
"""
from __future__ import annotations

import argparse
from typing import Any

from .predictor import default_device


def add_model_args(parser: argparse.ArgumentParser, flag_aliases: bool = False,
                   config_from_checkpoint: bool = False) -> None:
    """``config checkpoint`` and ``--device --batch-size --cfg-options --trust-checkpoint
    --no-progress``; ``config_from_checkpoint``: the config is optional (see the module)."""
    from mmengine.config import DictAction

    nargs = '?' if flag_aliases or config_from_checkpoint else None
    config_help = 'the model config (its test pipeline too)'
    if config_from_checkpoint:
        config_help += "; default: the one the checkpoint keeps (meta['cfg'])"
    parser.add_argument('config', nargs=nargs, help=config_help)
    parser.add_argument('checkpoint', nargs=nargs, help='the trained checkpoint')
    if flag_aliases:
        parser.add_argument('--config', dest='config_flag', help=argparse.SUPPRESS)
        parser.add_argument('--checkpoint', '--model', dest='checkpoint_flag',
                            help=argparse.SUPPRESS)
    parser.set_defaults(config_from_checkpoint=config_from_checkpoint)
    parser.add_argument('--device', default=default_device(),
                        help='torch device (default: cuda:0 when available, else cpu)')
    parser.add_argument('--batch-size', type=int, default=32, help='inputs per forward')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.backbone.depth=101')
    parser.add_argument('--trust-checkpoint', action='append', default=[], metavar='FILE',
                        help='allow a full unpickle of FILE (not written by a podium run here)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bars')


def model_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parses ``argv``; the config and checkpoint must each be given once, in either spelling
    (the config at most once where it may come from the checkpoint: None then);
    ``--batch-size`` must be >= 1."""
    args = parser.parse_args(argv)
    optional_config = vars(args).pop('config_from_checkpoint', False)
    if optional_config and not args.checkpoint and not getattr(args, 'checkpoint_flag', None):
        args.config, args.checkpoint = None, args.config  # one positional: the checkpoint
    for name in ('config', 'checkpoint'):
        given = [v for v in (getattr(args, name), getattr(args, f'{name}_flag', None)) if v]
        if len(given) > 1 or not (given or name == 'config' and optional_config):
            parser.error(f'give the {name} once: as the positional {name.upper()} or --{name}')
        setattr(args, name, given[0] if given else None)
    if args.batch_size < 1:
        parser.error('--batch-size must be >= 1')
    return args


def predictor_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of a :class:`~custom_modules.apis.Predictor` from the flags."""
    return dict(device=args.device, cfg_options=args.cfg_options, trust=args.trust_checkpoint)


def add_image_source_args(parser: argparse.ArgumentParser, folder_flag: str,
                          folder_help: str, csv_help: str) -> None:
    """One of ``--csv``, ``--list`` or a folder flag, and ``--image-dir`` for the first two."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--csv', help=csv_help)
    source.add_argument('--list', help='MMPretrain list, `path [label]` per line')
    source.add_argument(folder_flag, help=folder_help)
    parser.add_argument('--image-dir', help='folder the --csv ids / --list paths are in')
