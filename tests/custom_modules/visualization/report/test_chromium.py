"""The report as a browser shows it: headless Chromium loads the file (no server), and the tables
are laid out and every embedded image decodes. Skipped without ``chromium`` on PATH (Debian:
``apt-get install chromium``); the structure tests in test_render.py run either way."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from custom_modules.visualization.report import ReportSource, render_report

from .fixtures import make_data_root, make_work_dir

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason='no chromium on PATH (Debian package `chromium`): the browser check '
    'is skipped; the HTML structure is still checked by test_render.py')

# Appended to a copy of the page only (the report itself has no script): once the page has
# loaded, it writes what the browser made of it into the DOM that --dump-dom prints.
PROBE = """<script>
window.addEventListener('load', () => {
  const images = [...document.images];
  const shown = [...document.querySelectorAll('table[data-table]')]
    .filter(t => t.offsetHeight > 0 && t.rows.length > 0).map(t => t.dataset.table);
  const probe = document.createElement('pre');
  probe.id = 'probe';
  probe.textContent = JSON.stringify({
    images: images.length,
    decoded: images.filter(i => i.complete && i.naturalWidth > 0).length,
    tables: shown, text: document.body.innerText});
  document.body.appendChild(probe);
});
</script>"""


def browse(page: str, tmp_path) -> dict:
    """Load ``page`` from a file in headless Chromium; what the probe saw."""
    path = tmp_path / 'probe.html'
    path.write_text(page.replace('</body>', PROBE + '</body>'), encoding='utf-8')
    result = subprocess.run(
        [CHROMIUM, '--headless', '--disable-gpu', '--no-sandbox', '--virtual-time-budget=5000',
         f'--user-data-dir={tmp_path / "profile"}', '--dump-dom', path.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert found, f'no probe in the DOM (exit {result.returncode}): {result.stderr[-2000:]}'
    return json.loads(html.unescape(found.group(1)))


def test_the_browser_shows_the_tables_and_every_image(tmp_path):
    count = make_work_dir(tmp_path / 'work')
    source = ReportSource(tmp_path / 'work', 'demo', make_data_root(tmp_path / 'data'), 'sports')
    seen = browse(render_report(source), tmp_path)
    assert seen['images'] == count + 1  # the runs' figures and the distribution chart
    assert seen['decoded'] == seen['images']
    for name in ('facts', 'stages-train', 'stages-inference', 'cv-tsm1', 'cv-tsm2',
                 'cv-ensemble', 'weights', 'weights-oof', 'rules', 'tta', 'distribution'):
        assert name in seen['tables'], name
    text = seen['text']
    assert 'mean ± std' in text and '0.7750 ± 0.0250' in text and 'went <wrong>' in text
    assert 'top3 jay_walk -> driveway_walk' in text

