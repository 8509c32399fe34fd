"""tools/analysis/confusion_matrix.py: PNG and CSV beside the dump, scores printed, clean errors."""
from __future__ import annotations

import pickle

from sklearn.metrics import accuracy_score

from custom_modules.utils.cli import run_cli
from tests.custom_modules.visualization.test_confusion_matrix import CLASSES, make_dump
from tools.analysis.confusion_matrix import main


def test_cli_default_outputs_beside_the_dump(tmp_path, capsys):
    classes_file = tmp_path / 'classes.txt'
    classes_file.write_text('\n'.join(CLASSES) + '\n')
    samples, true, pred = make_dump('mmaction', n=20, seed=3)
    dump = tmp_path / 'val_preds.pkl'
    dump.write_bytes(pickle.dumps(samples))
    assert main([str(dump), str(classes_file)]) == 0
    assert (tmp_path / 'val_preds_confusion.png').is_file()
    assert (tmp_path / 'val_preds_confusion.csv').is_file()
    assert f'accuracy {accuracy_score(true, pred):.4f}' in capsys.readouterr().out


def test_cli_test_split_is_one_clear_error(tmp_path, capsys):
    (tmp_path / 'classes.txt').write_text('\n'.join(CLASSES) + '\n')
    samples, _, _ = make_dump('mmaction', n=3)
    for sample in samples:
        sample['gt_label'][0] = -1
    dump = tmp_path / 'test_preds.pkl'
    dump.write_bytes(pickle.dumps(samples))
    assert run_cli(main, [str(dump), str(tmp_path / 'classes.txt')], prog='confusion_matrix') == 2
    err = capsys.readouterr().err
    assert '[confusion_matrix] error: ' in err and 'no ground truth' in err
    assert 'Traceback' not in err
