"""custom_modules.utils.cli.run_cli: podium errors are one line and an exit status."""
from __future__ import annotations

import pytest

from custom_modules.utils import DataError, InputError, Problem, RunFailed, run_cli


def failing(error):
    def main(argv):
        raise error
    return main


@pytest.mark.parametrize('error, status', [
    (DataError([Problem('train.csv', 3, 'unknown class')]), 2),
    (InputError('put the weights at checkpoints/x.pth'), 2),
    (RunFailed('train tsm1 failed (exit code 1)'), 1),
])
def test_podium_errors_print_one_message_and_their_status(error, status, capsys):
    assert run_cli(failing(error), [], prog='tool') == status
    err = capsys.readouterr().err
    assert err.startswith('[tool] error: ') and 'Traceback' not in err
    assert str(error) in err


def test_status_of_main_is_passed_through():
    assert run_cli(lambda argv: None, []) == 0
    assert run_cli(lambda argv: 3, []) == 3


def test_other_exceptions_keep_their_traceback():
    with pytest.raises(ZeroDivisionError):
        run_cli(failing(ZeroDivisionError('a bug')), [])
