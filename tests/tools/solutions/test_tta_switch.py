"""The manifest's ``tta`` switch: --tta on the test commands, TTA validation dumps, tta_oof.json."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch

from tools.solutions import launch, steps
from tools.solutions.manifest import Manifest, ManifestError, Run, _check_tta, tta_of
from tools.solutions.stages import Pipeline


@pytest.fixture
def tests_run(monkeypatch) -> list[tuple[Path, list[str]]]:
    """launch.test replaced by a recorder of (dump, extra flags) writing a 2-sample dump."""
    seen = []

    def fake_test(config, checkpoint, work_dir, gpus, options, dump, log_file, extra=()):
        seen.append((Path(dump), list(extra)))
        score = [0.2, 0.8] if '--tta' in extra else [0.6, 0.4]
        Path(dump).write_bytes(pickle.dumps([
            {'sample_id': s, 'gt_label': torch.tensor([1]), 'pred_score': torch.tensor(score)}
            for s in ('a', 'b')]))

    monkeypatch.setattr(launch, 'test', fake_test)
    return seen


def solution(tmp_path: Path, tta: bool, run_tta: bool | None = None) -> tuple[Manifest, Run]:
    config = tmp_path / 'model.py'
    config.write_text('# a config\n')
    run = Run('tiny', 'classifier', config, tta=run_tta)
    wd = tmp_path / 'work' / 'tiny' / 'fold0'
    wd.mkdir(parents=True)
    (wd / 'done.json').write_text('{}')
    (wd / 'epoch_1.pth').write_text('weights')
    (wd / 'last_checkpoint').write_text(str(wd / 'epoch_1.pth'))
    m = Manifest('sol', tmp_path / 'solution.py', 'sports', tmp_path / 'data', tmp_path / 'work',
                 [0], [run], {}, tta=tta)
    return m, run


def test_manifest_tta_adds_the_flag_to_inference_and_its_plan(tmp_path, tests_run, capsys):
    m, run = solution(tmp_path, tta=True)
    test_list = tmp_path / 'test.txt'
    test_list.write_text('x\n')
    dump = steps.infer_step(m, Pipeline(dry_run=True), run, 0, 1, {}, test_list)
    assert dump.name == 'test_preds_tta.pkl'  # switching TTA predicts again
    assert '--tta' in capsys.readouterr().out
    steps.infer_step(m, Pipeline(), run, 0, 1, {}, test_list)
    assert tests_run == [(dump, ['--tta'])]


def test_a_run_can_switch_tta_off_and_detectors_never_get_it(tmp_path):
    m, run = solution(tmp_path, tta=True, run_tta=False)
    assert not tta_of(m, run) and steps.tta_args(m, run) == []
    assert not tta_of(m, Run('det', 'detector', run.config))
    m.tta = False
    assert tta_of(m, Run('x', 'classifier', run.config, tta=True))


def test_tta_where_nothing_honours_it_is_a_manifest_error(tmp_path):
    config = tmp_path / 'c.py'
    with pytest.raises(ManifestError, match='crash flow'):
        _check_tta({'flow': 'crash', 'tta': True}, [], 'crash.py')
    with pytest.raises(ManifestError, match='run det: tta is not supported'):
        _check_tta({'flow': 'action'}, [Run('det', 'detector', config, tta=True)], 'a.py')
    _check_tta({'flow': 'action', 'tta': True}, [Run('det', 'detector', config)], 'a.py')


def test_validation_is_dumped_with_tta_too_and_the_oof_effect_written(tmp_path, tests_run):
    m, run = solution(tmp_path, tta=True)
    plain = steps.val_dump(m, run, 0, 1, {}, {})
    assert [(d.name, extra) for d, extra in tests_run] == [
        ('val_preds.pkl', []), ('val_preds_tta.pkl', ['--tta'])]
    assert steps.val_tta_outputs(m, run, 0) == [plain.parent / 'val_preds_tta.pkl']
    out = steps.tta_oof_step(m, Pipeline(), [(run, 0)], lambda: 2)
    effect = json.loads(out.read_text())['tiny']
    assert effect['metric'] == 'accuracy' and effect['folds'] == [0]
    assert (effect['without'], effect['with'], effect['delta']) == (0.0, 1.0, 1.0)
    assert effect['log_loss']['delta'] < 0
    assert out.with_suffix('.txt').is_file()


def test_no_tta_no_extra_dump_and_no_stage(tmp_path, tests_run):
    m, run = solution(tmp_path, tta=False)
    steps.val_dump(m, run, 0, 1, {}, {})
    assert [d.name for d, _ in tests_run] == ['val_preds.pkl']
    assert steps.tta_oof_step(m, Pipeline(), [(run, 0)], lambda: 2) is None
    assert not (m.work_dir / 'tta_oof.json').exists()


def test_preflight_builds_the_tta_model_and_names_a_config_without_tta():
    from custom_modules.utils.validation import Problems
    from tests.conftest import REPO_ROOT, TOY_CONFIG
    from tools.solutions.preflight import check_config_builds

    problems = Problems()
    sports = REPO_ROOT / 'configs/sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py'
    check_config_builds(Run('tiny', 'classifier', sports), problems, tta=True)
    assert not problems
    check_config_builds(Run('toy', 'classifier', TOY_CONFIG), problems, tta=True)
    assert len(problems.items) == 1
    assert 'declares no test-time augmentation' in str(problems.items[0])
