"""Shared helpers of the data tools: validation reports, checked CSV reading, atomic outputs.

Every data tool follows the same two rules: bad input is reported with the file and the line
(all problems at once, not the first one), and nothing half-written is left behind.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MAX_SHOWN_PROBLEMS = 50


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


class DataError(ValueError):
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
    """Collects problems so that a tool can report all of them at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, file: str | Path, line: int | None, message: str) -> None:
        self.items.append(Problem(str(file), line, message))

    def add_rows(self, file: str | Path, lines: Iterable[int], message: str) -> None:
        """Adds the same message for each of `lines`."""
        for line in lines:
            self.add(file, int(line), message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise DataError(self.items)


def read_table(path: str | Path, required: Sequence[str],
               problems: Problems) -> pd.DataFrame | None:
    """Reads a CSV as strings, checks its columns and adds a `_line` column (1-based file line).

    Cells are stripped; empty cells in required columns are reported. Returns None (and records
    the problem) when the file is missing, unreadable or lacks a required column.
    """
    path = Path(path)
    if not path.is_file():
        problems.add(path, None, 'file not found')
        return None
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        problems.add(path, None, f'not a readable CSV ({err})')
        return None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        problems.add(path, 1, f'missing column(s) {missing}; found {list(df.columns)}')
        return None
    for col in df.columns:
        df[col] = df[col].str.strip()
    df['_line'] = np.arange(2, len(df) + 2)
    for col in required:
        empty = df.loc[df[col] == '', '_line']
        problems.add_rows(path, empty, f'empty value in column {col!r}')
    return df


def report_duplicates(df: pd.DataFrame, column: str, file: str | Path, problems: Problems) -> None:
    """Reports every repeated value of `column`, naming the line of its first occurrence."""
    dup = df[column].duplicated(keep='first') & (df[column] != '')
    if not dup.any():
        return
    first = df.drop_duplicates(column).set_index(column)['_line']
    for value, line in zip(df.loc[dup, column], df.loc[dup, '_line']):
        problems.add(file, int(line),
                     f'duplicate {column} {value!r} (first on line {first[value]})')


def read_class_list(path: str | Path, problems: Problems) -> list[str]:
    """Reads a class list: one class name per line, blank lines ignored, no repeats."""
    path = Path(path)
    if not path.is_file():
        problems.add(path, None, 'class list not found')
        return []
    classes: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(path.read_text(encoding='utf-8').splitlines(), start=1):
        name = raw.strip()
        if not name:
            continue
        if name in seen:
            problems.add(path, i, f'class {name!r} repeated (first on line {seen[name]})')
            continue
        seen[name] = i
        classes.append(name)
    if not classes and not problems.items:
        problems.add(path, None, 'class list is empty')
    return classes


def parse_multipliers(items: Sequence[str]) -> dict[str, int]:
    """Parses `name=int` pairs (e.g. `jay_walk=2`) into a dict; raises ValueError on bad ones."""
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep or not name.strip() or not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f'bad multiplier {item!r}: expected CLASS=N with an integer N >= 1')
        out[name.strip()] = int(value)
    return out


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Writes `data` to a temp file beside `path`, then renames it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_json(path: str | Path, obj: object) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + '\n')


def lines_text(lines: Iterable[str]) -> str:
    """Joins lines with a trailing newline (an empty list gives an empty file)."""
    lines = list(lines)
    return '\n'.join(lines) + '\n' if lines else ''


class OutputSet:
    """Files staged in a temp dir; `commit` moves them all into the output dir."""

    def __init__(self, out_dir: Path, stage_dir: Path):
        self.out_dir = out_dir
        self.stage_dir = stage_dir
        self.names: list[str] = []

    def path(self, name: str) -> Path:
        """A path to write `name` to; it reaches the output dir only on commit."""
        if name not in self.names:
            self.names.append(name)
        target = self.stage_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_text(self, name: str, text: str) -> None:
        self.path(name).write_text(text, encoding='utf-8')

    def write_lines(self, name: str, lines: Iterable[str]) -> None:
        self.write_text(name, lines_text(lines))

    def write_json(self, name: str, obj: object, indent: int | None = 2) -> None:
        self.write_text(name, json.dumps(obj, indent=indent, ensure_ascii=False) + '\n')

    def write_csv(self, name: str, df: pd.DataFrame) -> None:
        df.to_csv(self.path(name), index=False)

    def commit(self) -> list[Path]:
        """Moves every staged file into the output dir (each move is an atomic rename)."""
        done = []
        for name in self.names:
            target = self.out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.stage_dir / name, target)
            done.append(target)
        return done


@contextmanager
def staged_outputs(out_dir: str | Path) -> Iterator[OutputSet]:
    """Stages outputs in a hidden temp dir inside `out_dir` and moves them in on success.

    On any exception the staged files are deleted and the output dir is left as it was.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stage_dir = Path(tempfile.mkdtemp(prefix='.staging-', dir=out_dir))
    outputs = OutputSet(out_dir, stage_dir)
    try:
        yield outputs
        outputs.commit()
    finally:
        shutil.rmtree(stage_dir, ignore_errors=True)
