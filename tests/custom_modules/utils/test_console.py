"""custom_modules.utils.console: the console shows progress, metrics and errors; dumps stay in the
log file. Checked on a real log (``bash train.sh 1 demo``, its detector run) and on the cases
that log does not hold."""
from __future__ import annotations

import re
from pathlib import Path

from custom_modules.utils.console import ConsoleFilter

REAL_LOG = Path(__file__).parent / 'data' / 'mmengine_train_detector_demo.log'
TIME = '11/30 07:19:55 - mmengine -'


def shown(lines: list[str]) -> list[str]:
    keep = ConsoleFilter()
    return [line for line in lines if keep(line)]


def test_real_log_shows_metrics_and_checkpoints_only():
    lines = REAL_LOG.read_text().splitlines(keepends=True)
    expected = [line for line in lines if re.search(
        r' - mmengine - INFO - (Epoch\((train|val)\)|Saving checkpoint|The best checkpoint)',
        line)]
    assert len(expected) == 21  # 12 train + 4 val progress lines, 4 saves, 1 best
    assert shown(lines) == expected
    text = ''.join(lines)  # what the log file keeps and the console does not
    for hidden in ('Config:', 'model = dict(', 'System environment:', 'before_train_epoch:',
                   'loading annotations into memory', 'bbox_mAP_copypaste', 'FileClient'):
        assert hidden in text


def test_tracebacks_and_errors_always_show():
    lines = [f'{TIME} INFO - Config:\n', "loss = dict(type='NoSuchError')\n", ']\n',
             'Traceback (most recent call last):\n', '  File "tools/train.py", line 9\n',
             'KeyError: "NoSuchError is not in the registry"\n']
    assert shown(lines) == lines[3:]  # a config key naming an error stays hidden
    lines = [f'{TIME} INFO - Exp name: x\n', 'index created!\n',
             'RuntimeError: CUDA out of memory\n', '[train] error: no such file\n', 'detail\n']
    assert shown(lines) == lines[2:]


def test_warnings_and_error_records():
    lines = [f'{TIME} WARNING - "FileClient" will be deprecated in future.\n',
             f'{TIME} WARNING - The model and loaded state dict do not match exactly\n',
             'missing keys in source state_dict: head.fc.weight\n',
             f'{TIME} INFO - Checkpoints will be saved to /w.\n', 'noise\n',
             f'{TIME} ERROR - evaluation failed\n', '  because of this\n']
    assert shown(lines) == [lines[1], lines[2], lines[5], lines[6]]


def test_dumps_end_at_the_next_record_and_colours_do_not_matter():
    lines = [f'{TIME} INFO - \n', '----\n', 'System environment:\n', '    sys.platform: linux\n',
             f'{TIME} INFO - Hooks will be executed in the following order:\n',
             '(VERY_HIGH   ) RuntimeInfoHook\n',
             f'\x1b[4m\x1b[97m{TIME}\x1b[0m INFO - Epoch(train) [1][5/5]  loss: 1.0\n',
             f'{TIME} INFO - Auto resumed from the latest checkpoint None.\n',
             f'{TIME} INFO - Auto resumed from the latest checkpoint /w/epoch_3.pth.\n',
             f'{TIME} INFO - resumed epoch: 3, iter: 30\n']
    assert shown(lines) == [lines[6], lines[8], lines[9]]
