"""One self-contained ``report.html`` for a solution's work dir (no server, no network).

Sections: the runner's stage tables (train, inference), the CV tables, the ensemble weights,
the rules judged on OOF, the TTA effect, the submission's class distribution against the
training one, and every figure the runs left. Each reads what exists and says what does not.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from custom_modules.utils.atomic import atomic_write_text

from .distribution import distribution_section
from .gallery import figures_section
from .html import missing, page
from .source import REPORT_FILE, ReportSource
from .tables import cv_section, rules_section, stages_section, tta_section, weights_section

# A file of the wrong shape (a hand-edited JSON, an older format) spoils its section only.
SECTION_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _guarded(build: Callable[[], str], what: str) -> str:
    try:
        return build()
    except SECTION_ERRORS as err:
        return missing(f'{what}: unexpected contents ({type(err).__name__}: {err})')


def render_report(source: ReportSource, generated: str | None = None) -> str:
    """The report's HTML.

    Args:
        source: The work dir, solution, data root and flow.
        generated: The date line (default: now, local time).
    """
    wd, name = source.work_dir, source.solution
    by_dir = [('stages', 'Stages', lambda: stages_section(wd, name), 'stages_*.json'),
              ('cv', 'Cross-validation', lambda: cv_section(wd, name), 'cv_report.json'),
              ('weights', 'Ensemble weights', lambda: weights_section(wd, name),
               'ensemble_weights.json'),
              ('rules', 'Rules on OOF', lambda: rules_section(wd, name), 'rules_oof.json'),
              ('tta', 'Test-time augmentation', lambda: tta_section(wd, name), 'tta_oof.json'),
              ('distribution', 'Class distribution', lambda: distribution_section(source),
               'submission.csv / lists'),
              ('figures', 'Curves and figures', lambda: figures_section(source), 'figures')]
    sections = [(anchor, title, _guarded(build, what)) for anchor, title, build, what in by_dir]
    root = source.data_root.resolve() if source.data_root is not None else 'unknown'
    facts = [('solution', name), ('generated', generated or time.strftime('%Y-%m-%d %H:%M:%S')),
             ('data root', root),
             ('work dir', wd.resolve())]
    if source.flow:
        facts.insert(1, ('flow', source.flow))
    return page(f'podium run report: {name}', facts, sections)


def write_report(source: ReportSource, out: str | Path | None = None) -> Path:
    """Render and write the report (default ``<work_dir>/report.html``) in one step."""
    out = Path(out) if out is not None else source.work_dir / REPORT_FILE
    return atomic_write_text(out, render_report(source))
