"""tools/data/stats.py: the JSON it writes and its exit codes."""
import json

from custom_modules.utils.cli import run_cli
from tools.data.stats import main


def test_cli_writes_json(tmp_path, write_image, write_csv, make_video):
    for i in range(3):
        write_image(tmp_path / 'img' / 'sub' / f'{i}.jpg', size=(40, 30), seed=i)
    csv = write_csv(tmp_path / 'train.csv', ['image_id', 'label'], [[0, 'a'], [1, 'b']])
    out = tmp_path / 'stats.json'
    assert main(['--images', str(tmp_path / 'img'), '--csv', str(csv), '--resize', '30',
                 '--out', str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved['classes'] == {'a': 1, 'b': 1}
    assert saved['images']['count'] == 3 and saved['images']['unreadable'] == {}
    assert saved['data_preprocessor']['mean'] == saved['mean_std']['mean']
    make_video(tmp_path / 'vids' / 'a.mp4', n=8)
    assert main(['--videos', str(tmp_path / 'vids'), '--sample', '4',
                 '--out', str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved['videos']['count'] == 1 and saved['mean_std']['samples'] == 4
    assert run_cli(main, ['--csv', str(tmp_path / 'missing.csv'), '--label-col', 'label']) == 2
