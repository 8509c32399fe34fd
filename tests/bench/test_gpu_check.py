"""bench/gpu_check.py, gpu_check.sh and gpu_wheels.sh, checked on a CPU (no GPU here).

The slow test runs the real check with ``--device cpu --iters 1`` on shrunken inputs: every
case's full-size model is built from its config and trained for one mmengine step and one bare
step, the mmcv op routes are compared, and a 2-process gloo run stands in for NCCL.
"""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.bench.conftest import load_bench
from tests.conftest import REPO_ROOT, run_cli

BENCH = REPO_ROOT / 'bench'
CASES = ['tsm', 'faster_rcnn', 'sports_effnetv2', 'sports_swin', 'crash', 'localize']
PREINSTALLED = {'torch', 'torchvision', 'numpy', 'opencv-python', 'opencv-python-headless',
                'pandas', 'scipy'}


@pytest.fixture(scope='module')
def gpu_check():
    return load_bench('gpu_check')


@pytest.mark.slow
def test_cpu_run_records_every_case(tmp_path):
    out = tmp_path / 'gpu_check.json'
    proc = run_cli(['python', str(BENCH / 'gpu_check.py'), '--device', 'cpu', '--iters', '1',
                    '--warmup', '0', '--batch', '2', '--size', '32', '--dist', 'gloo',
                    '--out', str(out)], timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
    result = json.loads(out.read_text())
    assert [c['name'] for c in result['cases']] == CASES
    assert result['failures'] == [] and result['complete'] and result['meta']['device'] == 'cpu'
    for case in result['cases']:
        assert case['batch'] == 2 and case['input_shape'][0] == 2 and case['params_m'] > 1
        assert case['input_shape'][-2:] == [32, 32]
        fp32 = case['modes']['fp32']
        for side in ('mmengine', 'bare'):
            assert fp32[side]['samples_per_s'] > 0 and fp32[side]['loss_finite'], case
            assert fp32[side]['peak_mem_mib'] is None  # no CUDA memory to report
        assert fp32['ratio_mm_bare'] > 0
        amp = case['modes']['amp']  # mmengine's AmpOptimWrapper asserts a GPU
        assert amp['mmengine']['skipped'].startswith('skipped: needs CUDA')
        assert amp['bare']['skipped'].startswith('skipped: ')
    tsm = result['cases'][0]
    assert tsm['input_shape'] == [2, 8, 3, 32, 32]  # 8 frames per clip
    assert tsm['modes']['fp32']['mmengine']['optimizer'] == 'SGD'

    ops = result['ops']
    assert ops['torchvision']['nms_kept'] > 0 and ops['torchvision']['roi_align_fwd_bwd_ms'] > 0
    if ops['compiled_ops']:  # compiled mmcv on a CPU: both routes exist, they must agree
        assert ops['compare']['nms_keep_identical']
        assert ops['compare']['roi_align_out_max_abs_diff'] < 1e-5
        assert ops['compare']['roi_align_grad_max_abs_diff'] < 1e-5
    else:
        assert ops['compare'] == ops['mmcv'] == 'n/a (lite mode)'

    dist = result['dist']
    assert dist['backend'] == 'gloo' and dist['processes'] == 2
    assert dist['all_reduce_ok'] and dist['params_in_sync'] and dist['samples_per_s'] > 0

    table = proc.stdout
    for title in ('TSM-R50 1x1x8 224', 'Faster R-CNN R50-FPN', 'Swin-B 224 (sports)',
                  'EfficientNet-B0 448 (localize)'):
        assert re.search(rf'^{re.escape(title)}.*\bfp32\s+2\s+\S+\s+[\d.]+\s+[\d.]+\s+[\d.]+',
                         table, re.MULTILINE), table[-3000:]
    assert 'mmcv ops on cpu: default route' in table
    assert '2-process DDP (gloo, localize' in table and 'no errors' in table
    assert f'wrote {out}' in table


def test_an_error_is_recorded_and_the_rest_go_on(gpu_check, tmp_path, monkeypatch, capsys):
    broken = gpu_check.Case('broken', 'Broken model', 'configs/no_such_config.py', 'cls',
                            (32, 32))
    monkeypatch.setattr(gpu_check, 'CASES', (broken, ))

    def ops_fails(device):
        raise RuntimeError('no kernel')

    monkeypatch.setattr(gpu_check, 'ops_check', ops_fails)
    out = tmp_path / 'check.json'
    rc = gpu_check.main(['--device', 'cpu', '--dist', 'off', '--out', str(out)])
    assert rc == 1
    result = json.loads(out.read_text())
    assert 'no_such_config.py' in result['cases'][0]['error']
    assert result['ops'] == {'error': 'RuntimeError: no kernel'}
    assert result['dist'] == {'skipped': 'skipped: --dist off'}
    assert len(result['failures']) == 2
    assert result['complete'] is True
    printed = capsys.readouterr().out
    assert re.search(r'^Broken model\s+ERROR\s+FileNotFoundError', printed, re.MULTILINE)
    assert 'mmcv ops: ERROR RuntimeError: no kernel' in printed
    assert '2 FAILED' in printed


def test_checkpoints_are_switched_off(gpu_check):
    import gpu_check_cases  # importable once gpu_check.py put bench/ on sys.path

    model = {'type': 'ImageClassifier', 'pretrained': 'weights.pth',
             'backbone': {'init_cfg': {'type': 'Pretrained', 'checkpoint': 'x.pth'},
                          'pretrained2d': True},
             'head': {'init_cfg': [{'type': 'Pretrained', 'checkpoint': 'y'},
                                   {'type': 'Normal', 'std': 0.01}]}}
    clean = gpu_check_cases._no_checkpoints(model)
    assert clean == {'type': 'ImageClassifier', 'pretrained': None,
                     'backbone': {'init_cfg': None, 'pretrained2d': False},
                     'head': {'init_cfg': [{'type': 'Normal', 'std': 0.01}]}}


def _wheel_packages() -> list[str]:
    text = (BENCH / 'gpu_wheels.sh').read_text()
    block = re.search(r'^PACKAGES=\(\n(.*?)^\)', text, re.MULTILINE | re.DOTALL).group(1)
    return [w for line in block.splitlines() for w in line.split('#')[0].split()]


def _norm(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def test_wheel_list_is_pinned_and_leaves_the_preinstalled_stack_alone():
    names = [_norm(n) for n in _wheel_packages()]
    lock = {_norm(line.split('==')[0]) for line in
            (REPO_ROOT / 'requirements/lock.txt').read_text().splitlines()
            if '==' in line and not line.startswith('#')}
    assert {'mmengine', 'mmpretrain', 'mmdet', 'mmaction2', 'setuptools'} <= set(names)
    assert len(names) == len(set(names))
    assert set(names) <= lock, set(names) - lock
    assert not set(names) & PREINSTALLED


def test_gpu_check_sh_needs_the_wheel_folder(tmp_path):
    assert subprocess.run(['bash', '-n', str(BENCH / 'gpu_check.sh')]).returncode == 0
    assert subprocess.run(['bash', '-n', str(BENCH / 'gpu_wheels.sh')]).returncode == 0
    proc = run_cli(['bash', str(BENCH / 'gpu_check.sh')],
                   env={'PODIUM_WHEELS': str(tmp_path / 'none')}, timeout=60)
    assert proc.returncode == 2
    assert 'no wheel folder' in proc.stdout and 'bench/gpu_wheels.sh' in proc.stdout
