"""One exception base for every failure a user can act on.

Tools and the solution runner print a :class:`PodiumError` as one message without a traceback
(see :func:`custom_modules.utils.cli.run_cli`); anything else is a bug and keeps its traceback.
"""
from __future__ import annotations


class PodiumError(Exception):
    """A failure explained in words a user can act on.

    ``exit_code`` is what a command line exits with: 2 for bad input or usage (the default),
    1 for a run that was started and failed.
    """

    exit_code = 2


class RunFailed(PodiumError):
    """A started run (a training, a subprocess, a stage) did not finish."""

    exit_code = 1


class InputError(PodiumError):
    """What a command was given (data, a manifest, weights, an earlier step's outputs) cannot be
    used; the message says what to put where (exit status 2)."""
