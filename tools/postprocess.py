"""Apply a manifest's postprocessing rules to predictions and write the submission CSV.

The rules (``postprocess_rules`` in the manifest: ``threshold_fallback``, ``topk_substitute``,
``detector_count``) and the checks are described in :mod:`custom_modules.postprocess`.
The submission follows sample_submission's ids and order; which rule changed which sample goes
to ``postprocess_changes.csv`` beside it.

Example::

    python tools/postprocess.py work_dirs/action/ensemble.npz \
        --sample-submission data/action/sample_submission.csv \
        --manifest configs/solutions/action.py \
        --det-pkl work_dirs/action/det.pkl --det-classes data/action/annotations/boxes_coco.json \
        --out work_dirs/action/submission.csv
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_modules.postprocess.apply import CHANGES_NAME, postprocess  # noqa: E402
from custom_modules.postprocess.detections import read_class_names  # noqa: E402
from custom_modules.postprocess.manifest import DEFAULT_RULES_KEY, load_rules  # noqa: E402
from custom_modules.predictions import DEFAULT_ID_KEYS  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.validation import read_class_list  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('pred', help='podium .npz (tools/ensemble.py) or a DumpResults .pkl')
    parser.add_argument('--sample-submission', required=True, help='ids and their order')
    parser.add_argument('--out', required=True, help='submission CSV to write')
    parser.add_argument('--classes', help='class names, one per line (if PRED has none)')
    parser.add_argument('--manifest', help='solution manifest (.py or .json) holding the rules')
    parser.add_argument('--rules-key', default=DEFAULT_RULES_KEY,
                        help='where the rules are in the manifest (default: %(default)s)')
    parser.add_argument('--det-pkl', help='detector DumpResults pickle over the test frames')
    parser.add_argument('--det-classes', help='detector class names: .txt, or .json (COCO)')
    parser.add_argument('--id-key', nargs='+', default=list(DEFAULT_ID_KEYS),
                        help='sample keys tried in order for the id (default: %(default)s)')
    parser.add_argument('--changes', help=f'audit CSV (default: {CHANGES_NAME} beside OUT)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='[postprocess] %(message)s')
    rules = load_rules(args.manifest, args.rules_key) if args.manifest else []
    classes = read_class_list(args.classes) if args.classes else None
    det_classes = read_class_names(args.det_classes) if args.det_classes else None
    postprocess(args.pred, args.sample_submission, args.out, rules, classes, args.det_pkl,
                det_classes, args.id_key, args.changes)
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='postprocess'))
