"""Predict the class of images with an MMPretrain config and checkpoint -> ``image_id,label`` CSV.

    python tools/predict_images.py CONFIG CHECKPOINT --out preds.csv \
        (--csv test.csv --image-dir test/ | --list test.txt --image-dir test/ [--ids ids.txt] |
         --images folder/) [--classes classes.txt] [--topk K] [--npz probs.npz]
        [--sort-into DIR [--sort-mode symlink|copy]] [--device cpu|cuda:0] [--batch-size 32]
        [--workers N] [--trust-checkpoint FILE] [--cfg-options k=v ...]

Rows keep the input's ids and order: test.csv's ``image_id`` (with or without extension, found
as tools/data/prep_images.py finds them), a list's lines (``path [label]``, ids from ``--ids``
such as prep_images' ``test_ids.txt``, else the path), or a folder's images sorted by relative
path (id = that path). ``label`` is the class NAME (from ``--classes``, else the checkpoint's
``dataset_meta``). ``--topk K`` adds ``top1_label,top1_prob,...,topK_label,topK_prob``;
``--npz`` writes every probability as a podium prediction file (tools/ensemble.py reads it).
``--sort-into DIR`` puts a symlink (or copy) of each image into ``DIR/<predicted class>/`` for
eyeballing; DIR must be new or empty and appears complete or not at all.

The CSV is written atomically. The checkpoint loads through podium's trust policy: a file not
written by a podium run on this machine loads weights-only (``--trust-checkpoint`` opts in).
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import custom_modules  # noqa: E402, F401  (first: compat patches, then registration)
from custom_modules.compat import trust_file  # noqa: E402
from custom_modules.utils.images import index_images, list_images  # noqa: E402
from tools.data.common import DataError, Problems, read_table, report_duplicates  # noqa: E402


@dataclass
class ImageItem:
    """One image to predict: its output id and its file."""

    image_id: str
    path: Path


def items_from_csv(csv_file: str | Path, image_dir: str | Path) -> list[ImageItem]:
    """test.csv order; ids resolved to files like prep_images (extension optional)."""
    problems = Problems()
    df = read_table(csv_file, ['image_id'], problems)
    image_dir = Path(image_dir)
    if not image_dir.is_dir():
        problems.add(image_dir, None, 'image folder not found')
    problems.raise_if_any()
    report_duplicates(df, 'image_id', csv_file, problems)
    index = index_images(image_dir)
    items = []
    for image_id, line in zip(df['image_id'], df['_line']):
        rel = index.get(image_id)
        if rel is None:
            problems.add(csv_file, int(line), f'image {image_id!r} not found in {image_dir}')
        elif rel == '':
            problems.add(csv_file, int(line), f'image id {image_id!r} matches several files; '
                         'give the extension')
        else:
            items.append(ImageItem(image_id, image_dir / rel))
    problems.raise_if_any()
    return items


def items_from_list(list_file: str | Path, image_dir: str | Path | None,
                    ids_file: str | Path | None = None) -> list[ImageItem]:
    """An MMPretrain list (``path label`` or ``path``) in its order; ids from ``ids_file``."""
    problems = Problems()
    list_file = Path(list_file)
    if not list_file.is_file():
        problems.add(list_file, None, 'file not found')
        problems.raise_if_any()
    root = Path(image_dir) if image_dir else Path('.')
    entries = []
    for number, line in enumerate(list_file.read_text(encoding='utf-8').splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().rsplit(' ', 1)
        rel = parts[0] if len(parts) == 2 and parts[1].lstrip('-').isdigit() else line.strip()
        entries.append((number, rel))
    ids = [rel for _, rel in entries]
    if ids_file is not None:
        ids = [line.strip() for line in Path(ids_file).read_text(encoding='utf-8').splitlines()
               if line.strip()]
        if len(ids) != len(entries):
            problems.add(ids_file, None, f'{len(ids)} ids for the {len(entries)} images of '
                         f'{list_file}')
    for number, rel in entries:
        if not (root / rel).is_file():
            problems.add(list_file, number, f'image {root / rel} not found')
    problems.raise_if_any()
    return [ImageItem(i, root / rel) for i, (_, rel) in zip(ids, entries)]


def items_from_folder(folder: str | Path) -> list[ImageItem]:
    """Every image under ``folder``, sorted by relative path (the id)."""
    folder = Path(folder)
    rels = list_images(folder) if folder.is_dir() else []
    if not rels:
        problems = Problems()
        problems.add(folder, None, 'no images found' if folder.is_dir() else 'folder not found')
        problems.raise_if_any()
    return [ImageItem(rel, folder / rel) for rel in rels]


def set_num_classes(cfg, num_classes: int) -> None:
    """Point the config's class count at the data (TimmClassifier keeps it on the model)."""
    if cfg.model.get('type') == 'TimmClassifier':
        cfg.model.num_classes = num_classes
    elif cfg.model.get('head') is not None:
        cfg.model.head.num_classes = num_classes
    if cfg.get('data_preprocessor') is not None:
        cfg.data_preprocessor.num_classes = num_classes


def read_checkpoint_classes(checkpoint: str | Path) -> list[str] | None:
    """Class names a Runner checkpoint keeps in ``meta.dataset_meta`` (None if absent)."""
    from mmengine.runner import CheckpointLoader

    ckpt = CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
    classes = (ckpt.get('meta') or {}).get('dataset_meta', {}).get('classes') \
        if isinstance(ckpt, dict) else None
    return list(classes) if classes else None


class Predictor:
    """A classifier from config + checkpoint, and its test pipeline.

    Args:
        config: MMPretrain config file.
        checkpoint: weights (a Runner checkpoint or a state dict).
        num_classes: classes of the checkpoint's head.
        device: torch device.
        cfg_options: config overrides.
    """

    def __init__(self, config: str | Path, checkpoint: str | Path, num_classes: int,
                 device: str = 'cpu', cfg_options: dict | None = None) -> None:
        from mmengine.config import Config
        from mmengine.dataset import Compose
        from mmengine.registry import DefaultScope
        from mmengine.runner import load_checkpoint
        from mmpretrain.registry import MODELS

        cfg = Config.fromfile(str(config))
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        set_num_classes(cfg, num_classes)
        self.scope_name = cfg.get('default_scope', 'mmpretrain')  # never left as the global one
        model_cfg = dict(cfg.model)
        if cfg.get('data_preprocessor') is not None and 'data_preprocessor' not in model_cfg:
            model_cfg['data_preprocessor'] = dict(cfg.data_preprocessor)
        self._drop_init_cfg(model_cfg)
        with DefaultScope.overwrite_default_scope(self.scope_name):
            self.model = MODELS.build(model_cfg)
            self.pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        load_checkpoint(self.model, str(checkpoint), map_location='cpu', strict=True)
        self.model.to(device).eval()

    @staticmethod
    def _drop_init_cfg(model_cfg: dict) -> None:
        """The checkpoint holds every weight: no pretrained file is needed to build."""
        model_cfg.pop('init_cfg', None)
        for part in ('backbone', 'neck', 'head'):
            if isinstance(model_cfg.get(part), dict):
                model_cfg[part] = {k: v for k, v in model_cfg[part].items() if k != 'init_cfg'}

    def load(self, path: Path) -> dict:
        """The pipeline's output for one image; an unreadable file is named in the error."""
        from mmengine.registry import DefaultScope

        try:
            with DefaultScope.overwrite_default_scope(self.scope_name):
                data = self.pipeline({'img_path': str(path)})
        except Exception as err:  # any decoder error: say which file
            raise ValueError(f'{path}: cannot read or transform the image ({err})') from err
        if data is None:
            raise ValueError(f'{path}: the pipeline dropped the image')
        return data

    def predict(self, batch: list[dict]) -> np.ndarray:
        """Class probabilities ``[N, C]`` of a batch of pipeline outputs."""
        import torch
        from mmengine.dataset import pseudo_collate

        with torch.no_grad():
            samples = self.model.test_step(pseudo_collate(batch))
        return np.stack([s.pred_score.float().cpu().numpy() for s in samples])


class _Images:
    """Map-style dataset over the items, loaded by the predictor's pipeline (DataLoader)."""

    def __init__(self, items: Sequence[ImageItem], predictor: Predictor) -> None:
        self.items, self.predictor = items, predictor

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.predictor.load(self.items[index].path)


def predict_items(predictor: Predictor, items: Sequence[ImageItem], batch_size: int = 32,
                  workers: int = 0, progress: bool = True) -> np.ndarray:
    """Probabilities ``[N, C]`` in the order of ``items``."""
    from torch.utils.data import DataLoader
    from tqdm import tqdm

    loader = DataLoader(_Images(items, predictor), batch_size=batch_size, shuffle=False,
                        num_workers=workers, collate_fn=list)
    out = []
    with tqdm(total=len(items), desc='predict', unit='img', disable=not progress) as bar:
        for batch in loader:
            out.append(predictor.predict(batch))
            bar.update(len(batch))
    return np.concatenate(out)


def write_csv(path: str | Path, items: Sequence[ImageItem], probs: np.ndarray,
              classes: Sequence[str], topk: int = 0) -> None:
    """``image_id,label[,top1_label,top1_prob,...]`` atomically."""
    from tools.ensemble import atomic_write

    order = np.argsort(-probs, axis=1, kind='stable')
    header = ['image_id', 'label']
    for k in range(1, topk + 1):
        header += [f'top{k}_label', f'top{k}_prob']
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(header)
        for item, row, ranks in zip(items, probs, order):
            cells = [item.image_id, classes[ranks[0]]]
            for c in ranks[:topk]:
                cells += [classes[c], f'{row[c]:.6f}']
            writer.writerow(cells)


def safe_name(image_id: str, path: Path) -> str:
    """A flat file name for an image in a class folder (sub-folders joined by ``__``)."""
    stem = image_id.replace('\\', '/').strip('/').replace('/', '__') or path.stem
    return stem if Path(stem).suffix.lower() == path.suffix.lower() else stem + path.suffix


def sort_into(out_dir: str | Path, items: Sequence[ImageItem], labels: Sequence[str],
              mode: str = 'symlink') -> None:
    """Symlink (or copy) each image into ``out_dir/<label>/``; built aside, then moved in."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise FileExistsError(f'{out_dir} exists and is not empty: --sort-into needs a new or '
                              'empty folder (nothing in it is overwritten)')
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f'.{out_dir.name}.staging-', dir=out_dir.parent))
    try:
        for item, label in zip(items, labels):
            target = stage / label / safe_name(item.image_id, item.path)
            target.parent.mkdir(exist_ok=True)
            if mode == 'symlink':
                target.symlink_to(item.path.resolve())
            else:
                shutil.copy2(item.path, target)
        os.chmod(stage, 0o755)
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        os.replace(stage, out_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(description='Predict image classes -> image_id,label CSV')
    parser.add_argument('config', help='MMPretrain config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--csv', help='CSV with an image_id column (test.csv): ids and order')
    source.add_argument('--list', help='image list, `path [label]` per line (test.txt)')
    source.add_argument('--images', help='a folder: every image under it, sorted')
    parser.add_argument('--image-dir', help='folder the --csv ids / --list paths are in')
    parser.add_argument('--ids', help='with --list: one id per line, same order (test_ids.txt)')
    parser.add_argument('--out', required=True, help='output CSV')
    parser.add_argument('--classes', help='class names, one per line in label order (default: '
                        'the checkpoint\'s dataset_meta)')
    parser.add_argument('--topk', type=int, default=0, help='add the top-K labels and '
                        'probabilities as columns')
    parser.add_argument('--npz', help='also write all probabilities (podium prediction file)')
    parser.add_argument('--sort-into', metavar='DIR', help='put each image into '
                        'DIR/<predicted class>/ (new or empty DIR)')
    parser.add_argument('--sort-mode', choices=['symlink', 'copy'], default='symlink')
    parser.add_argument('--device', help='torch device (default: cuda if available, else cpu)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--workers', type=int, default=0, help='DataLoader worker processes')
    parser.add_argument('--trust-checkpoint', action='append', default=[], metavar='FILE',
                        help='allow a full unpickle of FILE (not written by a podium run)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.backbone.depth=101')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    if args.csv and not args.image_dir:
        parser.error('--csv needs --image-dir')
    if args.ids and not args.list:
        parser.error('--ids goes with --list')
    if args.topk < 0 or args.batch_size < 1:
        parser.error('--topk must be >= 0 and --batch-size >= 1')
    return args


def main(argv: list[str] | None = None) -> int:
    import pickle

    import torch

    from tools.ensemble import PredictionError, read_lines, save_predictions

    args = parse_args(argv)
    for path in args.trust_checkpoint:
        trust_file(path)
    try:
        if args.csv:
            items = items_from_csv(args.csv, args.image_dir)
        elif args.list:
            items = items_from_list(args.list, args.image_dir, args.ids)
        else:
            items = items_from_folder(args.images)
        classes = read_lines(args.classes) if args.classes else \
            read_checkpoint_classes(args.checkpoint)
        if not classes:
            raise PredictionError(f'{args.checkpoint} has no class names (meta.dataset_meta); '
                                  'give --classes classes.txt')
        if args.topk > len(classes):
            raise PredictionError(f'--topk {args.topk} but only {len(classes)} classes')
        device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
        predictor = Predictor(args.config, args.checkpoint, len(classes), device,
                              args.cfg_options)
        probs = predict_items(predictor, items, args.batch_size, args.workers,
                              not args.no_progress)
        labels = [classes[k] for k in probs.argmax(axis=1)]
        if args.sort_into:
            sort_into(args.sort_into, items, labels, args.sort_mode)
        if args.npz:
            save_predictions(args.npz, [i.image_id for i in items], probs, classes=classes,
                             sources=[str(args.checkpoint)])
        write_csv(args.out, items, probs, classes, args.topk)
    except (DataError, PredictionError, FileExistsError, FileNotFoundError, ValueError,
            pickle.UnpicklingError, RuntimeError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    counts = {c: labels.count(c) for c in classes}
    print(f'{len(items)} images -> {args.out}; predicted per class: {counts}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
