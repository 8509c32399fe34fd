"""custom_modules.utils.validation: every problem reported at once, with file and line."""
from __future__ import annotations

import pytest

from custom_modules.utils import PodiumError
from custom_modules.utils.validation import (
    NA_TOKENS,
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


def test_read_table_reports_an_empty_file_and_stops(tmp_path):
    csv = tmp_path / 'train.csv'
    csv.write_bytes(b'')
    problems = Problems()
    assert read_table(csv, ['video_filename', 'class'], problems) is None
    assert [str(p) for p in problems.items] == [
        f'{csv}: empty file (0 bytes): expected a header line (video_filename,class) and rows']
    problems = Problems()
    assert read_table(csv, [], problems) is None  # a reader that picks its columns later
    assert [str(p) for p in problems.items] == [
        f'{csv}: empty file (0 bytes): expected a header line and rows']


def test_read_table_reports_a_header_only_file_and_returns_it(tmp_path):
    csv = tmp_path / 'test.csv'
    csv.write_text('image_id,label\r\n\n')
    problems = Problems()
    df = read_table(csv, ['image_id'], problems)
    assert df is not None and len(df) == 0 and 'label' in df.columns
    assert [str(p) for p in problems.items] == [
        f'{csv}: no rows: the file has a header line only']


def test_read_table_reports_nan_like_cells_only_in_required_columns(tmp_path):
    tokens = sorted(NA_TOKENS | {'NaN', 'N/A', '#N/A', 'NULL', '<NA>', ' nan '})
    csv = tmp_path / 'train.csv'
    rows = [f'v{i}.mp4,{token},{token}' for i, token in enumerate(tokens)]
    csv.write_text('video,class,note\nok.mp4,walk,\n' + '\n'.join(rows) + '\n')
    problems = Problems()
    df = read_table(csv, ['video', 'class'], problems)
    assert [(p.line, p.message) for p in problems.items] == [
        (line, "missing value (NaN) in column 'class'") for line in range(3, 3 + len(tokens))]
    # the same tokens in a column nobody requires are plain text, kept as read (stripped)
    assert list(df['note']) == ['', *(t.strip() for t in tokens)]
    problems = Problems()
    csv.write_text('video,class\nnanny.mp4,nonesuch\nnull.mp4,na_walk\nx.mp4,None\ny.mp4,NA\n')
    read_table(csv, ['video', 'class'], problems)
    assert not problems  # only whole cells count, and `None` / `NA` may be class names


def test_read_table_lines_count_blank_lines_and_multi_line_cells(tmp_path):
    csv = tmp_path / 'train.csv'
    csv.write_text('\nvideo,class\na.mp4,walk\n\n   \nb.mp4,\n"c\nd.mp4",NaN\n\n')
    problems = Problems()
    df = read_table(csv, ['video', 'class'], problems)
    assert list(df['_line']) == [3, 6, 7]  # the lines a text editor shows
    assert [str(p) for p in problems.items] == [
        f"{csv}:6: empty value in column 'class'",
        f"{csv}:7: missing value (NaN) in column 'class'"]
    csv.write_text('\n\nvideo,label\na.mp4,walk\n')
    problems = Problems()
    assert read_table(csv, ['video', 'class'], problems) is None
    assert str(problems.items[0]).startswith(f"{csv}:3: missing column(s) ['class']")
