"""Helpers shared by the s3cmd, rclone and s3fs-fuse system tests.

- the peer tools' paths, failing with a clear message when one is missing (never skipping);
- a scrubbed environment for them: the machine image exports AWS_CA_BUNDLE and friends, which
  would point s3cmd/rclone at the wrong CA or (rclone) make its AWS SDK refuse to start;
- an independent view of the server through boto3 (Debian's 1.26), so what a tool wrote is
  checked by another client, byte for byte;
- deterministic local trees and the key sets they imply.
"""

import concurrent.futures
import hashlib
import os
import random
import shutil
import uuid

import boto3
from botocore.config import Config

from trainload_server import REGION

MIB = 1 << 20


def require_tool(name, package):
    """The absolute path of `name`, or a test failure naming the Debian package to install."""
    path = shutil.which(name)
    assert path, (f"{name} not found on PATH: the system tests need the Debian package "
                  f"'{package}' (./trainload.sh test installs it)")
    return path


def tool_env(extra=None):
    """os.environ without AWS_*/RCLONE_*/S3CMD settings that would leak into a peer tool."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS", "RCLONE_", "S3CMD"))
           and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")}
    env.update({"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"})
    if extra:
        env.update(extra)
    return env


def unique_bucket(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def boto3_client(server):
    verify = server.tls[0] if server.tls else None
    return boto3.client(
        "s3", endpoint_url=server.endpoint, region_name=REGION,
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
        verify=verify,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      max_pool_connections=32))


def list_keys(client, bucket, prefix=""):
    """Every key under `prefix`, in the server's order (ListObjectsV2, all pages)."""
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def get_bytes(client, bucket, key):
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


def put_many(client, bucket, items, threads=16):
    """Uploads {key: bytes} in parallel (fast seeding for listing tests)."""
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(client.put_object, Bucket=bucket, Key=k, Body=v)
                   for k, v in items.items()]
        for f in futures:
            f.result()


def delete_bucket_contents(client, bucket):
    keys = list_keys(client, bucket)
    for i in range(0, len(keys), 1000):
        client.delete_objects(Bucket=bucket, Delete={
            "Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})


def utf8_sorted(keys):
    """S3's listing order: UTF-8 byte order (not Python's code point order for astral chars)."""
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def many_keys(prefix, count, dirs=5):
    """`count` keys spread over `dirs` sub-"directories" and the prefix itself:
    PREFIX/dNN/file-NNNNN.txt, with every 10th key directly under PREFIX."""
    keys = []
    for i in range(count):
        if i % 10 == 0:
            keys.append(f"{prefix}top-{i:05d}.txt")
        else:
            keys.append(f"{prefix}d{i % dirs:02d}/file-{i:05d}.txt")
    return keys


def small_body(key):
    """A few deterministic bytes that identify the key (so a mixed-up object is caught)."""
    return (key + "\n").encode("utf-8") * (1 + len(key) % 3)


def make_tree(root, files):
    """Writes {relative path: bytes} under root; returns the mapping."""
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return files


def read_tree(root):
    """{relative path with '/': bytes} of every regular file under root."""
    out = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as f:
                out[rel] = f.read()
    return out


def sample_tree(count, seed):
    """A local tree of `count` files of varied small sizes in nested directories, with names
    that need escaping (spaces, '+', '%', unicode)."""
    rng = random.Random(seed)
    names = ["plain", "with space", "plus+sign", "percent%41", "unicode-\u00e9\u4e2d",
             "paren (1)", "tilde~eq=amp&"]
    files = {}
    for i in range(count):
        depth = rng.randrange(3)
        parts = [f"dir{rng.randrange(4)}" if d == 0 else f"sub {rng.randrange(3)}"
                 for d in range(depth)]
        parts.append(f"{names[i % len(names)]}-{i:04d}.dat")
        files["/".join(parts)] = rng.randbytes(rng.choice([0, 1, 100, 4096, 70000]))
    return files


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def file_md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            h.update(block)
    return h.hexdigest()


def assert_same_bytes(actual, expected, what):
    if actual == expected:
        return
    n = min(len(actual), len(expected))
    first = next((i for i in range(n) if actual[i] != expected[i]), n)
    raise AssertionError(f"{what}: {len(actual)} bytes, expected {len(expected)}; "
                         f"first difference at offset {first}")


def assert_same_file(path, expected_path, what):
    assert os.path.getsize(path) == os.path.getsize(expected_path), (
        f"{what}: size {os.path.getsize(path)}, expected {os.path.getsize(expected_path)}")
    with open(path, "rb") as a, open(expected_path, "rb") as b:
        offset = 0
        while True:
            x, y = a.read(MIB), b.read(MIB)
            if x != y:
                assert_same_bytes(x, y, f"{what} (block at offset {offset})")
            if not x:
                return
            offset += len(x)


def multipart_part_count(etag):
    """N for a multipart ETag "md5-N", 0 for a single-part ETag."""
    etag = etag.strip('"')
    return int(etag.rsplit("-", 1)[1]) if "-" in etag else 0
