"""Reusable code the tools call: errors, atomic outputs, validation, media listing."""
from .atomic import (
    AtomicFile,
    atomic_folder,
    atomic_save_npz,
    atomic_write,
    atomic_write_bytes,
    atomic_write_csv,
    atomic_write_json,
    atomic_write_text,
    lines_text,
    move_into_place,
    staged_outputs,
    swap_folder,
)
from .cli import run_cli
from .errors import InputError, PodiumError, RunFailed
from .validation import (
    DataError,
    Problem,
    Problems,
    list_some,
    read_class_list,
    read_table,
    report_duplicates,
)

__all__ = [
    'AtomicFile', 'DataError', 'InputError', 'PodiumError', 'Problem', 'Problems', 'RunFailed',
    'atomic_folder', 'atomic_save_npz', 'atomic_write', 'atomic_write_bytes', 'atomic_write_csv',
    'atomic_write_json', 'atomic_write_text', 'lines_text', 'list_some', 'move_into_place',
    'read_class_list', 'read_table', 'report_duplicates', 'run_cli', 'staged_outputs',
    'swap_folder',
]
