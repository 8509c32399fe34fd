"""custom_modules.data_prep.download.report: first listed copy wins, conflicts, the report."""
from __future__ import annotations

import csv

from custom_modules.data_prep.download import Result, Summary, first_copy_wins, note_conflicts
from custom_modules.data_prep.download.report import DownloadLog, write_report


def test_first_listed_copy_is_kept_whatever_finished_first():
    late_first = Result('cat', 3, 'u/a.jpg', 'duplicate', 'cat/abc.jpg', 10, 'abc', 1,
                        'same content as cat/abc.jpg')
    early_second = Result('cat', 5, 'u/b.jpg', 'ok', 'cat/abc.jpg', 10, 'abc', 1)
    other = Result('cat', 6, 'u/c.jpg', 'ok', 'cat/def.jpg', 10, 'def', 1)
    failed = Result('cat', 7, 'u/d.jpg', 'failed', reason='HTTP 404')
    summary = Summary([late_first, early_second, other, failed])
    first_copy_wins(summary)
    assert [r.status for r in summary.results] == ['ok', 'duplicate', 'ok', 'failed']
    assert late_first.reason == '' and early_second.reason == 'same content as cat/abc.jpg'


def test_a_file_kept_by_an_earlier_run_stays_the_first():
    new = Result('cat', 2, 'u/new.jpg', 'duplicate', 'cat/abc.jpg', 10, 'abc', 1, 'same')
    kept = Result('cat', 4, 'u/old.jpg', 'skipped', 'cat/abc.jpg', 10, 'abc', 0, 'earlier run')
    summary = Summary([new, kept])
    first_copy_wins(summary)
    assert new.status == 'duplicate' and kept.status == 'skipped'


def test_conflicts_report_and_log(tmp_path):
    cat = Result('cat', 1, 'u/a.jpg', 'ok', 'cat/abc.jpg', 10, 'abc', 1)
    dog = Result('dog', 1, 'u/a.jpg', 'ok', 'dog/abc.jpg', 10, 'abc', 1)
    failed = Result('dog', 2, 'u/b.jpg', 'failed', attempts=3, reason='HTTP 503')
    summary = Summary([cat, dog, failed])
    note_conflicts(summary)
    assert cat.reason == 'same image also in class dog (label conflict)'
    assert failed.reason == 'HTTP 503'
    assert list(summary.failure_lines()) == ['  dog.urls:2: u/b.jpg: HTTP 503 (3 attempt(s))']
    write_report(tmp_path / 'report.csv', summary.results)
    with open(tmp_path / 'report.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert [r['status'] for r in rows] == ['ok', 'ok', 'failed'] and rows[2]['attempts'] == '3'

    log = DownloadLog(tmp_path)
    (tmp_path / 'cat').mkdir()
    (tmp_path / 'cat' / 'abc.jpg').write_bytes(b'x')
    for result in summary.results:
        log.append(result)
    with open(log.path, 'a') as f:
        f.write('{"cls": "cut by a cra')  # a crash mid-line is ignored
    assert list(log.kept()) == [('cat', 'u/a.jpg')]  # dog's file is gone, b failed
