"""Weighted mean of class probabilities from several prediction dumps, aligned by sample id.

Inputs are what ``tools/test.py --dump preds.pkl`` writes (MMEngine's DumpResults pickle) or
podium prediction files (``.npz``) written by this tool; rows are matched by sample id, never by
position. The output ``.npz`` (ids, probs, classes, sources, weights) is described in
:mod:`custom_modules.predictions.io`; next to it a CSV ``<out>.csv``
(``sample_id,label,class,prob``) shows the top-1 for humans.

Example::

    python tools/ensemble.py m1.pkl m2.pkl --weights 0.6 0.4 --classes classes.txt \
        --out work_dirs/action/ensemble.npz
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_modules.predictions.ensemble import ensemble, normalised_weights  # noqa: E402
from custom_modules.predictions.io import load_predictions, save_predictions, save_top1_csv  # noqa: E402
from custom_modules.predictions.samples import DEFAULT_ID_KEYS, PredictionError  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.validation import read_class_list  # noqa: E402

logger = logging.getLogger('ensemble')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('preds', nargs='+', help='DumpResults .pkl or podium .npz files')
    parser.add_argument('--out', required=True, help='output podium prediction file (.npz)')
    parser.add_argument('--weights', type=float, nargs='+',
                        help='one weight per input (default equal); normalised to sum 1')
    parser.add_argument('--classes', help='class names, one per line, in label order')
    parser.add_argument('--id-key', nargs='+', default=list(DEFAULT_ID_KEYS),
                        help='sample keys tried in order for the id (default: %(default)s)')
    parser.add_argument('--csv', help='top-1 CSV for humans (default: OUT with .csv suffix)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='[ensemble] %(message)s')
    if args.weights is not None and len(args.weights) != len(args.preds):
        raise PredictionError(f'{len(args.weights)} weights for {len(args.preds)} files')
    classes = read_class_list(args.classes) if args.classes else None
    preds = [load_predictions(p, args.id_key) for p in args.preds]
    ids, probs = ensemble(preds, args.weights, names=args.preds)
    if classes is not None and len(classes) != probs.shape[1]:
        raise PredictionError(f'{args.classes}: {len(classes)} classes but the predictions '
                              f'have {probs.shape[1]}')
    weights = normalised_weights(args.weights, args.preds)
    out = Path(args.out)
    save_predictions(out, ids, probs, classes, sources=args.preds, weights=weights)
    save_top1_csv(args.csv or out.with_suffix('.csv'), ids, probs, classes)
    logger.info('%d samples x %d classes from %d files (weights %s) -> %s', len(ids),
                probs.shape[1], len(preds), ', '.join(f'{x:.3g}' for x in weights), out)
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='ensemble'))
