"""Postprocessing rules as data: an mmengine Registry of rule types, apply + audit CSV, and each
rule judged (its grid searched) on the out-of-fold predictions."""
from . import detector_count, threshold_fallback, topk_substitute  # noqa: F401  (registration)
from .apply import CHANGES_NAME, Change, apply_rules, postprocess
from .base import PostprocessError, Rule, Sample
from .detections import count_detections, load_detection_scores, read_class_names
from .grid import rules_for_test
from .manifest import DEFAULT_RULES_KEY, load_rules
from .oof_audit import OofDetections, judge_oof, judge_rules
from .registry import (
    COMMON_KEYS,
    POSTPROCESS_RULES,
    build_rule,
    build_rules,
    register_rule,
    split_rules,
)
from .submission import SampleSubmission, match_ids, read_sample_submission, write_submission

__all__ = [
    'CHANGES_NAME', 'COMMON_KEYS', 'DEFAULT_RULES_KEY', 'POSTPROCESS_RULES', 'Change',
    'OofDetections', 'PostprocessError', 'Rule', 'Sample', 'SampleSubmission', 'apply_rules',
    'build_rule', 'build_rules', 'count_detections', 'judge_oof', 'judge_rules',
    'load_detection_scores', 'load_rules', 'match_ids', 'postprocess', 'read_class_names',
    'read_sample_submission', 'register_rule', 'rules_for_test', 'split_rules',
    'write_submission']
