"""custom_modules.preflight.environment: processes vs GPUs, the port, the output folder, disk."""
from __future__ import annotations

import socket

import pytest

from custom_modules.preflight import environment
from custom_modules.preflight.environment import (
    GIB,
    check_free_disk,
    check_port,
    check_processes,
    check_writable,
    free_bytes,
    human_bytes,
    port_free,
)
from custom_modules.utils.validation import Problems


def messages(problems: Problems) -> list[str]:
    return [str(p) for p in problems.items]


@pytest.mark.parametrize('gpus,visible', [(0, 2), (1, 2), (2, 2), (0, 0), (8, 0)])
def test_processes_that_fit_the_devices_pass(gpus, visible):
    problems = Problems()
    check_processes(gpus, problems, visible=visible)
    assert not problems  # without CUDA (visible 0), N is CPU processes: any N is fine


def test_more_processes_than_visible_gpus_are_reported():
    problems = Problems()
    check_processes(3, problems, visible=2)
    assert messages(problems) == [
        'N (GPUs): 3 processes asked for but 2 GPU(s) are visible (CUDA_VISIBLE_DEVICES): '
        'use N <= 2']
    problems = Problems()
    check_processes(-1, problems, visible=0, where='--gpus')
    assert messages(problems) == ['--gpus: must be 0 or more, got -1']


@pytest.fixture
def listener():
    """A TCP socket listening on a port of 127.0.0.1 (closed after the test)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen()
    yield sock
    sock.close()


def test_a_port_in_use_is_reported_and_a_free_one_passes(listener):
    port = listener.getsockname()[1]
    assert not port_free(port)
    problems = Problems()
    check_port(port, problems)
    assert messages(problems) == [f'PORT: port {port} is in use (another training?): set PORT to '
                                  'a free one, e.g. PORT=29533 bash train.sh ...']
    listener.close()
    assert port_free(port)  # released: free again (no TIME_WAIT without a connection)
    problems = Problems()
    check_port(port, problems)
    assert not problems


def test_a_listener_on_every_interface_blocks_the_port():
    """torchrun's store listens on the wildcard address: the loopback probe must see it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('0.0.0.0', 0))
        sock.listen()
        assert not port_free(sock.getsockname()[1])


@pytest.mark.parametrize('port', [0, -5, 65536])
def test_a_number_that_is_no_tcp_port_is_reported(port):
    problems = Problems()
    check_port(port, problems)
    assert messages(problems) == [f'PORT: {port} is not a TCP port (1..65535)']


# The tests run as root, who may write anywhere: an unwritable folder (permission bits) cannot
# be tested here, only the folder that cannot exist because a file is in its way.
def test_a_folder_under_a_file_is_reported(tmp_path):
    blocker = tmp_path / 'work.txt'
    blocker.write_text('a file, not a folder')
    problems = Problems()
    check_writable(blocker / 'logs' / 'deeper', problems)
    assert messages(problems) == [f'{blocker}/logs/deeper: cannot be created: {blocker} is a '
                                  'file, not a folder']
    problems = Problems()
    check_writable(blocker, problems)  # the path itself is a file
    assert len(problems.items) == 1 and 'is a file, not a folder' in messages(problems)[0]


def test_an_existing_or_creatable_folder_passes_and_nothing_is_created(tmp_path):
    problems = Problems()
    check_writable(tmp_path, problems)
    nested = tmp_path / 'not' / 'yet' / 'there'
    check_writable(nested, problems)
    assert not problems
    assert not (tmp_path / 'not').exists()  # a check writes nothing
    assert free_bytes(nested) == free_bytes(tmp_path) > 0  # measured on the nearest parent


@pytest.mark.parametrize('n,text', [
    (0, '0 B'), (1023, '1023 B'), (1024, '1.0 KiB'), (340 * 1024 ** 2, '340.0 MiB'),
    (1.5 * GIB, '1.5 GiB'), (3 * 1024 * GIB, '3.0 TiB'), (2 ** 50, '1024.0 TiB')])
def test_human_bytes(n, text):
    assert human_bytes(n) == text


def test_an_absurd_need_of_disk_is_reported_in_readable_sizes(tmp_path):
    problems = Problems()
    check_free_disk(tmp_path, 2 ** 50, 'extracting 3 video(s)', problems)
    [message] = messages(problems)
    assert message.startswith(f'{tmp_path}: extracting 3 video(s) needs about 1024.0 TiB but '
                              'only ')
    assert message.endswith(' are free there: free some space or move the data')
    free = message.split('only ')[1].split(' are free')[0]
    assert free.split()[1] in ('B', 'KiB', 'MiB', 'GiB', 'TiB')  # a size a person reads
    problems = Problems()
    check_free_disk(tmp_path, 1024, 'a small list', problems)
    assert not problems


def test_free_disk_keeps_a_margin(monkeypatch, tmp_path):
    monkeypatch.setattr(environment, 'free_bytes', lambda folder: 1200)
    problems = Problems()
    check_free_disk(tmp_path, 1000, 'frames', problems)  # 1000 x 1.2 fits exactly
    assert not problems
    check_free_disk(tmp_path, 1001, 'frames', problems)
    assert messages(problems) == [f'{tmp_path}: frames needs about 1001 B but only 1.2 KiB are '
                                  'free there: free some space or move the data']
