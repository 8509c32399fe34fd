"""tools/data/make_real_localize.py: builds the real-image localisation set, says what it made."""
from __future__ import annotations

from tests.custom_modules.data_prep.test_real_localize import make_source
from tools.data import make_real_localize


def test_builds_and_reports(tmp_path, capsys):
    source = make_source(tmp_path / 'src', per_class=6)
    out = tmp_path / 'data'
    assert make_real_localize.main(['--source', str(source), '--out', str(out),
                                    '--train-size', '6', '--test-size', '2',
                                    '--size', '48']) == 0
    assert len(list((out / 'train').glob('*.txt'))) == 6
    assert '6 train, 2 test images of sneaker / ankle_boot on 3 background photos' \
        in capsys.readouterr().out


def test_missing_objects_say_which_package(tmp_path, capsys, monkeypatch):
    from custom_modules.data_prep import real_localize

    monkeypatch.setattr(real_localize, 'FASHION_MNIST_DIR', tmp_path / 'none')  # as if absent
    status = make_real_localize.run_cli(make_real_localize.main, [
        '--out', str(tmp_path / 'out'), '--source', str(tmp_path / 'none')],
        prog='make_real_localize')
    assert status == 2
    assert 'train-images-idx3-ubyte(.gz) not found (apt-get install dataset-fashion-mnist)' \
        in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()
