"""What every podium command line shares: one way to end with a clear error."""
from __future__ import annotations

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
