"""Predictions: dump and ``.npz`` I/O, sample ids, labels, boxes, OOF tables, the one ensembler."""
from .boxes import BOX, dump_to_frame, load_box_predictions, load_truth, prob_columns, with_iou
from .ensemble import average_by_id, ensemble, normalised_weights, run_file_weights
from .io import load_dump, load_predictions, read_prediction_npz, save_predictions, save_top1_csv
from .labels import dump_labels
from .oof import OofPredictions, check_coverage, read_oof, write_oof
from .samples import DEFAULT_ID_KEYS, PredictionError, as_probabilities, get_field, to_numpy

__all__ = [
    'BOX', 'DEFAULT_ID_KEYS', 'PredictionError', 'as_probabilities', 'average_by_id',
    'dump_labels', 'dump_to_frame', 'ensemble', 'get_field', 'load_box_predictions', 'load_dump',
    'load_predictions', 'load_truth', 'normalised_weights', 'OofPredictions', 'check_coverage',
    'prob_columns', 'read_oof', 'read_prediction_npz', 'run_file_weights', 'save_predictions',
    'save_top1_csv', 'to_numpy', 'with_iou', 'write_oof']
