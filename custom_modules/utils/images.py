"""Image files: the one extension list, listing and indexing a folder, reading a header.

Every podium tool that looks for images in a folder uses :data:`IMAGE_EXTS` and these
functions, so that a file one tool lists is a file every other tool finds.
"""
from __future__ import annotations

import os
from pathlib import Path

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif', '.tiff', '.webp')


def is_image_name(name: str | Path) -> bool:
    """Whether ``name`` ends in one of :data:`IMAGE_EXTS` (case-insensitive)."""
    return os.path.splitext(str(name))[1].lower() in IMAGE_EXTS


def list_images(folder: str | Path) -> list[str]:
    """Relative paths (with ``/``) of every image file under ``folder``, sorted."""
    found = []
    for dirpath, _, names in os.walk(folder):
        rel_dir = os.path.relpath(dirpath, folder)
        for name in names:
            if is_image_name(name):
                found.append(name if rel_dir == '.' else f'{rel_dir}/{name}'.replace(os.sep, '/'))
    return sorted(found)


def index_images(folder: str | Path) -> dict[str, str]:
    """Maps both ``name.ext`` and ``name`` of every image under ``folder`` to its relative path.

    A stem shared by two files maps to ``''`` (ambiguous: the id must give the extension).
    """
    index: dict[str, str] = {}
    for rel in list_images(folder):
        index[rel] = rel
        stem = os.path.splitext(rel)[0]
        index[stem] = '' if stem in index and index[stem] != rel else rel
    return index


def image_size(path: str | Path, decode: bool = False) -> tuple[int, int] | str:
    """(width, height) from the image header, or the reason it cannot be read.

    Args:
        path: The image file.
        decode: Also decode every pixel (slow; finds truncated or corrupt data).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        if Path(path).stat().st_size == 0:
            return 'empty file (0 bytes)'
        with Image.open(path) as im:
            if decode:
                im.load()
            return im.width, im.height
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as err:
        return f'unreadable image ({err})'


def check_image(path: str | Path, decode: bool = False) -> str | None:
    """None if ``path`` is a readable image, else the reason. Reads the header unless ``decode``."""
    size = image_size(path, decode)
    if isinstance(size, str):
        return size
    if size[0] < 1 or size[1] < 1:
        return 'image has no pixels'
    return None
