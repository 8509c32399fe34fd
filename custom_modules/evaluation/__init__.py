"""Registered podium pieces; importing this package registers them."""
from .classification_report import ClassificationReport
from .crash_metrics import CrashMetric
from .localize_metric import LocalizeMetric

__all__ = ['ClassificationReport', 'CrashMetric', 'LocalizeMetric']
