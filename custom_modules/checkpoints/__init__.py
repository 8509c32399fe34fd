"""Pretrained weights: where they come from, a verified resumable download, and their status.

``tools/checkpoints.py`` is the command line over this package.
"""
from .catalog import UNKNOWN_SOURCE, Entry, entries, is_solution, manifest_paths
from .convert_lite import (
    CONVERTED,
    ConversionError,
    convert_lite,
    convert_state_dict,
    package_source,
    verify_converted,
)
from .fetch import ChecksumMismatch, FetchError, FetchOptions, download, part_path, with_mirror
from .sources import Weight, file_status, find_url, manifest_weights, name_sha256_prefix, zoo_index

__all__ = [
    'CONVERTED', 'UNKNOWN_SOURCE', 'ChecksumMismatch', 'ConversionError', 'Entry', 'FetchError',
    'FetchOptions', 'Weight', 'convert_lite', 'convert_state_dict', 'package_source',
    'verify_converted',
    'download', 'entries', 'file_status', 'find_url', 'is_solution', 'manifest_paths',
    'manifest_weights', 'name_sha256_prefix', 'part_path', 'with_mirror', 'zoo_index',
]
