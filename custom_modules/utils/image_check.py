"""Every image fully decoded before a run: in parallel, every failure at once, cached.

A header read misses truncated or corrupt pixel data: training would then crash at the file's
first load (in a validation fold, after a whole epoch), naming one file per run. Decoding every
pixel (Pillow ``load()``, with truncated images refused) finds them all before any training. The
work is spread over a process pool in chunks, and each result is kept in a small JSON cache keyed
by path, size and mtime (:func:`decode_cache_for`), so that a rerun on unchanged files decodes
nothing.
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_write_json
from .images import check_image
from .validation import Problems

CACHE_VERSION = 1
INLINE_BELOW = 64  # fewer images than this are decoded here: a pool would cost more
CRASHED = 'the image decoder crashed (its worker process died) on this file or one near it'


def decode_reason(path: str | Path) -> str | None:
    """None if every pixel of ``path`` decodes, else the reason (truncated data fails)."""
    from PIL import ImageFile

    saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return check_image(path, decode=True)
    except Exception as err:  # any decoder failure (a decompression bomb...) names the file
        return f'unreadable image ({type(err).__name__}: {err})'
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _decode_chunk(paths: list[str]) -> list[str | None]:
    return [decode_reason(p) for p in paths]


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


class DecodeCache:
    """``{absolute path: [size, mtime_ns, reason]}`` in a JSON file (None: nothing is kept)."""

    def __init__(self, file: str | Path | None) -> None:
        self.file = None if file is None else Path(file)
        self.entries: dict[str, list] = {}
        self.dirty = False
        if self.file is not None:
            try:
                data = json.loads(self.file.read_text(encoding='utf-8'))
                if data.get('version') == CACHE_VERSION and isinstance(data.get('images'), dict):
                    self.entries = data['images']
            except (OSError, ValueError, AttributeError):
                pass  # absent or damaged: start afresh

    def get(self, path: str, stamp: list[int]) -> tuple[bool, str | None]:
        """``(hit, reason)`` for a file whose size and mtime are ``stamp``."""
        entry = self.entries.get(path)
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == stamp:
            return True, entry[2]
        return False, None

    def put(self, path: str, stamp: list[int], reason: str | None) -> None:
        self.entries[path] = [*stamp, reason]
        self.dirty = True

    def save(self) -> None:
        """Writes the cache atomically; a cache that cannot be written is only a lost speed-up."""
        if self.file is None or not self.dirty:
            return
        try:
            atomic_write_json(self.file, {'version': CACHE_VERSION, 'images': self.entries},
                              indent=None)
        except OSError:
            pass


@dataclass
class DecodeReport:
    """What :func:`check_images` found: a reason (or None) per image, and what it cost."""

    reasons: dict[Path, str | None] = field(default_factory=dict)
    decoded: int = 0
    cached: int = 0
    seconds: float = 0.0

    @property
    def bad(self) -> dict[Path, str]:
        return {p: r for p, r in self.reasons.items() if r}


def decode_cache_for(data_root: str | Path) -> Path:
    """The decode cache of a data folder: ``$PODIUM_CACHE/decode_check/<hash of its path>.json``.

    Per user, not in the data or work folder: a preflight writes nothing there, and the
    results of a failed check are kept for the rerun after the bad files are fixed.
    """
    import hashlib

    from custom_modules.compat.checkpoint import cache_root

    key = hashlib.sha1(str(Path(data_root).resolve()).encode()).hexdigest()[:16]
    return cache_root() / 'decode_check' / f'{Path(data_root).name}-{key}.json'


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _decode_many(paths: list[str], workers: int) -> list[str | None]:
    """Decodes ``paths`` over a process pool, a chunk per task (fork where it exists)."""
    import multiprocessing as mp

    chunk = max(8, min(256, math.ceil(len(paths) / (workers * 4))))
    chunks = [paths[i:i + chunk] for i in range(0, len(paths), chunk)]
    ctx = mp.get_context('fork' if 'fork' in mp.get_all_start_methods() else 'spawn')
    results: list[str | None] = []
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        futures = [pool.submit(_decode_chunk, c) for c in chunks]
        for part, future in zip(chunks, futures):
            try:
                results.extend(future.result())
            except BrokenProcessPool:
                results.extend([CRASHED] * len(part))
    return results


def check_images(paths: Iterable[str | Path], *, decode: bool = True,
                 cache_file: str | Path | None = None, workers: int | None = None,
                 inline_below: int = INLINE_BELOW) -> DecodeReport:
    """Checks every image: fully decoded (default) or its header only (``decode=False``).

    Args:
        paths: The images (duplicates are checked once).
        decode: Decode every pixel; False reads headers only (fast, misses truncated data).
        cache_file: JSON cache of decode results by path, size and mtime (None: no cache).
        workers: Processes (default: this machine's cores).
        inline_below: Fewer images to decode than this are decoded in this process.
    """
    t0 = time.monotonic()
    unique = list(dict.fromkeys(p if isinstance(p, Path) else Path(p) for p in paths))
    report = DecodeReport()
    if not decode:
        report.reasons = {p: check_image(p) for p in unique}
        return report
    cache = DecodeCache(cache_file)
    todo: list[tuple[Path, str, list[int]]] = []
    for path in unique:
        key = str(path) if path.is_absolute() else os.path.abspath(path)  # no symlink walk
        stamp = _stamp(key)
        hit, reason = (False, None) if stamp is None else cache.get(key, stamp)
        if hit:
            report.reasons[path] = reason
            report.cached += 1
        elif stamp is None:
            report.reasons[path] = check_image(path)  # names why it cannot be read
        else:
            todo.append((path, key, stamp))
    workers = max(1, workers or default_workers())
    keys = [key for _, key, _ in todo]
    if len(todo) < inline_below or workers == 1:
        found = _decode_chunk(keys)
    else:
        found = _decode_many(keys, workers)
    for (path, key, stamp), reason in zip(todo, found):
        report.reasons[path] = reason
        if reason != CRASHED:
            cache.put(key, stamp, reason)
    report.decoded = len(todo)
    cache.save()
    report.seconds = time.monotonic() - t0
    return report


def report_unreadable(items: Sequence[tuple[Path, str | Path, int | None]], problems: Problems,
                      decode: bool = True,
                      cache_file: str | Path | None = None) -> DecodeReport:
    """Checks the images of ``items`` ``(image, file to name, line)`` all at once; each bad one is
    a problem of that file and line (naming the image when the file is another one, a CSV)."""
    report = check_images([image for image, _, _ in items], decode=decode, cache_file=cache_file)
    for image, file, line in items:
        reason = report.reasons.get(Path(image))
        if reason:
            named = Path(file) == Path(image)
            problems.add(file, line, reason if named else f'{image}: {reason}')
    if report.decoded >= INLINE_BELOW:
        print(f'[podium] decoded {report.decoded} image(s) in {report.seconds:.1f} s '
              f'({report.cached} unchanged since the last check); {len(report.bad)} unreadable',
              flush=True)
    return report
