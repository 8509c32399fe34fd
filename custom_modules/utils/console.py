"""What a console shows of an OpenMMLab tool's output; its log file keeps every line.

mmengine writes log records (``11/30 07:19:55 - mmengine - INFO - message``) and, between them,
multi-line blocks: the environment and the whole config at the start, the hook order table,
evaluation prints, warnings. A person watching a run wants the progress and the metrics, and
every error; :class:`ConsoleFilter` decides that line by line with a small state machine:

* a record is shown when it is an error, a warning that is not a deprecation notice, or an info
  record whose message is progress or a result (``Epoch(train)``, ``Epoch(val)``, checkpoint
  saving, best checkpoints, resuming);
* the lines after a record belong to it: shown after a shown warning or error, hidden after an
  info record; after the ``Config:``, environment and hook-order records (dumps) they are hidden
  even when they mention an error (config keys can);
* a traceback or a ``[tool] error:`` line is always shown, and so is the rest of the traceback;
  outside a dump, so is any line naming an ``Error``.
"""
from __future__ import annotations

import re

ANSI = re.compile(r'\x1b\[[0-9;]*m')
RECORD = re.compile(r'^\d\d/\d\d \d\d:\d\d:\d\d - \S+ - (?P<level>DEBUG|INFO|WARNING|ERROR|'
                    r'CRITICAL) - ?(?P<message>.*)$')
SHOWN_INFO = re.compile(
    r'^((Epoch|Iter)\((train|val|test)\)|Saving checkpoint|The best checkpoint|'
    r'best checkpoint so far|new best|Load checkpoint from|resumed epoch|'
    r'Auto resumed from the latest checkpoint (?!None)|--validate)')
DUMP = re.compile(r'^(Config:|Hooks will be executed|System environment|$)')
QUIET_WARNING = re.compile(r'deprecated|The prefix is not set in metric class')
ALWAYS = re.compile(r'^(Traceback \(most recent call last\)|\[[\w.-]+\] error: )')


class ConsoleFilter:
    """Call it on each line of output, in order: True for the lines a console should show."""

    def __init__(self) -> None:
        self.state = 'hide'  # 'show' | 'hide' | 'dump': what the lines after a record get

    def __call__(self, line: str) -> bool:
        text = ANSI.sub('', line).rstrip('\r\n')
        record = RECORD.match(text)
        if record:
            return self._record(record['level'], record['message'])
        if ALWAYS.match(text):
            self.state = 'show'
            return True
        if self.state == 'dump':
            return False
        return self.state == 'show' or 'Error' in text

    def _record(self, level: str, message: str) -> bool:
        if level in ('ERROR', 'CRITICAL'):
            shown = True
        elif level == 'WARNING':
            shown = not QUIET_WARNING.search(message)
        else:
            shown = bool(SHOWN_INFO.match(message))
        if level in ('DEBUG', 'INFO'):
            self.state = 'dump' if DUMP.match(message) else 'hide'
        else:
            self.state = 'show' if shown else 'hide'
        return shown
