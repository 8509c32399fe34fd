"""Postprocessing rules as data: an mmengine Registry of rule types, apply + audit CSV."""
from . import detector_count, threshold_fallback, topk_substitute  # noqa: F401  (registration)
from .apply import CHANGES_NAME, Change, apply_rules, postprocess
from .base import PostprocessError, Rule, Sample
from .detections import count_detections, load_detection_scores, read_class_names
from .manifest import DEFAULT_RULES_KEY, load_rules
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
    'PostprocessError', 'Rule', 'Sample', 'SampleSubmission', 'apply_rules', 'build_rule',
    'build_rules', 'count_detections', 'load_detection_scores', 'load_rules', 'match_ids',
    'postprocess', 'read_class_names', 'read_sample_submission', 'register_rule', 'split_rules',
    'write_submission']
