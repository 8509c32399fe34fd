"""Predictors and the inference the tools run, in the spirit of ``mmpretrain.apis``.

One base (:class:`Predictor`: config + checkpoint, scope, class names, trust policy, device) with
an image classifier (:class:`ImagePredictor`) and a crash-frame model (:class:`FramePredictor`)
on top; streamed video inference (:func:`infer_video`); outlier ranking from embeddings.
"""
from .checkpoint_config import NoCheckpointConfig, config_from_checkpoint
from .frame_labels import check_label_count, fit_label_count, load_frame_labels
from .frame_predictor import FramePredictor
from .image_items import (
    ImageItem,
    items_from_csv,
    items_from_folder,
    items_from_list,
    labelled_from_folders,
    labelled_from_list,
    read_image_items,
)
from .image_outputs import sort_into, write_topk_csv
from .image_predictor import ImageLoadError, ImagePredictor
from .predictor import (
    CheckpointMismatch,
    CheckpointNotFound,
    ConfigError,
    NoClassNames,
    Predictor,
    read_checkpoint_classes,
)
from .video_annotation import annotate, annotate_file
from .video_inference import VideoResult, infer_video
from .video_io import FrameCsv, InferenceError

__all__ = [
    'CheckpointMismatch', 'CheckpointNotFound', 'ConfigError', 'FrameCsv', 'FramePredictor',
    'ImageItem', 'ImageLoadError', 'ImagePredictor', 'InferenceError', 'NoCheckpointConfig',
    'NoClassNames',
    'Predictor', 'VideoResult', 'annotate', 'annotate_file', 'check_label_count',
    'config_from_checkpoint',
    'fit_label_count', 'infer_video',
    'items_from_csv', 'items_from_folder', 'items_from_list', 'labelled_from_folders',
    'labelled_from_list', 'load_frame_labels', 'read_checkpoint_classes', 'read_image_items',
    'sort_into', 'write_topk_csv',
]
