"""Registered podium pieces; importing this package registers them."""
from .bbox_reg_head import BBoxRegHead
from .crash_frame_head import CrashFrameHead

__all__ = ['BBoxRegHead', 'CrashFrameHead']
