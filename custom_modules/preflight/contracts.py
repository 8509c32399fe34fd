"""Data contracts of the video solutions, checked before extraction (no frame is needed).

The image solutions are checked by their list builders with ``check_only=True``
(:func:`~custom_modules.data_prep.image_lists.prepare_images`,
:func:`~custom_modules.data_prep.localize_lists.prepare_localize`); the video solutions' builders
need extracted frames, so the same readers are called here on the CSVs and the videos' probes.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from custom_modules.data_prep.frame_records import ExtractOptions, FrameRecord
from custom_modules.utils.validation import NA_TOKENS, Problems, list_some, read_class_list

from .media import VideoProbe

# The frame count of a probed video whose container declares none: no index is out of range.
UNKNOWN_FRAMES = 2 ** 31 - 1


@dataclass
class ActionFacts:
    """What the action data holds, for the checks that follow (rules, disk, folds)."""

    classes: list[str] = field(default_factory=list)
    det_classes: list[str] | None = None
    train_videos: list[Path] = field(default_factory=list)
    test_videos: list[Path] = field(default_factory=list)


def videos_by_stem(videos: Sequence[Path]) -> dict[str, Path]:
    return {v.stem: v for v in videos}


def check_ids_have_videos(df, id_column: str, file: Path, folder: Path,
                          stems: dict[str, Path], problems: Problems) -> list[Path]:
    """Every row's video (by stem) is in ``folder``; returns the videos the rows name."""
    found = []
    for stem, name, line in zip(df['stem'], df[id_column], df['_line']):
        if stem in stems:
            found.append(stems[stem])
        elif name and name.lower() not in NA_TOKENS:  # empty and NaN: reported by read_table
            problems.add(file, int(line), f'no video {name!r} in {folder}')
    return found


def probe_record(probe: VideoProbe, options: ExtractOptions) -> FrameRecord:
    """The frame record extraction would write for a probed video (declared frame count).

    A container that declares no count (MKV, WebM) gets :data:`UNKNOWN_FRAMES`: any frame index
    passes here and is checked against the extracted frames when the lists are built.
    """
    width, height = options.output_size(max(probe.width, 1), max(probe.height, 1))
    frames = probe.declared_frames or UNKNOWN_FRAMES
    return FrameRecord(
        stem=probe.path.stem, video=str(probe.path), video_bytes=0,
        total_frames=frames, fps=probe.fps, width=width, height=height,
        source_fps=probe.fps, source_frames=frames, source_width=probe.width,
        source_height=probe.height, duration=0.0, pix_fmt='',
        filename_tmpl=options.filename_tmpl, options=options.to_dict())


def check_action_data(train_csv: Path, sample_submission: Path, train_videos: Path,
                      test_videos: Path, problems: Problems, *, classes_file: Path | None = None,
                      oversample: dict | None = None, folds: int = 5) -> ActionFacts:
    """train.csv, sample_submission.csv and the video folders of the action contract."""
    from custom_modules.data_prep.action_lists import read_test_csv, read_train_csv
    from custom_modules.data_prep.folds import not_in_class_list, report_rare_classes
    from custom_modules.utils.video import find_videos

    facts = ActionFacts()
    for folder in (train_videos, test_videos):
        if not folder.is_dir():
            problems.add(folder, None, 'video folder not found')
    train_stems = videos_by_stem(find_videos(train_videos)) if train_videos.is_dir() else {}
    test_stems = videos_by_stem(find_videos(test_videos)) if test_videos.is_dir() else {}
    df, facts.classes = read_train_csv(train_csv, classes_file, problems)
    if df is not None:
        facts.train_videos = check_ids_have_videos(df, 'video_filename', train_csv, train_videos,
                                                   train_stems, problems)
        if len(df) < folds:
            problems.add(train_csv, None, f'{len(df)} videos cannot make {folds} folds')
        else:
            report_rare_classes(df['class'], [(train_csv, int(n)) for n in df['_line']], folds,
                                problems, skip=set(df['class']) - set(facts.classes))
    for name in sorted(set(oversample or {}) - set(facts.classes)):
        problems.add(train_csv, None, not_in_class_list(name, facts.classes, 'oversample class')
                     + ' (manifest preprocess.oversample)')
    test = read_test_csv(sample_submission, problems)
    if test is not None:
        facts.test_videos = check_ids_have_videos(test, 'video_filename', sample_submission,
                                                  test_videos, test_stems, problems)
    return facts


def check_action_boxes(boxes_csv: Path, det_classes_file: Path | None,
                       probes: dict[Path, VideoProbe], options: ExtractOptions,
                       problems: Problems, det_id_start: int = 1) -> list[str] | None:
    """The boxes CSV against the train videos' probes; returns the detector class names."""
    from custom_modules.data_prep.action_boxes import build_coco

    records = {p.stem: probe_record(probe, options) for p, probe in probes.items()}
    det_classes = (read_class_list(det_classes_file, problems)
                   if det_classes_file is not None else None)
    coco = build_coco(boxes_csv, records, det_classes=det_classes, det_id_start=det_id_start,
                      problems=problems)
    if coco is not None:
        return coco.class_names
    return det_classes


def check_crash_data(train_videos: Path, train_labels: Path, test_videos: Path,
                     problems: Problems, frame_col: str | None = None,
                     type_col: str | None = None) -> list[Path]:
    """Crash contract: every train video has a readable ``<stem>.csv`` of frame labels.

    Returns the train videos (those to probe and extract).
    """
    from custom_modules.data_prep.crash_lists import read_frame_labels
    from custom_modules.utils.video import find_videos

    for folder in (train_videos, train_labels, test_videos):
        if not folder.is_dir():
            problems.add(folder, None, 'folder not found')
    videos = find_videos(train_videos) if train_videos.is_dir() else []
    if train_videos.is_dir() and not videos:
        problems.add(train_videos, None, 'no videos found')
    if test_videos.is_dir() and not find_videos(test_videos):
        problems.add(test_videos, None, 'no videos found')
    if not train_labels.is_dir():
        return videos
    labels = {p.stem: p for p in sorted(train_labels.glob('*.csv'))}
    missing = [v.name for v in videos if v.stem not in labels]
    if missing:
        problems.add(train_labels, None, f'no label CSV for {len(missing)} train video(s): '
                     f'{list_some(missing)} (expected <video stem>.csv)')
    stems = {v.stem for v in videos}
    for stem, path in labels.items():
        if stem not in stems:
            problems.add(path, None, f'labels for a video that is not in {train_videos}')
            continue
        read_frame_labels(path, problems, n_frames='rows', frame_col=frame_col,
                          type_col=type_col)
    return videos
