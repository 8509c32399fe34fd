"""Safe, resumable downloads of class-labelled images (``<class>.urls`` -> ``<class>/``)."""
from .downloader import Downloader, Job, download, read_jobs
from .fetch import Options
from .report import LOG_NAME, REPORT_NAME, Result, Summary, first_copy_wins, note_conflicts

__all__ = [
    'LOG_NAME', 'REPORT_NAME', 'Downloader', 'Job', 'Options', 'Result', 'Summary', 'download',
    'first_copy_wins', 'note_conflicts', 'read_jobs',
]
