"""Preflight: everything knowable before the first costly stage, checked at once.

``train.sh`` and ``inference.sh`` call :func:`preflight` before any extraction or training: the
solution's data contract (files, columns, empty or header-only CSVs, duplicate ids, NaN or unknown
labels, ids without media, videos by a cheap probe, every image fully decoded; a class too rare
for the folds), the manifest (configs that build in their scope, folds), the rules against the
class lists, pretrained weights or trained checkpoints, the output folder, free disk against the
frames to be written, N against the visible GPUs and a free rendezvous port. Every problem is
reported together (file, row, what to do), exit status 2.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from custom_modules.utils.errors import PodiumError
from custom_modules.utils.validation import DataError, Problems

from .manifest import Manifest, Run
from .steps import demo_data_pending, demo_data_refusal, demo_plan_facts, extract_options

T = TypeVar('T')


@dataclass
class Check:
    """What a preflight found: problems, and notes to print (features off, estimates)."""

    m: Manifest
    mode: str
    gpus: int
    problems: Problems = field(default_factory=Problems)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)


def check_environment(c: Check) -> None:
    from custom_modules.preflight.environment import check_port, check_processes, check_writable

    check_writable(c.m.work_dir, c.problems)
    check_writable(c.m.data_root, c.problems)  # frames and lists are written beside the data
    check_processes(c.gpus, c.problems)
    distributed = c.gpus > 1 and not os.environ.get('PARTITION')
    if distributed and os.environ.get('NODE_RANK', '0') == '0':
        check_port(int(os.environ.get('PORT', '29500')), c.problems)


def check_config_builds(run: Run, problems: Problems, tta: bool = False) -> None:
    """The run's config parses, with its ``cfg_options``, and its model builds in its scope;
    with ``tta``, its test-time augmentation too (``tools/test.py --tta``)."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    import custom_modules  # noqa: F401  (registers the stack)

    try:
        cfg = Config.fromfile(str(run.config))
        cfg.merge_from_dict(run.cfg_options)
        scope = cfg.get('default_scope', 'mmengine')
        with DefaultScope.overwrite_default_scope(scope):
            MODELS.build(cfg.model)
            if tta:
                from custom_modules.engine.tta import apply_tta

                apply_tta(cfg, str(run.config))
                MODELS.build(cfg.model)
    except Exception as err:  # any failure to parse or build is the user's to see, named
        problems.add(run.config, None, f'run {run.name!r}: the config does not build '
                     f'({type(err).__name__}: {str(err).splitlines()[0][:300]})')


def check_runs(c: Check, runs: list[Run]) -> None:
    """Configs build; pretrained weights (train) or checkpoints (inference) are present."""
    from .manifest import tta_of
    from .steps import checkpoint_for, pretrained_options

    for run in runs:
        check_config_builds(run, c.problems, tta=tta_of(c.m, run))
        try:
            if c.mode == 'train':
                pretrained_options(c.m, run)
            else:
                for fold in c.m.folds:
                    checkpoint_for(c.m, run, fold)
        except PodiumError as err:  # missing, or refused by the trust policy
            c.problems.add(c.m.path, None, str(err))


def check_disk(c: Check, probes: dict, rawframes: Path) -> None:
    """Free disk where the frames go against an estimate of the frames still to be written."""
    from custom_modules.preflight.environment import check_free_disk, human_bytes
    from custom_modules.preflight.media import frames_to_extract

    videos, need = frames_to_extract(probes, rawframes, extract_options(c.m))
    if videos:
        c.note(f'{videos} video(s) to extract: about {human_bytes(need)} of frames in '
               f'{rawframes}')
        check_free_disk(rawframes, need, f'extracting {videos} video(s)', c.problems)


def probe(c: Check, videos: list[Path]) -> dict:
    from custom_modules.preflight.media import probe_videos

    unique = sorted(set(videos))
    return probe_videos(unique, c.problems, workers=min(8, os.cpu_count() or 1))


def check_action(c: Check) -> None:
    from custom_modules.preflight.contracts import check_action_boxes, check_action_data

    from .action import ActionPaths

    p = ActionPaths(c.m)
    settings = c.m.get('preprocess', {})
    facts = check_action_data(p.train_csv, p.sample_submission, p.train_videos, p.test_videos,
                              c.problems, classes_file=p.classes_file,
                              oversample=settings.get('oversample'),
                              folds=settings.get('folds', 5))
    probes = probe(c, facts.train_videos + facts.test_videos)
    det_classes = None
    if p.has_boxes:
        train = {v: probes[v] for v in facts.train_videos if v in probes}
        det_classes = check_action_boxes(p.boxes_csv, p.det_classes_file, train,
                                         extract_options(c.m),
                                         c.problems, settings.get('det_id_start', 1))
    c.m.facts.update(classes=facts.classes, det_classes=det_classes)
    check_disk(c, probes, p.rawframes)
    check_rules(c, facts.classes, det_classes, p)
    check_runs(c, [r for r in c.m.runs if p.has_boxes or not r.needs_boxes])


def check_rules(c: Check, classes: list[str], det_classes: list[str] | None, p) -> None:
    """Every rule against the class lists: an unknown class names the rule and the class."""
    from custom_modules.postprocess import PostprocessError, split_rules

    rules = c.m.get('postprocess_rules', [])
    has_detections = p.has_boxes and c.m.get('rules_detector') in {r.name for r in c.m.runs}
    if not classes or (has_detections and det_classes is None):
        return  # the class lists could not be read: that problem is reported already
    reason = (f'no boxes CSV ({p.boxes_csv or "inputs.boxes_csv not set"}), so no detector run'
              if not p.has_boxes else f'no detector run named {c.m.get("rules_detector")!r}')
    bad = 0
    for number, cfg in enumerate(rules):
        try:  # one rule at a time, so that every bad rule is reported
            _, off = split_rules([cfg], classes, det_classes, has_detections, reason)
        except PostprocessError as err:
            c.problems.add(c.m.path, None, f'postprocess_rules[{number}]: {err}')
            bad += 1
            continue
        for _, description, why in off:  # inference says it at its postprocess stage
            if c.mode == 'train':
                c.note(f'rule #{number} {description}: off, {why}')
    if not bad:
        try:
            split_rules(rules, classes, det_classes, has_detections, reason)
        except PostprocessError as err:  # groups: what the single checks cannot see
            c.problems.add(c.m.path, None, f'postprocess_rules: {err}')


def check_crash(c: Check) -> None:
    from custom_modules.preflight.contracts import check_crash_data
    from custom_modules.utils.video import find_videos

    from .crash import CrashPaths

    p = CrashPaths(c.m)
    settings = c.m.get('preprocess', {})
    if c.mode == 'train':
        videos = check_crash_data(p.train_videos, p.train_labels, p.test_videos, c.problems,
                                  settings.get('frame_col'), settings.get('type_col'))
        check_disk(c, probe(c, videos), p.rawframes)
    elif not p.test_videos.is_dir() or not find_videos(p.test_videos):
        c.problems.add(p.test_videos, None, 'no test videos found')
    else:
        probe(c, find_videos(p.test_videos))
    check_runs(c, c.m.runs)


def check_sports(c: Check) -> None:
    from custom_modules.data_prep.image_lists import prepare_images

    from .sports import SportsPaths, list_options

    p = SportsPaths(c.m)
    if p.valid_size and c.m.folds != [0]:
        c.problems.add(c.m.path, None, 'a holdout split (preprocess.valid_size) has one fold, '
                       f'0; got folds {c.m.folds}')
    lists = guard(c, lambda: prepare_images(p.lists, **list_options(c.m, p), check_only=True))
    c.m.facts['classes'] = lists.classes if lists is not None else []
    check_runs(c, c.m.runs)


def check_localize(c: Check) -> None:
    from custom_modules.data_prep.localize_lists import prepare_localize
    from custom_modules.utils.image_check import decode_cache_for

    from .localize import LocalizePaths

    p = LocalizePaths(c.m)
    settings = c.m.get('preprocess', {})
    table = guard(c, lambda: prepare_localize(
        p.train_dir, p.lists, classes=p.classes_file, folds=settings.get('folds', 5),
        test_dir=p.test_dir, clip_boxes=settings.get('clip_boxes', False),
        decode=settings.get('decode', True), decode_cache=decode_cache_for(p.root),
        check_only=True))
    c.m.facts['classes'] = table.classes if table is not None else []
    check_runs(c, c.m.runs)


def guard(c: Check, check: Callable[[], T]) -> T | None:
    """Runs a builder's own check, folding its problems into this preflight's."""
    try:
        return check()
    except DataError as err:
        c.problems.items.extend(err.problems)
    except PodiumError as err:
        c.problems.add(c.m.data_root, None, str(err))
    return None


FLOW_CHECKS = {'action': check_action, 'crash': check_crash, 'sports': check_sports,
               'localize': check_localize}


def preflight(m: Manifest, mode: str, gpus: int, force: bool = False) -> list[str]:
    """Check everything at once; raise :class:`DataError` listing every problem (exit 2).

    ``force`` (``--force``): demo data the user changed will be regenerated, not refused.
    Returns the notes to print (features switched off, the extraction estimate).
    """
    t0 = time.monotonic()
    c = Check(m, mode, gpus)
    check_environment(c)
    if demo_data_pending(m):  # only in a dry run: a run generates it first
        refusal = demo_data_refusal(m, force)
        if refusal is not None:  # what the generate stage would refuse with
            c.problems.add(m.data_root, None, refusal)
        c.note(f'demo data is generated into {m.data_root} by the first stage; its contract is '
               'checked then')
        m.facts.update(demo_plan_facts(m))  # the plan: the generator's classes, no data read
    else:
        FLOW_CHECKS[m.flow](c)
    if c.problems:
        raise PreflightFailed(c.problems.items, time.monotonic() - t0)
    for line in c.notes:
        print(f'[podium] preflight: {line}', flush=True)
    print(f'[podium] preflight: all checks passed in {time.monotonic() - t0:.1f} s', flush=True)
    return c.notes


class PreflightFailed(DataError):
    """The preflight found problems: every one of them, before anything ran (exit status 2)."""

    def __init__(self, problems, seconds: float) -> None:
        super().__init__(problems)
        self.args = (f'preflight found {len(self.problems)} problem(s) in {seconds:.1f} s; '
                     f'nothing was run. {self.args[0]}',)
