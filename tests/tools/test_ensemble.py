"""tools/ensemble.py: the command line writes the .npz and the top-1 CSV, or nothing."""
from __future__ import annotations

import csv

import numpy as np

from custom_modules.predictions import read_prediction_npz
from custom_modules.utils.cli import run_cli
from tests.custom_modules.predictions.test_ensemble import PROBS, action_dump
from tools.ensemble import main


def test_cli_writes_npz_and_csv(tmp_path):
    a = action_dump(tmp_path / 'a.pkl', ['vid_a', 'vid_b', 'vid_c'], 0, key='sample_id')
    b = action_dump(tmp_path / 'b.pkl', ['vid_b', 'vid_c', 'vid_a'], 1, key='sample_id')
    classes = tmp_path / 'classes.txt'
    classes.write_text('walk\nrun\nsit\n')
    out = tmp_path / 'out' / 'ens.npz'
    assert main([str(a), str(b), '--weights', '0.4', '0.6', '--classes', str(classes),
                 '--out', str(out)]) == 0
    ids, probs, names = read_prediction_npz(out)
    assert names == ['walk', 'run', 'sit'] and ids == ['vid_a', 'vid_b', 'vid_c']
    np.testing.assert_allclose(probs[0], 0.4 * np.array(PROBS['vid_a'][0])
                               + 0.6 * np.array(PROBS['vid_a'][1]), atol=1e-6)
    with np.load(out) as data:
        np.testing.assert_allclose(data['weights'], [0.4, 0.6])
    rows = list(csv.DictReader(out.with_suffix('.csv').read_text().splitlines()))
    assert [r['class'] for r in rows] == ['run', 'sit', 'walk']
    assert sorted(p.name for p in out.parent.iterdir()) == ['ens.csv', 'ens.npz']  # no temp files


def test_cli_refusal_writes_nothing(tmp_path, capsys):
    a = action_dump(tmp_path / 'a.pkl', ['vid_a', 'vid_b'], 0)
    b = action_dump(tmp_path / 'b.pkl', ['vid_a', 'vid_c'], 1)
    out = tmp_path / 'out' / 'ens.npz'
    assert run_cli(main, [str(a), str(b), '--out', str(out)], prog='ensemble') == 2
    assert '[ensemble] error: sample sets differ' in capsys.readouterr().err
    assert not out.exists() and not out.with_suffix('.csv').exists()
