"""A real-image single-object localisation set: real product photos on real photographs.

Nothing here is drawn. The objects are Fashion-MNIST's product photos (Zalando's real catalogue
images, 28 x 28 grey on black; Debian's ``dataset-fashion-mnist`` package), two classes, balanced.
The backgrounds are photographs that installed packages ship: by default scikit-learn's
``china.jpg`` and ``flower.jpg`` and matplotlib's ``grace_hopper.jpg`` (both in the lock), or any
folder of photos (e.g. ``/usr/share/backgrounds`` of Debian's ``lomiri-wallpapers-16.04``).

Each image is a random crop of a background, resized to ``long_side`` px (random aspect ratio),
with ONE object pasted at a random place and scale. The object's mask is its pixels above
``threshold`` (largest connected part, holes filled) and its box is the tight box of the pasted
mask (``xmax``/``ymax`` exclusive, as in the demo). Deterministic from the seed. Layout (the
localize data contract, docs/solutions/localize.md)::

    train/real_train_0000.jpg + .txt   "cls xmin ymin xmax ymax"
    test/real_test_0000.jpg            no box: the hidden truth is in test_boxes.csv
    test_boxes.csv                     image_id,cls,xmin,ymin,xmax,ymax
    classes.txt, .podium-real-localize.json (what it was built from)

Built in a staging folder and swapped in whole; a non-empty folder that this builder did not
write is refused. The command line is ``tools/data/make_real_localize.py``.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from custom_modules.utils.atomic import atomic_folder
from custom_modules.utils.errors import InputError

from .idx_images import FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, read_labelled_images

MARKER = '.podium-real-localize.json'
VERSION = 1
DEFAULT_CLASSES = ('sneaker', 'ankle_boot')  # same colours and texture; they differ in shape
APT_HINT = 'apt-get install dataset-fashion-mnist'


@dataclass(frozen=True)
class RealLocalizeParams:
    """Everything that shapes the set; a change makes an existing folder stale."""

    n_train: int = 1200
    n_test: int = 300
    long_side: int = 160  # image size: long side fixed, short side in [min_aspect, 1] of it
    min_aspect: float = 0.75
    min_object: float = 0.3  # the object's longer side, as a fraction of the image's shorter
    max_object: float = 0.85
    threshold: int = 10  # object pixels: grey value above this
    min_gain: float = 0.7  # random brightness of the object, so intensity is no class cue
    max_gain: float = 1.3
    background_side: int = 640  # backgrounds are downscaled to this long side once
    quality: int = 95


def bundled_backgrounds() -> list[Path]:
    """The photographs shipped by scikit-learn and matplotlib (both pinned in the lock)."""
    import matplotlib
    import sklearn.datasets

    sk = Path(sklearn.datasets.__file__).parent / 'images'
    return [sk / 'china.jpg', sk / 'flower.jpg',
            Path(matplotlib.get_data_path()) / 'sample_data' / 'grace_hopper.jpg']


def find_backgrounds(sources: Sequence[str | Path]) -> list[Path]:
    """Image files named in ``sources`` (files, or folders searched recursively), sorted."""
    found: list[Path] = []
    for src in map(Path, sources):
        if src.is_dir():
            found += sorted(p for p in src.rglob('*')
                            if p.suffix.lower() in ('.jpg', '.jpeg', '.png') and p.is_file())
        elif src.is_file():
            found.append(src)
        else:
            raise InputError(f'background {src}: not found')
    if not found:
        raise InputError(f'no .jpg/.png photos in {", ".join(map(str, sources))}')
    return found


def load_backgrounds(paths: Sequence[Path], long_side: int) -> list[np.ndarray]:
    """Each photo as BGR uint8, downscaled so its longer side is at most ``long_side``."""
    out = []
    for path in paths:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise InputError(f'background {path}: OpenCV cannot read it')
        scale = long_side / max(img.shape[:2])
        if scale < 1:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        out.append(img)
    return out


def object_mask(obj: np.ndarray, threshold: int) -> np.ndarray:
    """The object's pixels of a grey-on-black image: its largest part above ``threshold``,
    holes filled (dark print inside a garment is still the garment)."""
    from scipy import ndimage

    parts, n = ndimage.label(obj > threshold)
    if n == 0:
        return np.zeros(obj.shape, bool)
    sizes = np.bincount(parts.ravel())[1:]
    return ndimage.binary_fill_holes(parts == 1 + int(np.argmax(sizes)))


def background_crop(bg: np.ndarray, w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """A random window of ``bg`` with the aspect of ``w x h`` (30-100% of the largest such
    window), resized to ``w x h``; flipped half the time."""
    bh, bw = bg.shape[:2]
    full = min(bw / w, bh / h)
    scale = full * rng.uniform(0.3, 1.0)
    cw, ch = max(1, int(w * scale)), max(1, int(h * scale))
    x0, y0 = int(rng.integers(0, bw - cw + 1)), int(rng.integers(0, bh - ch + 1))
    crop = cv2.resize(bg[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_AREA)
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def compose(bg: np.ndarray, obj: np.ndarray, rng: np.random.Generator,
            p: RealLocalizeParams) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Pastes ``obj`` (grey, object on black) onto ``bg`` at a random place and scale.

    Returns the image (BGR uint8), the pasted mask [H, W] bool and its tight box
    ``[xmin, ymin, xmax, ymax]`` (max edges exclusive).
    """
    h, w = bg.shape[:2]
    mask = object_mask(obj, p.threshold)
    if not mask.any():
        raise InputError(f'an object has no pixel above {p.threshold}')
    ys, xs = np.nonzero(mask)
    obj = obj[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
    mask = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    side = rng.uniform(p.min_object, p.max_object) * min(w, h)
    scale = side / max(obj.shape)
    ow, oh = max(2, round(obj.shape[1] * scale)), max(2, round(obj.shape[0] * scale))
    obj = cv2.resize(obj, (ow, oh), interpolation=cv2.INTER_LINEAR)
    small = cv2.resize(mask.astype(np.float32), (ow, oh), interpolation=cv2.INTER_LINEAR) >= 0.5
    x0, y0 = int(rng.integers(0, w - ow + 1)), int(rng.integers(0, h - oh + 1))
    gain = rng.uniform(p.min_gain, p.max_gain)
    full = np.zeros((h, w), bool)
    full[y0:y0 + oh, x0:x0 + ow] = small
    img = bg.copy()
    grey = np.clip(obj * gain, 0, 255).astype(np.uint8)
    img[y0:y0 + oh, x0:x0 + ow][small] = grey[small][:, None]
    ys, xs = np.nonzero(full)
    return img, full, [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def balanced_pick(labels: np.ndarray, wanted: Sequence[int], n: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` samples, ``n / len(wanted)`` of each wanted label, in random order."""
    if n % len(wanted):
        raise InputError(f'{n} images cannot be split evenly into {len(wanted)} classes')
    picked = []
    for label in wanted:
        pool = np.flatnonzero(labels == label)
        if len(pool) < n // len(wanted):
            raise InputError(f'class {label}: {len(pool)} objects, {n // len(wanted)} wanted')
        picked.append(rng.choice(pool, n // len(wanted), replace=False))
    return rng.permutation(np.concatenate(picked))


def fashion_mnist(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of Fashion-MNIST's ``train`` or ``t10k`` split in ``source``."""
    files = []
    for kind in ('images-idx3', 'labels-idx1'):
        stem = f'{split}-{kind}-ubyte'
        found = [source / n for n in (stem + '.gz', stem) if (source / n).is_file()]
        if not found:
            hint = f' ({APT_HINT})' if source == FASHION_MNIST_DIR else ''
            raise InputError(f'{source / stem}(.gz) not found{hint}')
        files.append(found[0])
    return read_labelled_images(*files, FASHION_MNIST_CLASSES)


def check_output(out: Path) -> None:
    """Refuse a non-empty folder that this builder did not write."""
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise InputError(f'{out} is not empty and was not written by make_real_localize; '
                         'choose another --out or empty it yourself')


def spec(seed: int, classes: Sequence[str], backgrounds: Sequence[Path],
         p: RealLocalizeParams) -> dict:
    """What the set is built from: equal specs give byte-identical sets."""
    return {'version': VERSION, 'seed': seed, 'classes': list(classes),
            'backgrounds': [str(b) for b in backgrounds], 'params': asdict(p)}


def is_current(out: Path, want: dict) -> bool:
    """True when ``out`` was built from ``want``."""
    try:
        return json.loads((out / MARKER).read_text(encoding='utf-8'))['spec'] == want
    except (OSError, ValueError, KeyError):
        return False


def build_real_localize(out: str | Path, seed: int = 0,
                        classes: Sequence[str] = DEFAULT_CLASSES,
                        backgrounds: Sequence[str | Path] | None = None,
                        source: str | Path = FASHION_MNIST_DIR,
                        params: RealLocalizeParams = RealLocalizeParams(),
                        force: bool = False) -> dict:
    """Builds the set in ``out`` (see the module docstring); returns its marker's content.

    Kept as it is when ``out`` already holds the same spec (unless ``force``).
    """
    out, p = Path(out), params
    check_output(out)
    unknown = [c for c in classes if c not in FASHION_MNIST_CLASSES]
    if unknown or len(set(classes)) != len(classes) or len(classes) < 2:
        raise InputError(f'classes {list(classes)}: give 2 or more distinct names of '
                         f'{", ".join(FASHION_MNIST_CLASSES)}')
    bg_paths = find_backgrounds(backgrounds) if backgrounds else bundled_backgrounds()
    want = spec(seed, classes, bg_paths, p)
    if not force and is_current(out, want):
        return json.loads((out / MARKER).read_text(encoding='utf-8'))
    bgs = load_backgrounds(bg_paths, p.background_side)
    wanted = [FASHION_MNIST_CLASSES.index(c) for c in classes]
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    hidden = ['image_id,cls,xmin,ymin,xmax,ymax']
    with atomic_folder(out) as stage:
        for split, src, n in (('train', 'train', p.n_train), ('test', 't10k', p.n_test)):
            x, y = fashion_mnist(Path(source), src)
            (stage / split).mkdir()
            for i, k in enumerate(balanced_pick(y, wanted, n, rng)):
                short = int(round(p.long_side * rng.uniform(p.min_aspect, 1.0)))
                w, h = (p.long_side, short) if rng.random() < 0.5 else (short, p.long_side)
                bg = background_crop(bgs[int(rng.integers(len(bgs)))], w, h, rng)
                img, _, box = compose(bg, x[k], rng, p)
                image_id, cls = f'real_{split}_{i:04d}', FASHION_MNIST_CLASSES[int(y[k])]
                if not cv2.imwrite(str(stage / split / f'{image_id}.jpg'), img,
                                   [cv2.IMWRITE_JPEG_QUALITY, p.quality]):
                    raise OSError(f'{stage / split / image_id}.jpg: OpenCV could not write it')
                if split == 'train':
                    (stage / split / f'{image_id}.txt').write_text(
                        f'{cls} {" ".join(map(str, box))}\n', encoding='utf-8')
                else:
                    hidden.append(f'{image_id},{cls},{",".join(map(str, box))}')
        (stage / 'test_boxes.csv').write_text('\n'.join(hidden) + '\n', encoding='utf-8')
        (stage / 'classes.txt').write_text('\n'.join(classes) + '\n', encoding='utf-8')
        marker = {'spec': want, 'objects': str(source),
                  'counts': {'train': p.n_train, 'test': p.n_test}}
        (stage / MARKER).write_text(json.dumps(marker, indent=2) + '\n', encoding='utf-8')
    return marker
