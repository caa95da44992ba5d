"""Fixtures of the trainload.torch tests: one real `trainload server` on 127.0.0.1 per session
(tests/system/trainload_server.py), the process environment pointed at it (so DataLoader workers,
forked or spawned, inherit the credentials and region), a boto3 client to seed and check objects
independently of trainload's own client, and deterministic datasets.

The package under test is the one on PYTHONPATH (CTest: <build>/python); the server binary is
$TRAINLOAD_BIN. Everything is stopped and removed even when a test fails.
"""

import io
import os
import random
import shutil
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))

from trainload_server import (DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, REGION,  # noqa: E402
                              TrainloadServer, find_trainload)

try:
    import trainload.torch  # noqa: F401
except ImportError as error:  # a clear failure, never a skip
    raise ImportError(f"trainload.torch is not importable ({error}); build the _trainload target "
                      "and put <build>/python on PYTHONPATH") from error

BUCKET = "torch-data"
MiB = 1024 * 1024


def payload(seed, size):
    return random.Random(seed).randbytes(size)


@pytest.fixture(scope="session")
def server():
    binary = find_trainload()
    assert os.path.exists(binary), f"trainload binary not found at {binary}; build it first"
    workdir = tempfile.mkdtemp(prefix="trainload-torch-")
    s = TrainloadServer(binary, os.path.join(workdir, "data"), access_key=DEFAULT_ACCESS_KEY,
                        secret_key=DEFAULT_SECRET_KEY)
    saved = dict(os.environ)
    try:
        s.start()
        os.environ.clear()
        os.environ.update(s.client_env(saved))
        # Empty AWS config files of our own rather than /dev/null, which a misbehaving tool
        # elsewhere on the machine could have replaced with a regular file.
        for variable in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            path = os.path.join(workdir, variable.lower())
            open(path, "w").close()
            os.environ[variable] = path
        yield s
    finally:
        os.environ.clear()
        os.environ.update(saved)
        s.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def s3(server):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key,
                        config=Config(s3={"addressing_style": "path"},
                                      max_pool_connections=16))


@pytest.fixture(scope="session")
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture(scope="session")
def connect(server):
    """kwargs every dataset / checkpoint constructor of the tests takes."""
    return {"region": REGION, "endpoint": server.endpoint}


def put_all(s3, bucket, objects):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: s3.put_object(Bucket=bucket, Key=item[0], Body=item[1]),
                      objects.items()))


@pytest.fixture(scope="session")
def samples(s3, bucket):
    """key -> bytes under samples/: small objects of assorted sizes (empty included), keys with
    spaces and non-ASCII, and one object of 20 MiB (above the 8 MiB part size)."""
    objects = {}
    rng = random.Random(5)
    for i in range(45):
        objects[f"samples/{i:03d}.bin"] = payload(i, rng.choice([1, 100, 4096, 65536, 150000]))
    objects["samples/empty.bin"] = b""
    objects["samples/with space and ümlaut.bin"] = payload(100, 3000)
    objects["samples/zz-large.bin"] = payload(101, 20 * MiB + 3)
    put_all(s3, bucket, objects)
    return objects


def make_shard(seed, count, start):
    """A WebDataset tar: per sample <key>.jpg, <key>.cls, <key>.meta.json."""
    rng = random.Random(seed)
    samples = []
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for n in range(start, start + count):
            key = f"train/{n:05d}"
            sample = {"jpg": rng.randbytes(rng.randint(10, 30000)),
                      "cls": str(n % 10).encode(),
                      "meta.json": f'{{"n": {n}}}'.encode()}
            for extension, data in sample.items():
                info = tarfile.TarInfo(f"{key}.{extension}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            samples.append((key, sample))
    return out.getvalue(), samples


@pytest.fixture(scope="session")
def shards(s3, bucket):
    """(shard key -> bytes, [(sample key, {ext: bytes})] in shard order) under shards/."""
    objects, all_samples = {}, []
    start = 0
    for i in range(6):
        count = 3 + i
        data, samples = make_shard(1000 + i, count, start)
        start += count
        objects[f"shards/shard-{i:03d}.tar"] = data
        all_samples.extend(samples)
    put_all(s3, bucket, objects)
    return objects, all_samples
