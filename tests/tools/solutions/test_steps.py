"""The shared flow steps: which options reach tools/train.py and tools/test.py, and in what order
they override each other (flow wiring < pretrained weights < the run's cfg_options < val split)."""
from __future__ import annotations

from pathlib import Path

import pytest

from custom_modules.utils.errors import InputError
from tools.solutions import launch, steps
from tools.solutions.manifest import Manifest, Run
from tools.solutions.stages import Pipeline


@pytest.fixture
def calls(monkeypatch, tmp_path):
    """launch.train/test replaced by recorders; training leaves a checkpoint behind."""
    seen: dict[str, dict] = {}

    def fake_train(config, work_dir, gpus, options, resume, log_file, auto_scale_lr=False,
                   seed=None, deterministic=False, amp=False):
        seen['train'] = dict(options)
        seen['train_seed'] = (seed, deterministic)
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        (Path(work_dir) / 'epoch_1.pth').write_text('weights')
        (Path(work_dir) / 'last_checkpoint').write_text(str(Path(work_dir) / 'epoch_1.pth'))

    def fake_test(config, checkpoint, work_dir, gpus, options, dump, log_file, extra=()):
        seen.setdefault('test', []).append((Path(checkpoint).name, dict(options)))
        seen.setdefault('test_checkpoints', []).append((Path(checkpoint), list(extra)))
        Path(dump).write_bytes(b'dump')

    monkeypatch.setattr(launch, 'train', fake_train)
    monkeypatch.setattr(launch, 'test', fake_test)
    monkeypatch.setattr('custom_modules.visualization.plot_training_curves', lambda wd, out: out)
    return seen


def manifest(tmp_path: Path, pretrained: dict | None) -> tuple[Manifest, Run]:
    config = tmp_path / 'model.py'
    config.write_text('# a config\n')
    path = tmp_path / 'solution.py'
    path.write_text('# a manifest\n')
    run = Run('m', 'classifier', config, pretrained=pretrained,
              cfg_options={'train_dataloader.batch_size': 4, 'data_root': 'from-the-run'})
    return Manifest('sol', path, 'sports', tmp_path / 'data', tmp_path / 'work', [0], [run],
                    {}), run


def test_run_options_override_wiring_and_pretrained_weights(calls, tmp_path):
    weights = tmp_path / 'backbone.pth'
    weights.write_text('w')
    m, run = manifest(tmp_path, {'file': str(weights), 'cfg_options': {
        'model.backbone.init_cfg.checkpoint': '{file}', 'train_dataloader.batch_size': 2}})
    wiring = {'data_root': 'from-the-flow', 'train_dataloader.dataset.ann_file': 'train.txt'}
    pipe = Pipeline()
    train_list = tmp_path / 'train.txt'
    train_list.write_text('a 0\n')

    done = steps.train_step(m, pipe, run, 0, 1, wiring, inputs=[train_list])
    assert done.is_file()
    assert calls['train'] == {
        'data_root': 'from-the-run',  # the run's cfg_options have the last word
        'train_dataloader.dataset.ann_file': 'train.txt',  # the flow's wiring stays
        'model.backbone.init_cfg.checkpoint': str(weights.resolve()),  # {file} filled in
        'train_dataloader.batch_size': 4}  # the run over the pretrained defaults

    dump = steps.infer_step(m, pipe, run, 0, 1, wiring, test_list=train_list)
    assert dump == steps.run_dir(m, run, 0) / 'test_preds.pkl' and dump.is_file()
    val = steps.val_dump(m, run, 0, 1, wiring, {'data_root': 'val-split'})
    assert val == steps.run_dir(m, run, 0) / 'val_preds.pkl' and val.is_file()
    (infer_ckpt, infer_options), (val_ckpt, val_options) = calls['test']
    assert infer_ckpt == val_ckpt == 'epoch_1.pth'
    # inference does not load the pretrained backbone: the trained checkpoint has it
    assert infer_options == {'data_root': 'from-the-run', 'train_dataloader.batch_size': 4,
                             'train_dataloader.dataset.ann_file': 'train.txt'}
    assert val_options == {**infer_options, 'data_root': 'val-split'}  # the split wins


def test_untrained_run_is_refused_before_testing(calls, tmp_path):
    m, run = manifest(tmp_path, None)
    with pytest.raises(InputError, match='bash train.sh N sol'):
        steps.val_dump(m, run, 0, 1, {}, {})
    with pytest.raises(InputError, match='is not trained'):
        steps.infer_step(m, Pipeline(), run, 0, 1, {}, tmp_path / 'test.txt')
    assert 'test' not in calls


def test_missing_pretrained_weights_name_the_file(calls, tmp_path):
    m, run = manifest(tmp_path, {'file': str(tmp_path / 'absent.pth'), 'what': 'the backbone'})
    with pytest.raises(InputError, match=r'put the backbone at .*absent\.pth'):
        steps.train_step(m, Pipeline(), run, 0, 1, {}, inputs=[])
    assert 'train' not in calls


def test_every_training_gets_the_manifests_seed_and_determinism(monkeypatch, tmp_path):
    commands: list[list[str]] = []

    def fake_run_logged(cmd, log_file, what, gpus=1):
        commands.append(list(cmd))
        work_dir = Path(cmd[cmd.index('--work-dir') + 1])
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
        (work_dir / 'epoch_1.pth').write_text('weights')

    monkeypatch.setattr(launch, 'run_logged', fake_run_logged)
    monkeypatch.setattr('custom_modules.visualization.plot_training_curves', lambda wd, out: out)
    m, run = manifest(tmp_path, None)
    m.seed, m.deterministic = 0, True
    m.folds = [0, 1]
    pipe = Pipeline()
    for fold in m.folds:
        steps.train_step(m, pipe, run, fold, 1, {}, inputs=[])
    assert len(commands) == 2
    for cmd in commands:
        assert cmd[cmd.index('--seed') + 1] == '0' and '--deterministic' in cmd


def test_amp_and_sync_bn_reach_every_training_command_in_the_plan(tmp_path, capsys):
    """The manifest's ``amp`` and ``sync_bn`` are on the planned command line; a run's own
    ``amp`` wins over the manifest's."""
    m, run = manifest(tmp_path, None)
    other = Run('other', 'classifier', run.config, amp=False)
    m.runs, m.amp, m.sync_bn = [run, other], True, True
    pipe = Pipeline(dry_run=True)
    for r in m.runs:
        steps.train_step(m, pipe, r, 0, 2, {}, inputs=[])
    lines = [line for line in capsys.readouterr().out.splitlines() if '$ ' in line]
    assert len(lines) == 2, lines
    assert '--amp' in lines[0] and 'sync_bn=torch' in lines[0]
    assert '--amp' not in lines[1] and 'sync_bn=torch' in lines[1]
    m.amp = m.sync_bn = False
    assert '--amp' not in launch.shell_line(launch.train_command(run.config, tmp_path, 2, {},
                                                                 False))


def bare_manifest(tmp_path: Path, flow: str = 'localize', **raw) -> Manifest:
    return Manifest('sol', tmp_path / 'solution.py', flow, tmp_path / 'data', tmp_path / 'work',
                    [0], [], raw)


def test_listed_classes_come_from_the_preflight_until_the_list_exists(tmp_path):
    m = bare_manifest(tmp_path)
    listed = tmp_path / 'classes.txt'
    m.facts.update(classes=['b', 'a'], det_classes=None)
    assert steps.listed_classes(m, listed) == ['b', 'a']  # a dry run: no list written yet
    assert steps.listed_classes(m, listed, 'det_classes') == []
    listed.write_text('x\n\ny\n')
    assert steps.listed_classes(m, listed) == ['x', 'y']  # the written list wins
    with pytest.raises(InputError, match='absent.txt does not exist yet: the preprocessing'):
        steps.listed_classes(bare_manifest(tmp_path), tmp_path / 'absent.txt')


def test_a_dry_run_before_the_demo_data_plans_with_the_generators_classes(tmp_path):
    from custom_modules.demo_data import action_demo

    m = bare_manifest(tmp_path, flow='action', demo_data=True)
    assert not steps.data_generated_first(m)
    assert steps.inputs_to_check(m, [tmp_path / 'train.csv']) == [tmp_path / 'train.csv']
    m.facts.update(steps.demo_plan_facts(m))  # what the preflight does for pending demo data
    assert steps.data_generated_first(m) and steps.inputs_to_check(m, [tmp_path]) == ()
    assert steps.listed_classes(m, tmp_path / 'lists/classes.txt') == list(action_demo.CLASSES)
    assert steps.listed_classes(m, tmp_path / 'x.txt', 'det_classes') == ['ball', 'box']
    assert steps.extraction_plan(m, [], tmp_path / 'rawframes') == [
        f'every video of the generated demo data, into {tmp_path / "rawframes"}']


def test_extraction_plan_counts_the_videos_still_to_extract(tmp_path):
    from custom_modules.data_prep.frame_extraction import extract_videos
    from custom_modules.data_prep.frame_records import ExtractOptions
    from tests.data_fixtures import make_video

    videos = [make_video(tmp_path / 'v' / f'{name}.mp4', n=3) for name in ('a', 'b', 'c')]
    raw = tmp_path / 'rawframes'
    m = bare_manifest(tmp_path, 'action', extract={'options': {'short_side': 24}})
    assert steps.extraction_plan(m, videos, raw) == [
        f'3 of 3 video(s) to extract into {raw} (0 already complete are skipped)']
    assert not raw.exists()
    extract_videos(videos[:1], raw, ExtractOptions(short_side=24), workers=1, progress=False)
    assert steps.extraction_plan(m, videos, raw) == [
        f'2 of 3 video(s) to extract into {raw} (1 already complete are skipped)']
    other = bare_manifest(tmp_path, 'action')  # other options: the frames do not count
    assert steps.extraction_plan(other, videos, raw)[0].startswith('3 of 3 video(s)')


def test_demo_data_is_pending_until_generated(tmp_path):
    assert not steps.demo_data_pending(bare_manifest(tmp_path))  # user data: never generated
    m = bare_manifest(tmp_path, demo_data=True, demo_seed=3)
    assert steps.demo_data_pending(m)
    dry = Pipeline(dry_run=True)
    steps.generate_demo_data(m, dry)
    assert [(r.name, r.status) for r in dry.records] == [('generate demo data', 'will run')]
    assert not m.data_root.exists()  # a dry run generates nothing
    pipe = Pipeline()
    steps.generate_demo_data(m, pipe)
    assert not steps.demo_data_pending(m)
    assert steps.demo_generator(m).stale_reason(m.data_root, 3) is None  # the manifest's seed
    steps.generate_demo_data(m, pipe)  # idempotent: complete data is left alone
    assert [r.metrics for r in pipe.records] == [{'generated': 1}, {'generated': 0}]
    steps.generate_demo_data(bare_manifest(tmp_path / 'user'), pipe)
    assert len(pipe.records) == 2  # no stage without demo_data


def test_demo_data_changed_by_the_user_is_refused_unless_forced(tmp_path):
    from custom_modules.demo_data.synthetic_folder import ChangedFolder

    m = bare_manifest(tmp_path, flow='sports', demo_data=True)
    steps.generate_demo_data(m, Pipeline())
    (m.data_root / 'train.csv').write_text('image_id,label\n')
    (m.data_root / 'my_notes.txt').write_text('mine')
    with pytest.raises(ChangedFolder, match='my_notes.txt'):
        steps.generate_demo_data(m, Pipeline())
    assert (m.data_root / 'train.csv').read_text() == 'image_id,label\n'
    forced = Pipeline(force=True)  # --force / FORCE=1 reaches the generator
    steps.generate_demo_data(m, forced)
    assert forced.records[0].metrics == {'generated': 1}
    assert (m.data_root / 'train.csv').read_text().count('\n') > 1
    assert (m.data_root / 'my_notes.txt').read_text() == 'mine'


def test_demo_data_refusal_is_known_before_the_stage_runs(tmp_path):
    m = bare_manifest(tmp_path, flow='sports', demo_data=True)
    assert steps.demo_data_refusal(m) is None  # absent: it will be generated
    assert steps.demo_data_refusal(bare_manifest(tmp_path / 'user')) is None  # no demo data
    steps.generate_demo_data(m, Pipeline())
    assert steps.demo_data_refusal(m) is None  # complete: left alone
    (m.data_root / 'my_notes.txt').write_text('mine')
    assert steps.demo_data_refusal(m) is None  # a file added alone: still complete, kept
    (m.data_root / 'train.csv').write_text('image_id,label\n')
    refusal = steps.demo_data_refusal(m)
    assert "1 changed ['train.csv']" in refusal and 'my_notes.txt' in refusal
    assert '--force' in refusal
    assert steps.demo_data_refusal(m, force=True) is None  # --force regenerates its own files
