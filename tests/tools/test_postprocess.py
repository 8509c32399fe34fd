"""tools/postprocess.py: manifest rules + detections -> submission.csv and the audit CSV."""
from __future__ import annotations

from custom_modules.utils.cli import run_cli
from tests.custom_modules.postprocess.cases import make_action_case, read_rows, write_ss
from tools.postprocess import main


def test_postprocess_cli_end_to_end(tmp_path, capsys):
    action_case = make_action_case(tmp_path)
    out = tmp_path / 'work' / 'submission.csv'
    rc = main([str(action_case['pred']), '--sample-submission', str(action_case['ss']),
               '--out', str(out), '--manifest', str(action_case['manifest']),
               '--det-pkl', str(action_case['det']),
               '--det-classes', str(action_case['det_classes'])])
    assert rc == 0, capsys.readouterr().err
    assert read_rows(out) == [['video_filename', 'class'], ['v3.mp4', 'ride_kick'],
                              ['v1.mp4', 'normal'], ['v2.mp4', 'driveway_walk'],
                              ['v4.mp4', 'normal']]
    changes = read_rows(out.parent / 'postprocess_changes.csv')
    assert changes[0][:4] == ['video_filename', 'rule_index', 'rule', 'before']
    assert [(r[0], r[1], r[3], r[4]) for r in changes[1:]] == [
        ('v3.mp4', '5', 'jay_walk', 'ride_kick'),
        ('v1.mp4', '0', 'putup_umbrella', 'normal'),
        ('v2.mp4', '1', 'jay_walk', 'driveway_walk')]
    assert sorted(p.name for p in out.parent.iterdir()) == ['postprocess_changes.csv',
                                                            'submission.csv']


def test_postprocess_cli_refusal_is_one_line_and_writes_nothing(tmp_path, capsys):
    action_case = make_action_case(tmp_path)
    ss = write_ss(tmp_path / 'ss5.csv', ['v3.mp4', 'v1.mp4', 'v2.mp4', 'v4.mp4', 'v5.mp4'])
    out = tmp_path / 'work' / 'submission.csv'
    rc = run_cli(main, [str(action_case['pred']), '--sample-submission', str(ss), '--out',
                        str(out)], prog='postprocess')
    err = capsys.readouterr().err
    assert rc == 2 and "[postprocess] error: " in err and "without a prediction ['v5.mp4']" in err
    assert 'Traceback' not in err and not out.parent.exists()
