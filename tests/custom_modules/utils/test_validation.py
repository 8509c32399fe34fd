"""custom_modules.utils.validation: every problem reported at once, with file and line."""
from __future__ import annotations

import pytest

from custom_modules.utils import PodiumError
from custom_modules.utils.validation import (
    DataError,
    Problems,
    parse_multipliers,
    read_class_list,
    read_table,
    report_duplicates,
)


def test_read_table_reports_every_empty_cell_and_duplicate(tmp_path):
    csv = tmp_path / 'train.csv'
    csv.write_text('video, class\na.mp4, walk\nb.mp4,\na.mp4,run\n,run\n')
    problems = Problems()
    df = read_table(csv, ['video', 'class'], problems)
    report_duplicates(df, 'video', csv, problems)
    assert [str(p) for p in problems.items] == [
        f'{csv}:5: empty value in column \'video\'',
        f'{csv}:3: empty value in column \'class\'',
        f'{csv}:4: duplicate video \'a.mp4\' (first on line 2)',
    ]
    assert list(df['_line']) == [2, 3, 4, 5]


def test_read_table_names_missing_columns(tmp_path):
    csv = tmp_path / 'x.csv'
    csv.write_text('id,label\n1,a\n')
    problems = Problems()
    assert read_table(csv, ['video_filename', 'class'], problems) is None
    assert str(problems.items[0]).startswith(f'{csv}:1: missing column(s) ')


def test_class_list_raises_without_a_collector_and_collects_with_one(tmp_path):
    path = tmp_path / 'classes.txt'
    path.write_text('walk\n\nrun\nwalk\n')
    with pytest.raises(DataError, match=r'classes.txt:4: class \'walk\' repeated') as err:
        read_class_list(path)
    assert isinstance(err.value, PodiumError) and err.value.exit_code == 2
    problems = Problems()
    assert read_class_list(path, problems) == ['walk', 'run']
    assert len(problems.items) == 1
    with pytest.raises(DataError, match='class list not found'):
        read_class_list(tmp_path / 'absent.txt')
    (tmp_path / 'empty.txt').write_text('\n \n')
    with pytest.raises(DataError, match='class list is empty'):
        read_class_list(tmp_path / 'empty.txt')


def test_data_error_shows_at_most_fifty_problems():
    problems = Problems()
    problems.add_rows('big.csv', range(2, 102), 'bad')
    text = str(DataError(problems.items))
    assert text.startswith('100 problem(s) in the input:')
    assert 'big.csv:51: bad' in text and 'big.csv:52: bad' not in text
    assert text.endswith('... and 50 more')


def test_multipliers_report_every_bad_item():
    assert parse_multipliers(['jay_walk=2', ' fall_down = 3']) == {'jay_walk': 2, 'fall_down': 3}
    with pytest.raises(DataError) as err:
        parse_multipliers(['a=0', 'b', 'c=2'])
    assert len(err.value.problems) == 2
