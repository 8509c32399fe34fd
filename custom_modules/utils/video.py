"""Video files: finding them, probing their container, copying decoded frames out (PyAV).

yuv420p frames are resized by FFmpeg in YUV and converted to BGR by OpenCV (each measured several
times faster than the alternative; see :func:`frame_array`).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import av
import cv2
import numpy as np

from .errors import PodiumError

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv', '.flv')


class BadVideo(PodiumError):
    """A video that cannot be read; the message is the reason (shown in reports)."""


def find_videos(root: str | Path, exts: Iterable[str] = VIDEO_EXTS) -> list[Path]:
    """All files under `root` (recursive) whose extension is in `exts` (case-insensitive)."""
    exts = {e.lower() if e.startswith('.') else '.' + e.lower() for e in exts}
    return sorted(p for p in Path(root).rglob('*') if p.is_file() and p.suffix.lower() in exts)


def probe_video(path: str | Path, decode_first: bool = False) -> dict:
    """Container metadata of a video: size, fps, declared frames, duration.

    Args:
        path: The video.
        decode_first: Also decode the first frame, in the same opening of the file (a cheap
            check that the video is readable, not only its header).

    Raises:
        BadVideo: The file has no video stream, or (``decode_first``) no decodable frame.
        av.FFmpegError: FFmpeg cannot open it.
    """
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise BadVideo('no video stream')
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / av.time_base
        if decode_first and next(container.decode(stream), None) is None:
            raise BadVideo('no decodable frame')
        return {
            'width': stream.codec_context.width,
            'height': stream.codec_context.height,
            'fps': fps,
            'declared_frames': int(stream.frames or 0),
            'duration': duration,
            'codec': stream.codec_context.name,
        }


def _plane(plane: av.video.plane.VideoPlane, rows: int, cols: int) -> np.ndarray:
    """A view of the first `rows` x `cols` bytes of a (line-padded) picture plane."""
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:rows, :cols]


def i420_array(frame: av.VideoFrame) -> np.ndarray:
    """A yuv420p frame as one I420 array for OpenCV, sides rounded up to even (edge copied)."""
    w, h = frame.width, frame.height
    w2, h2 = w + w % 2, h + h % 2
    out = np.empty((h2 * 3 // 2, w2), np.uint8)
    y = out[:h2]
    y[:h, :w] = _plane(frame.planes[0], h, w)
    if w2 != w:
        y[:h, w] = y[:h, w - 1]
    if h2 != h:
        y[h] = y[h - 1]
    flat, n, q = out.reshape(-1), h2 * w2, (h2 // 2) * (w2 // 2)
    flat[n:n + q] = _plane(frame.planes[1], h2 // 2, w2 // 2).ravel()
    flat[n + q:] = _plane(frame.planes[2], h2 // 2, w2 // 2).ravel()
    return out


def frame_array(frame: av.VideoFrame, size: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """Copies a decoded frame out of the decoder at the output `size`: (array, is_i420).

    yuv420p (nearly all H.264/H.265/MPEG-4 video) is scaled by FFmpeg's swscale in YUV (area
    filter when shrinking; ~5x faster here than OpenCV's INTER_AREA on BGR) and kept as I420
    planes, converted later by OpenCV (~3x faster than swscale's BGR output through PyAV; see
    :func:`i420_to_bgr`). Other pixel formats are converted to BGR by FFmpeg and resized by the
    caller.

    Args:
        frame: A decoded PyAV frame.
        size: Output (width, height); applied here to yuv420p frames only.
    """
    if frame.format.name == 'yuv420p':
        if (frame.width, frame.height) != size:
            shrink = size[0] < frame.width or size[1] < frame.height
            frame = frame.reformat(width=size[0], height=size[1],
                                   interpolation='AREA' if shrink else 'BICUBIC')
        return i420_array(frame), True
    return frame.to_ndarray(format='bgr24'), False


def i420_to_bgr(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """BGR image of an I420 array from :func:`frame_array`, cropped to (width, height)."""
    return cv2.cvtColor(array, cv2.COLOR_YUV2BGR_I420)[:size[1], :size[0]]


def frame_bgr(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame at its own size as a contiguous BGR uint8 array."""
    size = (frame.width, frame.height)
    array, is_i420 = frame_array(frame, size)
    if is_i420:
        array = i420_to_bgr(array, size)
    return np.ascontiguousarray(array)


def read_video(path: str | Path) -> np.ndarray:
    """Decode every frame of a video with OpenCV: uint8 [T, H, W, 3] (BGR)."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        cap.release()
    if not frames:
        raise OSError(f'{path}: no frames could be decoded')
    return np.stack(frames)


def write_video(path: str | Path, frames: np.ndarray, fps: int) -> None:
    """Encode ``frames`` (mp4v) and check that they decode back with the same count and size."""
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f'{path}: OpenCV cannot open an mp4v writer')
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    back = read_video(path)
    if back.shape != frames.shape:
        raise OSError(f'{path}: wrote {frames.shape} but read back {back.shape}')
