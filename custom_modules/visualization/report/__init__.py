"""The run report: one self-contained ``report.html`` per solution work dir."""
from .distribution import Distribution, NotAvailable, class_distribution
from .render import render_report, write_report
from .source import REPORT_FILE, SOURCE_FILE, STAGES_FILE, ReportSource, load_source, save_source

__all__ = ['Distribution', 'NotAvailable', 'REPORT_FILE', 'ReportSource', 'SOURCE_FILE',
           'STAGES_FILE', 'class_distribution', 'load_source', 'render_report', 'save_source',
           'write_report']
