"""Checks made before a run's first costly stage: the machine, the media, the data contracts.

The solution runner (``tools/solutions/preflight.py``) combines them per solution; each check adds
to a :class:`~custom_modules.utils.validation.Problems` so that every problem is reported at once.
"""
from .contracts import ActionFacts, check_action_boxes, check_action_data, check_crash_data
from .environment import (
    check_free_disk,
    check_port,
    check_processes,
    check_writable,
    free_bytes,
    port_free,
    visible_gpus,
)
from .media import VideoProbe, frames_to_extract, probe_one, probe_videos

__all__ = [
    'ActionFacts', 'VideoProbe', 'check_action_boxes', 'check_action_data', 'check_crash_data',
    'check_free_disk', 'check_port', 'check_processes', 'check_writable', 'free_bytes',
    'frames_to_extract', 'port_free', 'probe_one', 'probe_videos', 'visible_gpus']
