"""What a download run records: one result per URL, the resumable log and the final report.

The log (``download_log.jsonl``) is appended as URLs finish, so a rerun after Ctrl-C or a crash
knows what is already there. The report (``download_report.csv``) lists every URL in the order
of the ``.urls`` files, whatever order the threads finished in.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from custom_modules.utils.atomic import atomic_write_csv

LOG_NAME = 'download_log.jsonl'
REPORT_NAME = 'download_report.csv'


@dataclass
class Result:
    """What happened to one URL (a row of the report and of the log)."""

    cls: str
    line: int
    url: str
    status: str  # ok | duplicate | skipped | failed
    file: str = ''
    bytes: int = 0
    sha256: str = ''
    attempts: int = 0
    reason: str = ''


@dataclass
class Summary:
    """Counts and the failed results of a run."""

    results: list[Result] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == 'failed']

    def failure_lines(self) -> Iterator[str]:
        """One line per failed URL: ``<class>.urls:<line>: url: reason (n attempt(s))``."""
        for r in self.failed:
            yield f'  {r.cls}.urls:{r.line}: {r.url[:120]}: {r.reason} ({r.attempts} attempt(s))'


class DownloadLog:
    """The append-only JSON-lines log of finished URLs (thread-safe)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / LOG_NAME
        self.lock = threading.Lock()

    def kept(self) -> dict[tuple[str, str], Result]:
        """Successful results of earlier runs whose files are still there, by (class, url)."""
        done: dict[tuple[str, str], Result] = {}
        if not self.path.is_file():
            return done
        for line in self.path.read_text(encoding='utf-8').splitlines():
            try:
                result = Result(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line cut by a crash
            if result.status in ('ok', 'duplicate') and (self.out_dir / result.file).is_file():
                done[(result.cls, result.url)] = result
        return done

    def append(self, result: Result) -> Result:
        with self.lock, open(self.path, 'a', encoding='utf-8') as log:
            log.write(json.dumps(asdict(result)) + '\n')
        return result


def first_copy_wins(summary: Summary) -> None:
    """Of equal images in one class, report the first listed as ``ok``, the rest ``duplicate``.

    Threads finish in any order, so which copy was written first is chance; the report
    must not be (a file kept by an earlier run stays the first).
    """
    first = {r.file: r for r in summary.results if r.status == 'skipped' and r.file}
    for r in summary.results:
        if r.status not in ('ok', 'duplicate') or not r.file:
            continue
        keeper = first.setdefault(r.file, r)
        if keeper is r and r.status == 'duplicate':
            r.status, r.reason = 'ok', ''
        elif keeper is not r and r.status == 'ok':
            r.status, r.reason = 'duplicate', 'same content as ' + r.file


def note_conflicts(summary: Summary) -> None:
    """Note, on each result, content that is also kept under another class."""
    classes_of: dict[str, set[str]] = {}
    for r in summary.results:
        if r.sha256 and r.status != 'failed':
            classes_of.setdefault(r.sha256, set()).add(r.cls)
    for r in summary.results:
        others = sorted(classes_of.get(r.sha256, set()) - {r.cls})
        if others:
            note = f'same image also in class {", ".join(others)} (label conflict)'
            r.reason = f'{r.reason}; {note}' if r.reason else note


def write_report(path: Path, results: list[Result]) -> Path:
    """The report CSV, one row per result in the given order (written atomically)."""
    columns = [f.name for f in fields(Result)]
    return atomic_write_csv(path, ([getattr(r, c) for c in columns] for r in results), columns)
