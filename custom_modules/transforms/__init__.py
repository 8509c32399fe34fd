"""Registered podium pieces; importing this package registers them."""
from .box_random_crop import BoxRandomCrop
from .box_random_flip import BoxRandomFlip
from .box_target import BoxTarget
from .gaussian_noise import GaussianNoise
from .letterbox import Letterbox
from .shift_scale_rotate import RandomShiftScaleRotate

__all__ = ['BoxRandomCrop', 'BoxRandomFlip', 'BoxTarget', 'GaussianNoise', 'Letterbox',
           'RandomShiftScaleRotate']
