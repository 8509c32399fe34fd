"""Plots the tools and the solution flows write: curves, confusion matrices, box galleries."""
from .best_worst import find_image, plot_best_worst
from .confusion_matrix import draw_confusion, plot_confusion_matrix, row_normalised, scores
from .curves import draw_curves, plot_training_curves
from .figures import pyplot, save_png
from .scalars import SCALARS, ScalarsError, TrainingCurves, load_curves, merge_runs

__all__ = [
    'SCALARS', 'ScalarsError', 'TrainingCurves', 'draw_confusion', 'draw_curves', 'find_image',
    'load_curves', 'merge_runs', 'plot_best_worst', 'plot_confusion_matrix', 'plot_training_curves',
    'pyplot', 'row_normalised', 'save_png', 'scores']
