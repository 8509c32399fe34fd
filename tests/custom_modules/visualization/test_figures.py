"""save_png: a PNG replaced in one step, no file from a failed draw, the figure always closed."""
from __future__ import annotations

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from custom_modules.visualization import save_png  # noqa: E402


def test_png_written_and_figure_closed(tmp_path):
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    out = save_png(fig, tmp_path / 'sub' / 'plot.png', dpi=50)
    assert out == tmp_path / 'sub' / 'plot.png'
    assert Image.open(out).size == (100, 50)
    assert not plt.fignum_exists(fig.number)


def test_failed_draw_keeps_the_old_file(tmp_path):
    out = tmp_path / 'plot.png'
    out.write_bytes(b'old plot')
    fig, ax = plt.subplots()
    ax.set_title('$\\unknowncommand$')  # mathtext cannot parse it: savefig raises
    with pytest.raises(ValueError):
        save_png(fig, out)
    assert out.read_bytes() == b'old plot'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['plot.png']  # no temp file left
    assert not plt.fignum_exists(fig.number)
