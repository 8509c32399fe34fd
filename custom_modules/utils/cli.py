"""What every podium command line shares: one way to end with a clear error."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .errors import PodiumError


def run_cli(main: Callable[[Sequence[str] | None], int | None],
            argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Runs ``main(argv)`` and turns a :class:`PodiumError` into one line on stderr.

    Returns the exit status: ``main``'s own (0 when it returns None), the error's ``exit_code``
    (2 for bad input or usage, 1 for a run that failed) or 130 on Ctrl-C. Any other exception is
    a bug and propagates with its traceback.
    """
    name = prog or 'podium'
    try:
        status = main(argv)
    except PodiumError as err:
        print(f'[{name}] error: {err}', file=sys.stderr, flush=True)
        return err.exit_code
    except KeyboardInterrupt:
        print(f'[{name}] interrupted', file=sys.stderr, flush=True)
        return 130
    return 0 if status is None else int(status)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by train and test, as in OpenMMLab's tools."""
    from mmengine.config import DictAction

    parser.add_argument('--work-dir', help='directory for logs, checkpoints and dumps')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_cfg.max_epochs=2 "a.b=[1,2]"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='how the processes were launched')
    parser.add_argument('--trust-checkpoint', action='append', default=[], metavar='FILE',
                        help='allow a full unpickle of FILE (a checkpoint not written by a '
                        'podium run on this machine); repeatable')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
