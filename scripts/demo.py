#!/usr/bin/python3
"""The main job on the embedded server: start `trainload server` on 127.0.0.1, generate a small
training dataset, move it through the server with the AWS CLI, and print what happened.

Run by `./trainload.sh demo`; everything lives in a temporary directory removed at the end.
"""

import argparse
import filecmp
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from trainload_server import TrainloadServer  # noqa: E402


def make_dataset(root, rng):
    """Image-classification-like layout: small samples per class, a few shards, one large file."""
    files = 0
    total = 0
    for cls in ("cat", "dog", "bird", "fish"):
        os.makedirs(os.path.join(root, "train", cls))
        for i in range(64):
            data = rng.randbytes(rng.randint(8 << 10, 96 << 10))
            with open(os.path.join(root, "train", cls, f"{i:05d}.jpg"), "wb") as f:
                f.write(data)
            files += 1
            total += len(data)
    os.makedirs(os.path.join(root, "shards"))
    for i in range(4):
        data = rng.randbytes(8 << 20)
        with open(os.path.join(root, "shards", f"shard-{i:03d}.tar"), "wb") as f:
            f.write(data)
        files += 1
        total += len(data)
    data = rng.randbytes(80 << 20)
    with open(os.path.join(root, "checkpoint.pt"), "wb") as f:
        f.write(data)
    return files + 1, total + len(data)


def step(title):
    print(f"\n\033[1m--- {title}\033[0m", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trainload", required=True, help="path of the trainload binary")
    args = parser.parse_args()
    aws = shutil.which("aws", path="/usr/bin") or "aws"
    work = tempfile.mkdtemp(prefix="trainload-demo-")
    try:
        with TrainloadServer(args.trainload, os.path.join(work, "data")) as server:
            step(f"trainload server running at {server.endpoint} (data in {work}/data)")
            env = server.client_env()

            def run(*cmd, quiet=False):
                full = [aws, "--endpoint-url", server.endpoint, *cmd]
                print("$ aws " + " ".join(cmd), flush=True)
                out = subprocess.run(full, env=env, check=True, capture_output=True, text=True)
                if not quiet and out.stdout.strip():
                    lines = out.stdout.strip().splitlines()
                    for line in lines[:8]:
                        print("  " + line)
                    if len(lines) > 8:
                        print(f"  ... ({len(lines)} lines)")
                return out.stdout

            step("generating a sample dataset")
            src = os.path.join(work, "dataset")
            files, total = make_dataset(src, random.Random(7))
            print(f"  {files} files, {total / (1 << 20):.1f} MiB (256 samples, 4 shards, 1 checkpoint)")

            step("uploading it with the AWS CLI (small files, and multipart for the large ones)")
            run("s3", "mb", "s3://demo-dataset")
            t = time.monotonic()
            run("s3", "cp", "--recursive", "--only-show-errors", src, "s3://demo-dataset/v1/")
            up = time.monotonic() - t
            print(f"  uploaded {total / (1 << 20):.1f} MiB in {up:.2f} s")

            step("listing it")
            run("s3", "ls", "s3://demo-dataset/v1/")
            listing = run("s3", "ls", "--recursive", "s3://demo-dataset/v1/", quiet=True)
            print(f"  {len(listing.splitlines())} objects listed recursively")

            step("downloading it again (File mode, the way SageMaker stages a prefix)")
            dst = os.path.join(work, "staged")
            t = time.monotonic()
            run("s3", "cp", "--recursive", "--only-show-errors", "s3://demo-dataset/v1/", dst)
            down = time.monotonic() - t
            print(f"  downloaded in {down:.2f} s")
            cmp = filecmp.dircmp(src, dst)
            mismatched = []

            def walk(c):
                mismatched.extend(c.left_only + c.right_only + c.diff_files)
                for sub in c.subdirs.values():
                    walk(sub)
            walk(cmp)
            for dirpath, _, names in os.walk(src):
                for name in names:
                    a = os.path.join(dirpath, name)
                    b = os.path.join(dst, os.path.relpath(a, src))
                    if not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False):
                        mismatched.append(a)
            if mismatched:
                raise SystemExit(f"byte mismatch after round trip: {mismatched[:5]}")
            print(f"  all {files} files byte-identical to the source")

            step("a ranged read and a presigned URL")
            run("s3api", "get-object", "--bucket", "demo-dataset", "--key", "v1/checkpoint.pt",
                "--range", "bytes=1000-1999", os.path.join(work, "range.bin"), quiet=True)
            with open(os.path.join(src, "checkpoint.pt"), "rb") as f:
                f.seek(1000)
                expected = f.read(1000)
            with open(os.path.join(work, "range.bin"), "rb") as f:
                assert f.read() == expected, "range mismatch"
            print("  bytes 1000-1999 of the checkpoint match")
            url = run("s3", "presign", "s3://demo-dataset/v1/shards/shard-000.tar",
                      "--expires-in", "300", quiet=True).strip()
            with urllib.request.urlopen(url) as response:
                body = response.read()
            with open(os.path.join(src, "shards", "shard-000.tar"), "rb") as f:
                assert hashlib.md5(body).digest() == hashlib.md5(f.read()).digest()
            print(f"  presigned GET of an 8 MiB shard with plain HTTP: {len(body)} bytes, match")

            step("summary")
            mib = total / (1 << 20)
            print(f"  dataset: {files} files, {mib:.1f} MiB")
            print(f"  upload:   {mib / up:8.1f} MiB/s (aws s3 cp --recursive)")
            print(f"  download: {mib / down:8.1f} MiB/s (aws s3 cp --recursive)")
            print(f"  server:   {server.endpoint}, region us-east-1, credentials in "
                  f"{server.credentials_file}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\ndemo finished: the server is stopped and its temporary data removed.")


if __name__ == "__main__":
    main()
