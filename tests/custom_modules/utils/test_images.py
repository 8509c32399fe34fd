"""custom_modules.utils.images: one extension list, listing, indexing, header checks."""
from __future__ import annotations

import numpy as np
from PIL import Image

from custom_modules.utils.images import (
    IMAGE_EXTS,
    check_image,
    image_size,
    index_images,
    is_image_name,
    list_images,
)


def _png(path, size=(5, 3)):
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(noise).save(path)
    return path


def test_listing_and_index(tmp_path):
    _png(tmp_path / 'b.png')
    _png(tmp_path / 'sub' / 'a.PNG')
    _png(tmp_path / 'twice.png')
    (tmp_path / 'twice.jpg').write_bytes((tmp_path / 'twice.png').read_bytes())
    (tmp_path / 'notes.txt').write_text('not an image')
    assert list_images(tmp_path) == ['b.png', 'sub/a.PNG', 'twice.jpg', 'twice.png']
    index = index_images(tmp_path)
    assert index['b'] == index['b.png'] == 'b.png' and index['sub/a'] == 'sub/a.PNG'
    assert index['twice'] == '' and index['twice.jpg'] == 'twice.jpg'  # ambiguous stem
    assert is_image_name('X.JPEG') and not is_image_name('x.txt') and '.webp' in IMAGE_EXTS


def test_size_and_check(tmp_path):
    good = _png(tmp_path / 'good.png', size=(70, 40))
    assert image_size(good) == (70, 40) == image_size(good, decode=True)
    assert check_image(good) is None
    (tmp_path / 'empty.png').write_bytes(b'')
    assert check_image(tmp_path / 'empty.png') == 'empty file (0 bytes)'
    (tmp_path / 'junk.jpg').write_bytes(b'junk')
    assert image_size(tmp_path / 'junk.jpg').startswith('unreadable image')
    cut = tmp_path / 'cut.png'
    cut.write_bytes(good.read_bytes()[:4000])  # of about 8.5 kB
    assert check_image(cut) is None  # the header is whole
    assert check_image(cut, decode=True).startswith('unreadable image')
