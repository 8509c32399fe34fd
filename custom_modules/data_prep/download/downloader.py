"""Download class-labelled images safely: ``URL_DIR/<class>.urls`` -> ``OUT_DIR/<class>/``.

``URL_DIR`` holds one ``<class>.urls`` file per class, one URL a line (blank lines and ``#``
comments skipped). Every URL is fetched in a thread pool with the checks of
:mod:`.fetch` (http(s) only, time limits, retries with backoff, a size cap, a full decode).

Files are named ``<first 16 hex of SHA-256>.<format's extension>``, so neither the URL nor the
server chooses a path (no traversal), and the same content within a class is kept once
(``duplicate``); the same content in two classes is reported as a label conflict. Files are
written atomically and the log lets a rerun skip what is already there (:mod:`.report`).
"""
from __future__ import annotations

import hashlib
import re
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from custom_modules.utils.atomic import atomic_write_bytes
from custom_modules.utils.validation import Problems

from .fetch import FetchFailed, Options, fetch_image
from .report import (
    REPORT_NAME,
    DownloadLog,
    Result,
    Summary,
    first_copy_wins,
    note_conflicts,
    write_report,
)

CLASS_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9 _.+-]*$')
# temporaries an interrupted run may leave: atomic_write's (``.<name>.<random>.tmp<ext>``) and
# those of podium versions before it (``.<random>.part``)
PARTIAL_GLOBS = ('*/.*.tmp*', '*/.*.part')


@dataclass
class Job:
    """One URL to fetch: its class, its place in the class's file, the URL."""

    cls: str
    line: int
    url: str


def read_jobs(url_dir: str | Path) -> list[Job]:
    """Every URL of ``URL_DIR/*.urls``.

    Raises:
        DataError: Every bad class name and bad URL, with file and line.
    """
    url_dir = Path(url_dir)
    problems = Problems()
    files = sorted(url_dir.glob('*.urls')) if url_dir.is_dir() else []
    if not files:
        problems.add(url_dir, None, 'no <class>.urls files found')
    jobs = []
    for path in files:
        cls = path.stem
        if not CLASS_NAME.match(cls) or cls in ('.', '..'):
            problems.add(path, None, f'class name {cls!r} is not a safe folder name (letters, '
                         'digits, space, _ . + -; not starting with . or -)')
            continue
        for number, raw in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            url = raw.strip()
            if not url or url.startswith('#'):
                continue
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ('http', 'https') or not parts.netloc:
                problems.add(path, number, f'not an http(s) URL: {url[:100]!r}')
                continue
            jobs.append(Job(cls, number, url))
    problems.raise_if_any()
    return jobs


class Downloader:
    """Fetches jobs into ``out_dir``, keeps the log, dedupes by content (thread-safe)."""

    def __init__(self, out_dir: str | Path, opts: Options) -> None:
        self.out_dir = Path(out_dir)
        self.opts = opts
        self.lock = threading.Lock()
        self.log = DownloadLog(self.out_dir)

    def clean_partials(self) -> None:
        """Deletes the temporary files left by an interrupted run."""
        for pattern in PARTIAL_GLOBS:
            for part in self.out_dir.glob(pattern):
                part.unlink(missing_ok=True)

    def run(self, job: Job) -> Result:
        """Fetches one URL and stores it; a failure becomes a ``failed`` result."""
        try:
            data, ext, attempts = fetch_image(job.url, self.opts)
        except FetchFailed as err:
            return self.log.append(Result(job.cls, job.line, job.url, 'failed',
                                          attempts=err.attempts, reason=err.reason))
        return self._store(job, data, ext, attempts)

    def _store(self, job: Job, data: bytes, ext: str, attempts: int) -> Result:
        digest = hashlib.sha256(data).hexdigest()
        rel = f'{job.cls}/{digest[:16]}{ext}'
        path = self.out_dir / rel
        with self.lock:  # one writer per name: the second of two equal images is a duplicate
            status = 'duplicate' if path.is_file() else 'ok'
            if status == 'ok':
                atomic_write_bytes(path, data)
        return self.log.append(Result(job.cls, job.line, job.url, status, rel, len(data),
                                      digest, attempts,
                                      '' if status == 'ok' else 'same content as ' + rel))


def download(url_dir: str | Path, out_dir: str | Path, opts: Options | None = None,
             workers: int = 8, progress: bool = True) -> Summary:
    """Fetches every URL of ``url_dir`` into ``out_dir`` and writes the report.

    URLs an earlier run kept (per the log, with the file still there) are ``skipped``; failed
    ones are tried again. The report (``out_dir/download_report.csv``) lists every URL in the
    order of the ``.urls`` files.

    Raises:
        DataError: The URL lists are bad (nothing is fetched, ``out_dir`` is not created).
    """
    from tqdm import tqdm

    opts = opts or Options()
    jobs = read_jobs(url_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    loader = Downloader(out_dir, opts)
    loader.clean_partials()
    done = loader.log.kept()
    results: dict[int, Result] = {}
    todo = []
    for k, job in enumerate(jobs):
        old = done.get((job.cls, job.url))
        if old is not None:
            results[k] = Result(job.cls, job.line, job.url, 'skipped', old.file, old.bytes,
                                old.sha256, 0, f'downloaded by an earlier run ({old.status})')
        else:
            todo.append((k, job))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool, \
            tqdm(total=len(todo), desc='download', unit='url', disable=not progress) as bar:
        futures = {pool.submit(loader.run, job): k for k, job in todo}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            bar.update(1)
    summary = Summary([results[k] for k in range(len(jobs))])
    first_copy_wins(summary)
    note_conflicts(summary)
    write_report(out_dir / REPORT_NAME, summary.results)
    return summary
