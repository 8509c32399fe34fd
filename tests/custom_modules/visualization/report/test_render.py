"""custom_modules.visualization.report: one self-contained page from whatever the runs left."""
from __future__ import annotations

import base64
import json
import re

import pytest

from custom_modules.visualization.report import (
    ReportSource,
    load_source,
    render_report,
    save_source,
    write_report,
)

from .fixtures import CV, Page, make_data_root, make_work_dir, png, write_json

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


@pytest.fixture
def full(tmp_path):
    """A work dir with every input, and its source."""
    count = make_work_dir(tmp_path / 'work')
    source = ReportSource(tmp_path / 'work', 'demo', make_data_root(tmp_path / 'data'), 'sports')
    return source, count


def test_every_section_shows_its_values(full):
    source, count = full
    text = render_report(source, generated='2026-11-30 12:00:00')
    page = Page(text)
    assert page.missing == []  # every input was there
    train = page.tables['stages-train']
    assert train[0] == ['stage', 'status', 'time', 'metrics', 'note']
    assert train[2][:3] == ['train tsm1 fold0', 'ran', '12.5 s']
    assert train[2][3] == 'acc/top1=0.8125'
    assert train[3][4] == 'went <wrong>'  # escaped in the page, the text itself in the DOM
    assert train[-1][:3] == ['total', '', '13.8 s']
    assert page.tables['stages-inference'][1][:2] == ['ensemble + submission', 'ran']
    cv = page.tables['cv-tsm1']
    assert cv[0] == ['', 'accuracy', 'log_loss']
    assert cv[1] == ['fold 0', '0.7500', '0.6000'] and cv[2][:2] == ['fold 1', '0.8000']
    assert cv[3][:2] == ['mean ± std', '0.7750 ± 0.0250']
    assert cv[4][:2] == ['OOF', '0.7777']
    assert page.tables['cv-tsm2'][4][1] == f'{CV["runs"]["tsm2"]["oof"]["accuracy"]:.4f}'
    assert page.tables['cv-ensemble'][1] == ['OOF', '0.8333', '0.5500']
    assert page.tables['weights'][1:] == [['tsm1', '0.7000', '0.5000'],
                                          ['tsm2', '0.3000', '0.5000']]
    assert page.tables['weights-oof'][0] == ['OOF score', 'log_loss', 'accuracy']
    assert page.tables['weights-oof'][1] == ['fitted weights', '0.5123', '0.8444']
    rules = page.tables['rules']
    assert rules[1][:7] == ['1', 'threshold_fallback putup_umbrella < 0.95', '3', '0.8333',
                            '0.8611', '0.0278', 'no']
    assert rules[1][7:] == ['min_prob=[0.9000, 0.9500]', 'min_prob=0.9000', '']
    assert rules[3][2:7] == ['-', '-', '-', '-', 'no'] and rules[3][9] == 'off: no boxes'
    assert 'all rules: 0.8333 -&gt; 0.8055 over 36 samples' in text  # escaped
    assert rules[2][6] == 'yes' and rules[2][5] == '-0.0556'
    assert '<tr class="bad"><td class="num">2</td>' in text  # the rule that hurts stands out
    assert page.tables['tta'][1] == ['tsm1', 'accuracy', '0.7777', '0.8012', '0.0235', '[0, 1]',
                                     '12']
    assert page.tables['tta'][2][1:5] == ['log_loss', '0.6100', '0.5800', '-0.0300']
    assert 'every fold (0..1)' in text
    dist = page.tables['distribution']
    assert dist[1] == ['ball', '6', '50.0%', '2', '33.3%', '-16.7%']
    assert dist[2] == ['box', '3', '25.0%', '3', '50.0%', '+25.0%']
    assert dist[-1][:4] == ['total', '12', '100%', '6']
    facts = dict(page.tables['facts'])
    assert facts['solution'] == 'demo' and facts['generated'] == '2026-11-30 12:00:00'
    assert facts['flow'] == 'sports' and facts['data root'].endswith('data')
    # the runs' figures (logs/ skipped) and the distribution chart, all embedded PNGs
    assert len(page.images) == count + 1
    for src in page.images:
        assert src.startswith('data:image/png;base64,')
        assert base64.b64decode(src.split(',', 1)[1]).startswith(PNG_MAGIC)
    assert text.count('<img src="data:image/png;base64,') == count + 1
    assert not re.search(r'https?://', text)  # nothing to fetch: opens offline
    assert '<link' not in text and '<script' not in text


def test_figures_are_grouped_by_run_and_fold_in_order(full):
    source, _ = full
    text = render_report(source).split('<section id="figures">')[1]
    heads = re.findall(r'<h3>(run [^<]*|work dir)</h3>', text)
    assert heads == ['work dir', 'run tsm1, fold0', 'run tsm1, fold1', 'run tsm2, fold0',
                     'run tsm2, fold1']
    captions = re.findall(r'<figcaption>([^<]*)</figcaption>', text)
    assert captions[1:3] == ['tsm1/fold0/curves.png', 'tsm1/fold0/confusion_matrix.png']
    assert 'logs/ignored.png' not in captions


def test_nothing_produced_yet_says_so_in_every_section(tmp_path):
    source = ReportSource(tmp_path, 'demo')
    page = Page(render_report(source))
    assert page.images == []
    joined = '\n'.join(page.missing)
    for expected in ('no train run has finished', 'no inference run has finished',
                     'cv_report.json', 'FOLDS=all', 'ensemble_weights.json', 'rules_oof.json',
                     'tta_oof.json', 'no submission.csv yet', 'no figures'):
        assert expected in joined, expected
    assert all(m.startswith('not produced') for m in page.missing)
    assert dict(page.tables['facts'])['data root'] == 'unknown'


def test_a_broken_input_spoils_only_its_own_section(full):
    source, _ = full
    (source.work_dir / 'cv_report.json').write_text('{not json')
    write_json(source.work_dir / 'rules_oof.json', {'rows': [1, 2]})  # rows must be objects
    page = Page(render_report(source))
    assert any('cv_report.json could not be read' in m for m in page.missing)
    assert any(m.startswith('rules_oof.json: unexpected contents') for m in page.missing)
    assert 'weights' in page.tables and 'tta' in page.tables


def test_crash_and_localize_distributions(tmp_path):
    lists = tmp_path / 'data' / 'lists'
    lists.mkdir(parents=True)
    (lists / 'frames.csv').write_text('frame_path,video,frame_id,type,target,fold\n'
                                      + ''.join(f'v/{i},v,{i},t,{int(i == 3)},0\n'
                                                for i in range(8)))
    (tmp_path / 'submission.csv').write_text('video,frame_id,pred\nv,0,0.1\nv,1,0.7\nv,2,0.4\n'
                                             'v,3,0.9\n')
    page = Page(render_report(ReportSource(tmp_path, 'crash_demo', tmp_path / 'data', 'crash',
                                           threshold=0.6)))
    dist = page.tables['distribution']
    assert dist[1][:5] == ['crash moment', '1', '12.5%', '2', '50.0%']
    assert dist[2][:2] == ['other frames', '7']
    assert len(page.images) == 1

    (lists / 'frames.csv').unlink()
    (lists / 'classes.txt').write_text('circle\nsquare\n')
    (lists / 'annotations.csv').write_text('image_id,cls,label\na,square,1\nb,square,1\n'
                                           'c,circle,0\n')
    (tmp_path / 'submission.csv').write_text('image_id,label,score\nx,square,0.9\ny,star,0.5\n')
    page = Page(render_report(ReportSource(tmp_path, 'loc', tmp_path / 'data')))  # flow unknown
    dist = page.tables['distribution']
    assert [row[:4] for row in dist[1:4]] == [['circle', '1', '33.3%', '0'],
                                              ['square', '2', '66.7%', '1'],
                                              ['star', '0', '0.0%', '1']]
    assert 'not in the class list: star' in render_report(ReportSource(tmp_path, 'loc',
                                                                       tmp_path / 'data'))


def test_written_atomically_and_the_source_round_trips(full, tmp_path):
    source, _ = full
    out = write_report(source)
    assert out == source.work_dir / 'report.html' and out.read_text().startswith('<!DOCTYPE')
    assert [p.name for p in source.work_dir.iterdir() if 'tmp' in p.name] == []
    save_source(source)
    recorded = json.loads((source.work_dir / 'report_source.json').read_text())
    assert recorded['solution'] == 'demo' and recorded['flow'] == 'sports'
    again = load_source(source.work_dir)
    assert again.data_root == source.data_root.resolve() and again.solution == 'demo'
    assert load_source(source.work_dir, tmp_path / 'other').data_root == tmp_path / 'other'
    bare = load_source(tmp_path / 'nothing')
    assert bare.solution == 'nothing' and bare.data_root is None


def test_a_huge_png_is_named_not_embedded(full, monkeypatch):
    from custom_modules.visualization.report import gallery

    source, count = full
    png(source.work_dir / 'big.png')
    monkeypatch.setattr(gallery, 'MAX_EMBED_BYTES', 10)
    page = Page(render_report(source))
    assert len(page.images) == 1  # the distribution chart only (drawn, not read)
    assert any('big.png' in m and 'too large to embed' in m for m in page.missing)
