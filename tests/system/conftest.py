"""Shared pytest fixtures for system tests: a real trainload server per test module (plain HTTP
and TLS), deterministic test data, and helpers to run command-line clients.

Every fixture cleans up after itself even when a test fails: servers are stopped, temporary
directories removed (mounts are the tests' own business: they unmount in `finally`).
"""

import os
import random
import shutil
import subprocess
import tempfile

import pytest

from trainload_server import (DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, TrainloadServer,
                              find_trainload, make_tls_cert)


@pytest.fixture(scope="session")
def trainload_bin():
    path = find_trainload()
    assert os.path.exists(path), f"trainload binary not found at {path}; build first"
    return path


@pytest.fixture(scope="module")
def workdir():
    path = tempfile.mkdtemp(prefix="trainload-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def server(trainload_bin, workdir):
    """A plain-HTTP server shared by the tests of one module."""
    s = TrainloadServer(trainload_bin, os.path.join(workdir, "data"),
                        access_key=DEFAULT_ACCESS_KEY, secret_key=DEFAULT_SECRET_KEY)
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tls_server(trainload_bin, workdir):
    """An HTTPS server with a self-signed certificate (clients get it via AWS_CA_BUNDLE)."""
    tls_dir = os.path.join(workdir, "tls")
    os.makedirs(tls_dir, exist_ok=True)
    s = TrainloadServer(trainload_bin, os.path.join(workdir, "tls-data"),
                        access_key=DEFAULT_ACCESS_KEY, secret_key=DEFAULT_SECRET_KEY,
                        tls=make_tls_cert(tls_dir))
    s.start()
    yield s
    s.stop()


def random_bytes(size, seed):
    return random.Random(seed).randbytes(size)


def write_file(path, size, seed):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        rng = random.Random(seed)
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n
    return path


def run(cmd, env=None, check=True, timeout=600, input=None):
    """Runs a command; on failure the assertion shows its output."""
    result = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, input=input)
    if check and result.returncode != 0:
        raise AssertionError(
            f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n"
            f"stdout: {result.stdout.decode(errors='replace')[-4000:]}\n"
            f"stderr: {result.stderr.decode(errors='replace')[-4000:]}")
    return result


# Keys every client must round-trip exactly (the list plus a few more).
SPECIAL_KEYS = [
    "plain.txt",
    "with space.txt",
    "plus+sign.txt",
    "percent%20literal.txt",
    "unicode-\u00e9\u00e8-\u4e2d\u6587-\U0001F600.bin",
    "a",
    "a/b",
    "dir/sub dir/file (1).txt",
    "tilde~and=equals&amp.txt",
]
