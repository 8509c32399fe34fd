"""Where a run report reads from: the work dir, the files the runs leave there, the data root.

The solution runner records the solution, data root and flow in ``<work_dir>/report_source.json``
so ``tools/analysis/report.py --work-dir DIR`` can render the report later without the manifest.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custom_modules.utils.atomic import atomic_write_json

SOURCE_FILE = 'report_source.json'
REPORT_FILE = 'report.html'
STAGES_FILE = 'stages_{mode}.json'  # written by tools/run_solution.py at the end of a run
MODES = ('train', 'inference')
CV_FILE = 'cv_report.json'
WEIGHTS_FILE = 'ensemble_weights.json'
RULES_FILE = 'rules_oof.json'
TTA_FILE = 'tta_oof.json'
SUBMISSION_FILE = 'submission.csv'


@dataclass
class ReportSource:
    """What one report is about.

    Args:
        work_dir: The solution's work dir (``work_dirs/<solution>``).
        solution: Its name (the title).
        data_root: The dataset's root (its ``lists/`` give the training labels); None: unknown.
        flow: action | sports | crash | localize (None: unknown; the lists found decide).
        threshold: Crash only: a frame's probability from which it counts as the crash moment.
    """

    work_dir: Path
    solution: str = ''
    data_root: Path | None = None
    flow: str | None = None
    threshold: float = 0.5

    def __post_init__(self) -> None:
        self.work_dir = Path(self.work_dir)
        self.data_root = None if self.data_root is None else Path(self.data_root)
        self.solution = self.solution or self.work_dir.resolve().name


def save_source(source: ReportSource) -> Path:
    """Write ``<work_dir>/report_source.json`` (absolute paths; atomic)."""
    return atomic_write_json(source.work_dir / SOURCE_FILE, {
        'solution': source.solution, 'flow': source.flow, 'threshold': source.threshold,
        'data_root': None if source.data_root is None else str(source.data_root.resolve())})


def load_source(work_dir: str | Path, data_root: str | Path | None = None) -> ReportSource:
    """The source a run recorded in ``work_dir`` (defaults where it recorded none);
    ``data_root`` overrides the recorded one."""
    work_dir = Path(work_dir)
    recorded: dict[str, Any] = {}
    path = work_dir / SOURCE_FILE
    if path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding='utf-8'))
        except (OSError, ValueError):
            loaded = None  # a broken record: the defaults (the report says what it misses)
        recorded = loaded if isinstance(loaded, dict) else {}
    root = data_root if data_root is not None else recorded.get('data_root')
    threshold = recorded.get('threshold', 0.5)
    return ReportSource(work_dir=work_dir, solution=str(recorded.get('solution') or ''),
                        data_root=root, flow=recorded.get('flow'),
                        threshold=float(threshold) if isinstance(threshold, (int, float))
                        else 0.5)


def read_json(path: Path) -> tuple[Any, str | None]:
    """``(data, None)``; ``(None, None)`` when the file is absent; ``(None, why)`` when it
    cannot be read."""
    if not path.is_file():
        return None, None
    try:
        return json.loads(path.read_text(encoding='utf-8')), None
    except (OSError, ValueError) as err:
        return None, f'{path} could not be read: {err}'
