"""The validation vocabulary: problems with file and line, reported all at once.

Every reader of user data follows two rules: bad input is reported with the file and the line
(every problem, not the first one), and nothing half-written is left behind
(see :mod:`custom_modules.utils.atomic`).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PodiumError

MAX_SHOWN_PROBLEMS = 50
MAX_LISTED = 5  # items named in a one-line error message
# Cells that mean "no value" in CSVs written by pandas, R or spreadsheets (compared lower-cased).
# `NA` and `None` are left out: both are plausible class names (North America, no action).
NA_TOKENS = frozenset({'nan', 'n/a', '#n/a', 'null', '<na>'})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    Args:
        file: The file at fault.
        line: 1-based line in that file (the header is line 1), or None for the whole file.
        message: What is wrong, in words a user can act on.
    """

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f'{self.file}:{self.line}'
        return f'{where}: {self.message}'


class DataError(PodiumError, ValueError):
    """Invalid input data, with every problem found (file, line, message)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:MAX_SHOWN_PROBLEMS]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f'... and {more} more')
        super().__init__(f'{len(self.problems)} problem(s) in the input:\n  ' + '\n  '.join(shown))


@dataclass
class Problems:
    """Collects problems so that a reader can report all of them at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, file: str | Path, line: int | None, message: str) -> None:
        self.items.append(Problem(str(file), line, message))

    def add_rows(self, file: str | Path, lines: Iterable[int], message: str) -> None:
        """Adds the same message for each of ``lines``."""
        for line in lines:
            self.add(file, int(line), message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise DataError(self.items)


def list_some(items: Iterable[Any], limit: int = MAX_LISTED) -> str:
    """Names a few items of a possibly long collection for an error message."""
    items = sorted(items, key=str) if isinstance(items, (set, frozenset)) else list(items)
    shown = ', '.join(repr(i) for i in items[:limit])
    more = f' ... ({len(items)} in all)' if len(items) > limit else ''
    return f'[{shown}{more}]'


def read_table(path: str | Path, required: Sequence[str], problems: Problems):
    """Reads a CSV as strings, checks its columns and adds a ``_line`` column (1-based line).

    Cells are stripped; empty and NaN-like cells (:data:`NA_TOKENS`) in required columns are
    reported, as are empty and header-only files. Returns None (and records
    the problem) when the file is missing, unreadable or lacks a required column.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        problems.add(path, None, 'file not found')
        return None
    if path.stat().st_size == 0:
        header = f' ({",".join(required)})' if required else ''
        problems.add(path, None, f'empty file (0 bytes): expected a header line{header} and rows')
        return None
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        problems.add(path, None, f'not a readable CSV ({err})')
        return None
    df.columns = [str(c).strip() for c in df.columns]
    starts = record_lines(path)
    if starts is None or len(starts) != len(df) + 1:  # csv and pandas disagree: plain count
        starts = list(range(1, len(df) + 2))
    missing = [c for c in required if c not in df.columns]
    if missing:
        problems.add(path, starts[0], f'missing column(s) {missing}; found {list(df.columns)}')
        return None
    for col in df.columns:
        df[col] = df[col].str.strip()
    df['_line'] = np.array(starts[1:], dtype=np.int64)
    if len(df) == 0:
        problems.add(path, None, 'no rows: the file has a header line only')
    for col in required:
        empty = df.loc[df[col] == '', '_line']
        problems.add_rows(path, empty, f'empty value in column {col!r}')
        missing = df.loc[df[col].str.lower().isin(NA_TOKENS), '_line']
        problems.add_rows(path, missing, f'missing value (NaN) in column {col!r}')
    return df


def record_lines(path: Path) -> list[int] | None:
    """The 1-based line on which each CSV record starts, header first, counted as pandas reads
    records: blank and whitespace-only lines skipped, a quoted cell may span lines. So that a
    row's line is right in a file with blank lines in it. None if the csv module cannot read it.
    """
    import csv

    starts, end = [], 0
    try:
        with open(path, newline='', encoding='utf-8-sig') as f:
            reader = csv.reader(f)
            for record in reader:
                if len(record) > 1 or (record and record[0].strip()):
                    starts.append(end + 1)
                end = reader.line_num
    except (csv.Error, OSError, UnicodeDecodeError):
        return None
    return starts


def report_duplicates(df, column: str, file: str | Path, problems: Problems) -> None:
    """Reports every repeated value of ``column``, naming the line of its first occurrence."""
    dup = df[column].duplicated(keep='first') & (df[column] != '')
    if not dup.any():
        return
    first = df.drop_duplicates(column).set_index(column)['_line']
    for value, line in zip(df.loc[dup, column], df.loc[dup, '_line']):
        problems.add(file, int(line),
                     f'duplicate {column} {value!r} (first on line {first[value]})')


def read_class_list(path: str | Path, problems: Problems | None = None) -> list[str]:
    """Reads a class list: one name per line, blank lines ignored, no repeats, not empty.

    With ``problems`` the faults are added there (the caller reports them with others); without,
    they raise :class:`DataError` at once.
    """
    own = problems is None
    problems = Problems() if own else problems
    path = Path(path)
    classes: list[str] = []
    try:
        text = path.read_text(encoding='utf-8')
    except FileNotFoundError:
        problems.add(path, None, 'class list not found')
        text = None
    except (OSError, UnicodeDecodeError) as err:
        problems.add(path, None, f'cannot read the class list ({err})')
        text = None
    if text is not None:
        seen: dict[str, int] = {}
        for i, raw in enumerate(text.splitlines(), start=1):
            name = raw.strip()
            if not name:
                continue
            if name in seen:
                problems.add(path, i, f'class {name!r} repeated (first on line {seen[name]})')
                continue
            seen[name] = i
            classes.append(name)
        if not classes:
            problems.add(path, None, 'class list is empty')
    if own:
        problems.raise_if_any()
    return classes


def read_lines(path: str | Path) -> list[str]:
    """The non-blank lines of a text file, stripped (id lists, class lists written by podium)."""
    return [line.strip() for line in Path(path).read_text(encoding='utf-8').splitlines()
            if line.strip()]


def duplicated(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, in first-seen order."""
    return [n for n, c in Counter(names).items() if c > 1]


def parse_multipliers(items: Sequence[str]) -> dict[str, int]:
    """Parses ``name=int`` pairs (e.g. ``jay_walk=2``); raises DataError on bad ones."""
    out: dict[str, int] = {}
    bad = Problems()
    for item in items:
        name, sep, value = item.partition('=')
        if not sep or not name.strip() or not value.strip().isdigit() or int(value) < 1:
            bad.add('--oversample', None,
                    f'bad multiplier {item!r}: expected CLASS=N with an integer N >= 1')
            continue
        out[name.strip()] = int(value)
    bad.raise_if_any()
    return out
