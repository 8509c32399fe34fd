"""tools/data/preprocess.py: the sub-commands' command line and exit codes."""
import pytest

from custom_modules.utils.cli import run_cli
from tools.data.preprocess import main


def test_cli_exit_codes(action_data, capsys):
    d = action_data
    args = ['action', '--train-csv', str(d['train_csv']), '--rawframes', str(d['raw']),
            '--out-dir', str(d['tmp'] / 'cli'), '--folds', '4', '--oversample', 'normal=2',
            '--sample-submission', str(d['sub'])]
    assert run_cli(main, args) == 0
    assert (d['tmp'] / 'cli/train_fold3_oversampled.txt').is_file()
    bad = args[:]
    bad[bad.index('--rawframes') + 1] = str(d['tmp'] / 'nowhere')
    bad[bad.index('--out-dir') + 1] = str(d['tmp'] / 'cli_bad')
    assert run_cli(main, bad) == 2  # bad input: every problem listed, nothing written
    err = capsys.readouterr().err
    assert 'train.csv:2: video \'train_000\' has no frames' in err
    assert not (d['tmp'] / 'cli_bad').exists() or not any((d['tmp'] / 'cli_bad').iterdir())
    assert run_cli(main, args[:-4] + ['--oversample', 'normal=zero']) == 2
    with pytest.raises(SystemExit):
        main(['images', '--out-dir', 'x'])  # neither --train-csv nor --folder
    assert run_cli(main, ['images', '--train-csv', 'a.csv', '--folds', '2', '--out-dir', 'x']) == 2
    assert '--train-csv needs --image-dir' in capsys.readouterr().err


def test_images_and_localize_sub_commands(tmp_path, write_image, capsys):
    for i in range(4):
        write_image(tmp_path / 'folder' / 'ab'[i % 2] / f'{i}.png', seed=i)
        write_image(tmp_path / 'boxes' / f'{i}.jpg', size=(20, 10), seed=i)
        (tmp_path / 'boxes' / f'{i}.txt').write_text(f'{"ab"[i % 2]} 1 1 9 9\n')
    images = ['images', '--folder', str(tmp_path / 'folder'), '--folds', '2',
              '--out-dir', str(tmp_path / 'img')]
    assert run_cli(main, images) == 0
    assert (tmp_path / 'img/val_fold1.txt').read_text().count('\n') == 2
    localize = ['localize', '--data-dir', str(tmp_path / 'boxes'), '--folds', '2',
                '--out-dir', str(tmp_path / 'loc')]
    assert run_cli(main, localize) == 0
    assert (tmp_path / 'loc/annotations.csv').read_text().count('\n') == 5
    (tmp_path / 'boxes' / '0.txt').write_text('a 1 1 90 9\n')  # outside the 20x10 image
    localize[-1] = str(tmp_path / 'loc_bad')
    assert run_cli(main, localize) == 2 and not (tmp_path / 'loc_bad').exists()
    assert '0.txt:1: box (1, 1, 90, 9) is outside' in capsys.readouterr().err
