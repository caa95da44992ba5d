"""s3fs-fuse (Debian s3fs 1.90) mounting a bucket of `trainload server`.

What goes through the mount is checked both through the mount and through boto3 straight from
the server, byte for byte:

- mount, write small files and a 70 MiB file (s3fs uploads it as a multipart upload), read back;
- reads at offsets with open/seek/read of an object uploaded by another client (ranged GETs);
- a 2,500-file directory (paged delimiter listings) and a 2,600-key tree without directory
  objects (s3fs infers the directories from common prefixes): ls, find, os.walk, stat sizes;
- cp inside the mount, rename of files (CopyObject + DeleteObject; UploadPartCopy for the large
  one) and of a directory, mkdir/rmdir (the "dir/" marker object), rm -r;
- the SPECIAL_KEYS as file names. S3 lets "a" and "a/b" both exist; a file system cannot: s3fs
  shows "a" as the regular file and "a/b" is unreachable (ENOTDIR). The test pins that down;
- a clean unmount: fusermount -u, s3fs exits 0, everything written is on the server.
"""

import errno
import os
import random
import shutil
import time

import pytest

from conftest import SPECIAL_KEYS, random_bytes, run
from peer_s3fs_mount import S3fsMount
from peer_support import (MIB, assert_same_bytes, boto3_client, delete_bucket_contents,
                          get_bytes, list_keys, many_keys, md5_hex, multipart_part_count,
                          put_many, small_body, unique_bucket)

BIG_SIZE = 70 * MIB + 999
PART_MB = 16


@pytest.fixture(scope="module")
def s3(server):
    return boto3_client(server)


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique_bucket("s3fs")
    s3.create_bucket(Bucket=name)
    yield name
    delete_bucket_contents(s3, name)
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def mount(server, bucket, workdir):
    with S3fsMount(server, bucket, os.path.join(workdir, "s3fs-mnt"), workdir,
                   extra_options=[f"multipart_size={PART_MB}"]) as m:
        yield m
    assert m.exit_code == 0, f"s3fs exited with {m.exit_code}:\n{m.log()}"


def write_through(path, data, block=MIB):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        for i in range(0, len(data), block):
            f.write(data[i:i + block])


def read_through(path):
    with open(path, "rb") as f:
        return f.read()


def test_write_and_read_back(mount, s3, bucket):
    root = mount.mountpoint
    bodies = {f"rw/small-{n}.bin": random_bytes(n, seed=900 + n)
              for n in (0, 1, 4096, MIB + 3)}
    bodies["rw/big.bin"] = random_bytes(BIG_SIZE, seed=901)
    for key, data in bodies.items():
        write_through(os.path.join(root, key), data)
    for key, data in bodies.items():
        assert os.path.getsize(os.path.join(root, key)) == len(data), key
        assert_same_bytes(read_through(os.path.join(root, key)), data, f"mount read {key}")
        assert_same_bytes(get_bytes(s3, bucket, key), data, f"boto3 get {key}")
    head = s3.head_object(Bucket=bucket, Key="rw/big.bin")
    # s3fs cuts multipart_size parts and folds the short tail into the last one.
    parts = BIG_SIZE // (PART_MB * MIB)
    assert multipart_part_count(head["ETag"]) == parts, head["ETag"]
    for n, length in [(1, PART_MB * MIB), (parts, BIG_SIZE - (parts - 1) * PART_MB * MIB)]:
        part = s3.head_object(Bucket=bucket, Key="rw/big.bin", PartNumber=n)
        assert part["ContentLength"] == length, n
    small = s3.head_object(Bucket=bucket, Key="rw/small-4096.bin")
    assert small["ETag"] == f'"{md5_hex(bodies["rw/small-4096.bin"])}"'

    # Overwrite in the middle of an existing file: s3fs rewrites the whole object.
    path = os.path.join(root, "rw/small-4096.bin")
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(b"PATCH")
    want = bytearray(bodies["rw/small-4096.bin"])
    want[100:105] = b"PATCH"
    assert_same_bytes(get_bytes(s3, bucket, "rw/small-4096.bin"), bytes(want), "patched")
    assert_same_bytes(read_through(path), bytes(want), "patched through the mount")


def test_reads_at_offsets(mount, s3, bucket):
    data = random_bytes(24 * MIB + 5, seed=902)
    s3.put_object(Bucket=bucket, Key="ranged/object.bin", Body=data)
    path = os.path.join(mount.mountpoint, "ranged", "object.bin")
    rng = random.Random(903)
    spots = [(0, 1), (len(data) - 1, 1), (len(data) - 10, 100), (12 * MIB - 2, 4),
             (len(data), 10)]
    spots += [(rng.randrange(len(data)), rng.choice([1, 100, 65536, 3 * MIB]))
              for _ in range(20)]
    with open(path, "rb") as f:
        for offset, length in spots:
            f.seek(offset)
            assert_same_bytes(f.read(length), data[offset:offset + length],
                              f"read {length} at {offset}")
    with open(path, "rb") as f:
        assert_same_bytes(f.read(), data, "whole read")
    assert os.stat(path).st_size == len(data)


def test_listing_large_directory_and_tree(mount, s3, bucket):
    flat = [f"flat/file-{i:05d}.bin" for i in range(2500)]
    tree = many_keys("tree/", 2600)
    put_many(s3, bucket, {k: small_body(k) for k in flat + tree})
    root = mount.mountpoint

    names = os.listdir(os.path.join(root, "flat"))
    assert sorted(names) == sorted(k[len("flat/"):] for k in flat)
    ls = run(["ls", "-1", os.path.join(root, "flat")]).stdout.decode().splitlines()
    assert ls == sorted(k[len("flat/"):] for k in flat)

    found = run(["find", os.path.join(root, "tree"), "-type", "f"]).stdout.decode().splitlines()
    assert sorted(os.path.relpath(p, root) for p in found) == sorted(tree)
    dirs = run(["find", os.path.join(root, "tree"), "-type", "d"]).stdout.decode().splitlines()
    assert sorted(os.path.relpath(p, root) for p in dirs) == ["tree"] + [
        f"tree/d{i:02d}" for i in range(5)]
    sizes = {}
    for dirpath, _, filenames in os.walk(os.path.join(root, "tree")):
        for name in filenames:
            path = os.path.join(dirpath, name)
            sizes[os.path.relpath(path, root)] = os.stat(path).st_size
    assert sizes == {k: len(small_body(k)) for k in tree}
    for key in tree[::250]:
        assert read_through(os.path.join(root, key)) == small_body(key), key


def test_copy_rename_mkdir_rmdir(mount, s3, bucket):
    root = mount.mountpoint
    os.mkdir(os.path.join(root, "ops"))
    assert "ops/" in list_keys(s3, bucket, "ops")  # the directory marker object
    small = random_bytes(300_000, seed=904)
    big = random_bytes(BIG_SIZE, seed=905)
    write_through(os.path.join(root, "ops", "small.bin"), small)
    write_through(os.path.join(root, "ops", "big.bin"), big)

    shutil.copyfile(os.path.join(root, "ops", "small.bin"), os.path.join(root, "ops", "copy.bin"))
    assert_same_bytes(get_bytes(s3, bucket, "ops/copy.bin"), small, "cp within the mount")

    os.rename(os.path.join(root, "ops", "copy.bin"), os.path.join(root, "ops", "renamed +.bin"))
    os.rename(os.path.join(root, "ops", "big.bin"), os.path.join(root, "ops", "big renamed.bin"))
    assert list_keys(s3, bucket, "ops/") == [
        "ops/", "ops/big renamed.bin", "ops/renamed +.bin", "ops/small.bin"]
    assert_same_bytes(get_bytes(s3, bucket, "ops/renamed +.bin"), small, "renamed small")
    assert_same_bytes(get_bytes(s3, bucket, "ops/big renamed.bin"), big, "renamed big")
    assert_same_bytes(read_through(os.path.join(root, "ops", "big renamed.bin")), big,
                      "renamed big through the mount")

    # A directory rename moves every object under it.
    os.makedirs(os.path.join(root, "ops", "d1", "inner"))
    write_through(os.path.join(root, "ops", "d1", "inner", "f.txt"), b"inner file")
    write_through(os.path.join(root, "ops", "d1", "g.txt"), b"g file")
    os.rename(os.path.join(root, "ops", "d1"), os.path.join(root, "ops", "d2"))
    assert list_keys(s3, bucket, "ops/d") == [
        "ops/d2/", "ops/d2/g.txt", "ops/d2/inner/", "ops/d2/inner/f.txt"]
    assert get_bytes(s3, bucket, "ops/d2/inner/f.txt") == b"inner file"

    with pytest.raises(OSError) as e:
        os.rmdir(os.path.join(root, "ops", "d2"))
    assert e.value.errno == errno.ENOTEMPTY
    os.mkdir(os.path.join(root, "ops", "empty"))
    assert "ops/empty/" in list_keys(s3, bucket, "ops/")
    os.rmdir(os.path.join(root, "ops", "empty"))
    assert "ops/empty/" not in list_keys(s3, bucket, "ops/")
    assert not os.path.exists(os.path.join(root, "ops", "empty"))

    # rm -r: every object under the directory goes, markers included.
    run(["rm", "-r", os.path.join(root, "ops")])
    assert list_keys(s3, bucket, "ops") == []
    assert not os.path.exists(os.path.join(root, "ops"))


def test_special_names(mount, s3, bucket):
    root = mount.mountpoint
    representable = [k for k in SPECIAL_KEYS if k != "a/b"]
    for key in representable:
        write_through(os.path.join(root, "names", key), small_body(key))
    files = [k for k in list_keys(s3, bucket, "names/") if not k.endswith("/")]
    assert sorted(files) == sorted("names/" + k for k in representable)
    for key in representable:
        assert get_bytes(s3, bucket, "names/" + key) == small_body(key), key
    listed = os.listdir(os.path.join(root, "names"))
    assert sorted(listed) == sorted({k.split("/")[0] for k in representable})

    # Objects "a" and "a/b" made by another client: the mount shows "a" once, as the file.
    put_many(s3, bucket, {"clash/a": b"file a", "clash/a/b": b"file a/b"})
    assert os.listdir(os.path.join(root, "clash")) == ["a"]
    assert read_through(os.path.join(root, "clash", "a")) == b"file a"
    with pytest.raises(NotADirectoryError):
        read_through(os.path.join(root, "clash", "a", "b"))
    # Through the mount, "a" cannot become a directory while it is a file.
    with pytest.raises(FileExistsError):
        os.mkdir(os.path.join(root, "clash", "a"))
    assert get_bytes(s3, bucket, "clash/a/b") == b"file a/b"


def test_clean_unmount_keeps_everything(server, s3, workdir):
    name = unique_bucket("s3fs-umount")
    s3.create_bucket(Bucket=name)
    try:
        data = random_bytes(20 * MIB + 1, seed=906)
        m = S3fsMount(server, name, os.path.join(workdir, "s3fs-mnt2"), workdir)
        with m:
            write_through(os.path.join(m.mountpoint, "last words.bin"), data)
            start = time.monotonic()
        assert m.exit_code == 0, m.log()
        assert time.monotonic() - start < 60
        assert not os.path.ismount(m.mountpoint)
        assert_same_bytes(get_bytes(s3, name, "last words.bin"), data, "after unmount")
        # Mounting again shows the same file.
        with S3fsMount(server, name, os.path.join(workdir, "s3fs-mnt2"), workdir) as again:
            assert_same_bytes(read_through(os.path.join(again.mountpoint, "last words.bin")),
                              data, "after remount")
        assert again.exit_code == 0, again.log()
    finally:
        delete_bucket_contents(s3, name)
        s3.delete_bucket(Bucket=name)
