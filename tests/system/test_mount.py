"""`trainload mount`: real FUSE mounts of a trainload server's buckets (docs/mount.md).

Everything read through a mount is compared byte for byte with what was stored, and everything
written through one is read back through the mount and through other clients (boto3,
`trainload cp`):

- shell tools: cat, cp -r, dd, find, ls -lR, md5sum; Python open/seek/read at random offsets;
  fio with verify=crc32c on sequential and random reads; 16 threads reading different files
  and the same file;
- the namespace: '/'-delimited keys as directories, a directory shadowing an object of the same
  name, hidden keys ("a//b", "./"), special names, --prefix, --uid/--gid/--file-mode/--dir-mode;
- writes: new files (multipart-sized too), shell redirection, touch, mkdir -p, dd; replacing
  with --allow-overwrite (O_TRUNC), deleting with --allow-delete, rm -r;
- every unsupported operation fails at once with its documented errno;
- metadata caching: --metadata-ttl 0 sees changes at once, the default TTL within about a
  second, --immutable keeps listings for the mount's life;
- the local cache: hits after a first read (across a remount, no bytes from the server),
  eviction at --max-cache-size, a corrupted block detected and refetched;
- failures: the server stopped and restarted under a reader gives an error or the right bytes,
  never wrong ones; an object replaced behind an open file gives EIO or the old bytes, never a
  mix, and the new object after the TTL;
- the process: background by default (the command returns with the mount live), a failing
  mount exits 1 with S3's reason, SIGTERM/SIGINT unmount cleanly, a 20,000-entry directory
  lists completely.

Each test unmounts in `finally` (the TrainloadMount context manager), even on failure.
"""

import concurrent.futures
import ctypes
import errno
import hashlib
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

import pytest

from conftest import SPECIAL_KEYS, random_bytes, run
from mount_support import (MIB, CountingProxy, TrainloadMount, daemon_pids, fusermount,
                           in_mount_table, mount_env)
from peer_support import (assert_same_bytes, boto3_client, delete_bucket_contents, get_bytes,
                          put_many, small_body, unique_bucket)
from trainload_server import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, TrainloadServer

BIG_SIZE = 40 * MIB + 4321
MEDIUM_SIZE = 3 * MIB + 7


@pytest.fixture(scope="module")
def s3(server):
    return boto3_client(server)


@pytest.fixture(scope="module")
def data(s3):
    """A bucket of test data, created once for the module: {key: bytes}."""
    bucket = unique_bucket("mount")
    s3.create_bucket(Bucket=bucket)
    objects = {
        "data/big.bin": random_bytes(BIG_SIZE, seed=1),
        "data/medium.bin": random_bytes(MEDIUM_SIZE, seed=2),
        "data/empty.bin": b"",
    }
    rng = random.Random(3)
    for i in range(30):
        objects[f"data/small/f{i:02d}.txt"] = rng.randbytes(rng.choice([1, 100, 4096, 70_000]))
    for d in range(4):
        for f in range(10):
            objects[f"data/tree/d{d}/sub dir/f{f}.bin"] = rng.randbytes(rng.randrange(1, 300_000))
        objects[f"data/tree/d{d}/top.txt"] = small_body(f"top {d}")
    # A directory shadows an object of its name; "x//y" and "./z" have names no file can have.
    objects.update({
        "shadow/a": b"the file a, hidden by the directory a/",
        "shadow/a/b": b"b inside a",
        "shadow/marker/": b"",
        "shadow/x//y": b"unreachable",
        "shadow/./z": b"unreachable too",
        "shadow/plain": b"plain",
    })
    for key in SPECIAL_KEYS:
        objects["names/" + key] = small_body(key)
    put_many(s3, bucket, {k: v for k, v in objects.items() if len(v) < 8 * MIB})
    for key, value in objects.items():
        if len(value) >= 8 * MIB:
            s3.put_object(Bucket=bucket, Key=key, Body=value)
    yield bucket, objects
    delete_bucket_contents(s3, bucket)
    s3.delete_bucket(Bucket=bucket)


@pytest.fixture
def empty_bucket(s3):
    bucket = unique_bucket("mount-rw")
    s3.create_bucket(Bucket=bucket)
    yield bucket
    delete_bucket_contents(s3, bucket)
    s3.delete_bucket(Bucket=bucket)


def mounted(trainload_bin, server, bucket, workdir, name, *args, **kwargs):
    return TrainloadMount(trainload_bin, server, bucket, os.path.join(workdir, "mnt", name),
                          workdir, args=args, **kwargs)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_file_through(path, data, block=MIB):
    with open(path, "wb") as f:
        for i in range(0, len(data), block):
            f.write(data[i:i + block])


def expect_errno(expected, fn, what):
    with pytest.raises(OSError) as e:
        fn()
    assert e.value.errno == expected, (
        f"{what}: errno {errno.errorcode.get(e.value.errno)}, "
        f"expected {errno.errorcode[expected]}")


def md5(data):
    return hashlib.md5(data).hexdigest()


def test_shell_tools_read_the_stored_bytes(trainload_bin, server, data, workdir):
    bucket, objects = data
    with mounted(trainload_bin, server, bucket, workdir, "tools") as m:
        big = objects["data/big.bin"]
        assert_same_bytes(run(["cat", m.path("data/big.bin")]).stdout, big, "cat")

        out = run(["md5sum"] + [m.path(k) for k in objects if k.startswith("data/")]).stdout
        sums = dict(reversed(line.split("  ", 1)) for line in out.decode().splitlines())
        for key, value in objects.items():
            if key.startswith("data/"):
                assert sums[m.path(key)] == md5(value), f"md5sum {key}"

        copy = os.path.join(workdir, "tools-copy")
        shutil.rmtree(copy, ignore_errors=True)
        run(["cp", "-r", m.path("data/tree"), copy])
        copied = {}
        for dirpath, _, names in os.walk(copy):
            for name in names:
                rel = os.path.relpath(os.path.join(dirpath, name), copy)
                copied["data/tree/" + rel] = read_file(os.path.join(dirpath, name))
        assert copied == {k: v for k, v in objects.items() if k.startswith("data/tree/")}

        for bs, skip, count in [("1M", 3, 5), ("4k", 1001, 300), ("128k", 0, 400)]:
            out = run(["dd", f"if={m.path('data/big.bin')}", f"bs={bs}", f"skip={skip}",
                       f"count={count}", "status=none"]).stdout
            unit = {"1M": MIB, "4k": 4096, "128k": 128 << 10}[bs]
            assert_same_bytes(out, big[skip * unit:(skip + count) * unit], f"dd bs={bs}")

        found = run(["find", m.path("data"), "-type", "f"]).stdout.decode().splitlines()
        assert sorted(os.path.relpath(p, m.mountpoint) for p in found) == sorted(
            k for k in objects if k.startswith("data/"))
        dirs = run(["find", m.path("data"), "-type", "d"]).stdout.decode().splitlines()
        assert sorted(os.path.relpath(p, m.mountpoint) for p in dirs) == sorted(
            ["data", "data/small", "data/tree"] + [f"data/tree/d{d}" for d in range(4)] +
            [f"data/tree/d{d}/sub dir" for d in range(4)])

        listing = run(["ls", "-lR", m.path("data")]).stdout.decode()
        for key, value in objects.items():
            if key.startswith("data/"):
                name = key.rsplit("/", 1)[1]
                assert any(line.endswith(" " + name) and f" {len(value)} " in line
                           for line in listing.splitlines()), f"ls -lR lacks {key}"
    assert m.exit_code == 0, m.log()


def kernel_read_ahead_kb(mountpoint):
    dev = os.stat(mountpoint).st_dev
    with open(f"/sys/class/bdi/{os.major(dev)}:{os.minor(dev)}/read_ahead_kb") as f:
        return int(f.read())


def test_kernel_read_ahead_makes_fuse_reads_large(trainload_bin, server, data, workdir):
    # The kernel's default of 128 KiB would cut every read into 128 KiB FUSE requests.
    bucket, objects = data
    assert os.geteuid() == 0, "this test sets /sys/class/bdi/*/read_ahead_kb: run it as root"
    with mounted(trainload_bin, server, bucket, workdir, "readahead") as m:
        assert kernel_read_ahead_kb(m.mountpoint) == 1024
        assert_same_bytes(read_file(m.path("data/big.bin")), objects["data/big.bin"], "read")
    assert m.exit_code == 0, m.log()
    with mounted(trainload_bin, server, bucket, workdir, "readahead", "--read-ahead-kb",
                 "256") as m:
        assert kernel_read_ahead_kb(m.mountpoint) == 256
    assert m.exit_code == 0, m.log()


def test_namespace_mapping(trainload_bin, server, s3, data, workdir):
    bucket, objects = data
    with mounted(trainload_bin, server, bucket, workdir, "names") as m:
        assert sorted(os.listdir(m.mountpoint)) == ["data", "names", "shadow"]
        # "a/" shadows the object "a"; the marker "marker/" is an (empty) directory; "x//y"
        # leaves "x" empty and "./z" is not shown at all.
        assert sorted(os.listdir(m.path("shadow"))) == ["a", "marker", "plain", "x"]
        assert os.path.isdir(m.path("shadow/a"))
        assert read_file(m.path("shadow/a/b")) == b"b inside a"
        assert os.listdir(m.path("shadow/marker")) == []
        assert os.listdir(m.path("shadow/x")) == []
        assert not os.path.exists(m.path("shadow/z"))

        top = sorted({k.split("/")[0] for k in SPECIAL_KEYS})
        assert sorted(os.listdir(m.path("names"))) == top
        for key in SPECIAL_KEYS:
            if key == "a":
                continue  # shadowed by the directory a/
            assert read_file(m.path("names", key)) == small_body(key), key

        for key in ["data/big.bin", "data/empty.bin", "shadow/plain"]:
            st = os.stat(m.path(key))
            head = s3.head_object(Bucket=bucket, Key=key)
            assert st.st_size == len(objects[key])
            assert abs(st.st_mtime - head["LastModified"].timestamp()) < 1.0
            assert stat.S_IMODE(st.st_mode) == 0o644 and stat.S_ISREG(st.st_mode)
            assert st.st_uid == os.getuid() and st.st_gid == os.getgid()
        st = os.stat(m.path("data"))
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o755
        assert abs(st.st_mtime - time.time()) < 120
        statfs = os.statvfs(m.mountpoint)
        assert statfs.f_bavail > 0 and statfs.f_namemax == 255

    with mounted(trainload_bin, server, bucket, workdir, "owner", "--uid", "1234", "--gid",
                 "4321", "--file-mode", "0600", "--dir-mode", "0700", "--prefix",
                 "data/") as m:
        assert sorted(os.listdir(m.mountpoint)) == ["big.bin", "empty.bin", "medium.bin",
                                                    "small", "tree"]
        st = os.stat(m.path("medium.bin"))
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 4321, 0o600)
        st = os.stat(m.path("tree"))
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 4321, 0o700)
        assert read_file(m.path("medium.bin")) == objects["data/medium.bin"]


def test_python_random_reads(trainload_bin, server, data, workdir):
    bucket, objects = data
    big = objects["data/big.bin"]
    rng = random.Random(7)
    spots = [(0, 1), (BIG_SIZE - 1, 1), (BIG_SIZE - 10, 100), (8 * MIB - 3, 6),
             (BIG_SIZE, 10), (MIB + (128 << 10) - 1, 2)]
    spots += [(rng.randrange(BIG_SIZE), rng.choice([1, 4096, 65536, 256 << 10, 3 * MIB]))
              for _ in range(150)]
    with mounted(trainload_bin, server, bucket, workdir, "random") as m:
        with open(m.path("data/big.bin"), "rb", buffering=0) as f:
            for offset, length in spots:
                f.seek(offset)
                assert_same_bytes(f.read(length), big[offset:offset + length],
                                  f"read {length} at {offset}")
            # Backwards and forwards within a window, as readers of record formats do.
            for offset in [20 * MIB, 20 * MIB - 4096, 20 * MIB + 2 * MIB, 20 * MIB + MIB]:
                assert os.pread(f.fileno(), 8192, offset) == big[offset:offset + 8192]


def test_fio_verifies_sequential_and_random_reads(trainload_bin, server, s3, data, workdir):
    bucket, _ = data
    fio = shutil.which("fio")
    assert fio, "fio not found: the mount tests need the Debian package 'fio'"
    local = os.path.join(workdir, "fio-src")
    os.makedirs(local, exist_ok=True)
    jobs = {"seq.dat": ("read", "1M", "48M"), "rand.dat": ("randread", "64k", "24M")}
    for name, (_, bs, size) in jobs.items():
        # fio writes blocks carrying a header with their CRC32C; reads verify every block.
        run([fio, "--name=layout", f"--filename={local}/{name}", "--rw=write", f"--bs={bs}",
             f"--size={size}", "--verify=crc32c", "--do_verify=0", "--ioengine=psync",
             "--verify_state_save=0"])
        s3.upload_file(f"{local}/{name}", bucket, f"fio/{name}")
    with mounted(trainload_bin, server, bucket, workdir, "fio") as m:
        for name, (rw, bs, size) in jobs.items():
            out = run([fio, f"--name=verify-{rw}", f"--filename={m.path('fio', name)}",
                       f"--rw={rw}", f"--bs={bs}", f"--size={size}", "--verify=crc32c",
                       "--ioengine=psync", "--readonly", "--numjobs=1",
                       "--verify_state_save=0"]).stdout.decode()
            assert "err= 0" in out, out
            assert "verify failed" not in out, out


def test_sixteen_threads_read_different_and_the_same_files(trainload_bin, server, data,
                                                           workdir):
    bucket, objects = data
    big = objects["data/big.bin"]
    smalls = [k for k in objects if k.startswith("data/small/") or k.startswith("data/tree/")]

    with mounted(trainload_bin, server, bucket, workdir, "threads") as m:
        def different(worker):
            keys = smalls[worker::8] + ["data/medium.bin"]
            for key in keys:
                assert read_file(m.path(key)) == objects[key], key
            return len(keys)

        def same(worker):
            rng = random.Random(100 + worker)
            with open(m.path("data/big.bin"), "rb", buffering=0) as f:
                for _ in range(40):
                    offset = rng.randrange(BIG_SIZE)
                    length = rng.choice([4096, 128 << 10, MIB])
                    got = os.pread(f.fileno(), length, offset)
                    assert_same_bytes(got, big[offset:offset + length],
                                      f"thread {worker}: {length} at {offset}")
            if worker == 0:
                assert_same_bytes(read_file(m.path("data/big.bin")), big, "whole big.bin")
            return 40

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(different, w) for w in range(8)]
            futures += [pool.submit(same, w) for w in range(8)]
            for f in futures:
                f.result(timeout=300)
    assert m.exit_code == 0, m.log()


def test_write_then_read_back(trainload_bin, server, s3, empty_bucket, workdir):
    bucket = empty_bucket
    big = random_bytes(20 * MIB + 333, seed=11)  # three 8 MiB parts: a multipart upload
    local = os.path.join(workdir, "rw-src.bin")
    with open(local, "wb") as f:
        f.write(big)
    with mounted(trainload_bin, server, bucket, workdir, "rw", "--allow-overwrite",
                 "--allow-delete") as m:
        run(["cp", local, m.path("big.bin")])
        os.makedirs(m.path("x", "y"))
        write_file_through(m.path("x", "y", "small.txt"), b"small file\n")
        run(["sh", "-c", f"echo hello > '{m.path('echo.txt')}'"])
        run(["touch", m.path("x", "empty")])
        run(["dd", f"if={local}", f"of={m.path('x', 'dd.bin')}", "bs=1M", "count=5",
             "status=none"])
        expected = {"big.bin": big, "x/y/small.txt": b"small file\n", "echo.txt": b"hello\n",
                    "x/empty": b"", "x/dd.bin": big[:5 * MIB]}
        for key, value in expected.items():
            assert_same_bytes(read_file(m.path(key)), value, f"mount read {key}")
            assert_same_bytes(get_bytes(s3, bucket, key), value, f"boto3 get {key}")
            assert os.path.getsize(m.path(key)) == len(value)
        assert sorted(os.listdir(m.mountpoint)) == ["big.bin", "echo.txt", "x"]
        assert sorted(os.listdir(m.path("x"))) == ["dd.bin", "empty", "y"]
        head = s3.head_object(Bucket=bucket, Key="big.bin")
        assert head["ETag"].strip('"').endswith("-3"), head["ETag"]

        # Through the client as well.
        out = os.path.join(workdir, "rw-back.bin")
        run([trainload_bin, "cp", f"s3://{bucket}/big.bin", out,
             "--endpoint-url", server.endpoint], env=mount_env(server))
        assert_same_bytes(read_file(out), big, "trainload cp of what the mount wrote")

        # --allow-overwrite: O_TRUNC replaces the object at close.
        write_file_through(m.path("echo.txt"), b"replaced\n")
        assert get_bytes(s3, bucket, "echo.txt") == b"replaced\n"
        assert read_file(m.path("echo.txt")) == b"replaced\n"

        # --allow-delete: unlink deletes; rm -r empties a directory.
        os.unlink(m.path("echo.txt"))
        assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="echo.txt")
        assert not os.path.exists(m.path("echo.txt"))
        run(["rm", "-r", m.path("x")])
        assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="x/")
        assert os.listdir(m.mountpoint) == ["big.bin"]

        # An empty directory made here exists only here, and goes with rmdir.
        os.mkdir(m.path("local-only"))
        assert "local-only" in os.listdir(m.mountpoint)
        assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="local-only")
        os.rmdir(m.path("local-only"))
        assert not os.path.exists(m.path("local-only"))
    assert m.exit_code == 0, m.log()


def libc_fallocate(fd, length):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    if libc.fallocate(fd, 0, 0, length) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def test_unsupported_operations_fail_with_their_errno(trainload_bin, server, s3, data,
                                                       workdir):
    bucket, _ = data
    with mounted(trainload_bin, server, bucket, workdir, "unsupported") as m:
        file = m.path("shadow/plain")
        expect_errno(errno.ENOSYS, lambda: os.rename(file, m.path("shadow/renamed")), "rename")
        expect_errno(errno.ENOSYS, lambda: os.rename(m.path("shadow/a"), m.path("shadow/a2")),
                     "rename a directory")
        expect_errno(errno.EPERM, lambda: os.link(file, m.path("shadow/hard")), "link")
        expect_errno(errno.EPERM, lambda: os.symlink("plain", m.path("shadow/sym")), "symlink")
        expect_errno(errno.EPERM, lambda: os.mkfifo(m.path("shadow/fifo")), "mkfifo")
        expect_errno(errno.EPERM, lambda: os.chmod(file, 0o600), "chmod")
        expect_errno(errno.EPERM, lambda: os.chown(file, 1, 1), "chown")
        expect_errno(errno.EPERM, lambda: os.utime(file, (1, 1)), "utime of an object")
        expect_errno(errno.EPERM, lambda: os.truncate(file, 1), "truncate")
        expect_errno(errno.EPERM, lambda: open(file, "ab"), "append to an object")
        expect_errno(errno.EPERM, lambda: open(file, "r+b"), "open an object read-write")
        expect_errno(errno.EPERM, lambda: open(file, "wb"), "O_TRUNC without --allow-overwrite")
        expect_errno(errno.EPERM, lambda: os.unlink(file), "unlink without --allow-delete")
        expect_errno(errno.ENOTEMPTY, lambda: os.rmdir(m.path("shadow")), "rmdir non-empty")
        expect_errno(errno.ENOTDIR, lambda: os.rmdir(file), "rmdir of a file")
        expect_errno(errno.EEXIST, lambda: os.mkdir(m.path("shadow/a")), "mkdir of a directory")
        expect_errno(errno.ENAMETOOLONG, lambda: open(m.path("shadow", "n" * 256), "wb"),
                     "a 256-byte name")
        expect_errno(errno.EOPNOTSUPP, lambda: os.setxattr(file, "user.k", b"v"), "setxattr")
        expect_errno(errno.EOPNOTSUPP, lambda: os.getxattr(file, "user.k"), "getxattr")
        expect_errno(errno.EOPNOTSUPP, lambda: os.listxattr(file), "listxattr")
        assert read_file(file) == b"plain"

        # A write away from the end abandons the upload: EINVAL now and at close, no object.
        new = m.path("shadow/random-write.bin")
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            assert os.write(fd, b"0123456789") == 10
            expect_errno(errno.EINVAL, lambda: os.pwrite(fd, b"x", 100), "write past the end")
            expect_errno(errno.EINVAL, lambda: os.pwrite(fd, b"x", 3), "write before the end")
        finally:
            expect_errno(errno.EINVAL, lambda: os.close(fd), "close after a random write")
        assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="shadow/random-write")
        assert not os.path.exists(new)

        # A file being written cannot be opened again until it is closed.
        writing = m.path("shadow/being-written.bin")
        with open(writing, "wb") as w:
            w.write(b"abc")
            w.flush()
            expect_errno(errno.EBUSY, lambda: open(writing, "rb"), "read while being written")
            expect_errno(errno.EOPNOTSUPP, lambda: libc_fallocate(w.fileno(), 4096),
                         "fallocate")
        assert read_file(writing) == b"abc"
        s3.delete_object(Bucket=bucket, Key="shadow/being-written.bin")

    with mounted(trainload_bin, server, bucket, workdir, "readonly", "--read-only") as m:
        expect_errno(errno.EROFS, lambda: open(m.path("shadow/new"), "wb"), "create read-only")
        expect_errno(errno.EROFS, lambda: os.mkdir(m.path("shadow/dir")), "mkdir read-only")
        expect_errno(errno.EROFS, lambda: os.unlink(m.path("shadow/plain")), "unlink read-only")
        assert read_file(m.path("shadow/plain")) == b"plain"


def test_metadata_ttl_and_immutable(trainload_bin, server, s3, empty_bucket, workdir):
    bucket = empty_bucket
    s3.put_object(Bucket=bucket, Key="d/one", Body=b"1")
    with mounted(trainload_bin, server, bucket, workdir, "ttl0", "--metadata-ttl", "0") as m:
        assert os.listdir(m.path("d")) == ["one"]
        s3.put_object(Bucket=bucket, Key="d/two", Body=b"22")
        assert read_file(m.path("d/two")) == b"22"
        assert sorted(os.listdir(m.path("d"))) == ["one", "two"]
        s3.put_object(Bucket=bucket, Key="d/two", Body=b"333")
        assert read_file(m.path("d/two")) == b"333"
        s3.delete_object(Bucket=bucket, Key="d/two")
        assert not os.path.exists(m.path("d/two"))

    with mounted(trainload_bin, server, bucket, workdir, "ttl1", "--metadata-ttl", "1") as m:
        assert not os.path.exists(m.path("d/three"))
        s3.put_object(Bucket=bucket, Key="d/three", Body=b"3")
        deadline = time.monotonic() + 5
        while not os.path.exists(m.path("d/three")):
            assert time.monotonic() < deadline, "a new object did not show within 5 s"
            time.sleep(0.1)
        assert read_file(m.path("d/three")) == b"3"

    with mounted(trainload_bin, server, bucket, workdir, "immutable", "--immutable") as m:
        assert sorted(os.listdir(m.path("d"))) == ["one", "three"]
        s3.put_object(Bucket=bucket, Key="d/four", Body=b"4")
        time.sleep(1.5)
        # Promised never to change: the listing and the lookups are those of the first time.
        assert sorted(os.listdir(m.path("d"))) == ["one", "three"]
        assert not os.path.exists(m.path("d/four"))
        # Writes through the mount are still seen (their directory is listed again).
        write_file_through(m.path("d/five"), b"55555")
        assert {"five", "one", "three"} <= set(os.listdir(m.path("d")))
        assert read_file(m.path("d/five")) == b"55555"


def block_files(cache_dir):
    """The cache's block files (named by their 10-digit block index), with their sizes."""
    out = {}
    for dirpath, _, names in os.walk(cache_dir):
        for name in names:
            if len(name) == 10 and name.isdigit():
                path = os.path.join(dirpath, name)
                out[path] = os.path.getsize(path)
    return out


def test_local_cache_hits_evicts_and_survives_corruption(trainload_bin, server, data, workdir):
    bucket, objects = data
    big = objects["data/big.bin"]
    cache = os.path.join(workdir, "cache-main")
    shutil.rmtree(cache, ignore_errors=True)
    with CountingProxy(server.port) as proxy:
        args = ["--cache", cache]
        # First read: from S3, into the cache.
        with mounted(trainload_bin, server, bucket, workdir, "cache1", *args,
                     endpoint=proxy.endpoint) as m:
            assert_same_bytes(read_file(m.path("data/big.bin")), big, "cold read")
        first = m.summary()
        assert first["bytes_fetched"] >= BIG_SIZE, first
        blocks = block_files(cache)
        assert len(blocks) == (BIG_SIZE + MIB - 1) // MIB, sorted(blocks.values())[:5]

        # A new mount over the same cache reads everything from it: no data from the server.
        served = proxy.served()
        with mounted(trainload_bin, server, bucket, workdir, "cache2", *args,
                     endpoint=proxy.endpoint) as m:
            assert_same_bytes(read_file(m.path("data/big.bin")), big, "warm read")
        second = m.summary()
        assert second["bytes_from_cache"] == BIG_SIZE, second
        assert second["cache_hits"] >= len(blocks), second
        assert proxy.served() - served < MIB, "warm read fetched data from the server"

        # A corrupted block is detected, discarded and fetched again: the bytes stay right.
        corrupted = sorted(blocks)[::7]
        for path in corrupted:
            with open(path, "r+b") as f:
                f.seek(-100, os.SEEK_END)
                byte = f.read(1)
                f.seek(-100, os.SEEK_END)
                f.write(bytes([byte[0] ^ 0x55]))
        served = proxy.served()
        with mounted(trainload_bin, server, bucket, workdir, "cache3", *args,
                     endpoint=proxy.endpoint) as m:
            assert_same_bytes(read_file(m.path("data/big.bin")), big, "read over corrupt blocks")
        third = m.summary()
        assert third["cache_corrupt_blocks"] == len(corrupted), third
        assert proxy.served() - served >= len(corrupted) * MIB

    # Eviction at the size limit.
    small_cache = os.path.join(workdir, "cache-small")
    shutil.rmtree(small_cache, ignore_errors=True)
    with mounted(trainload_bin, server, bucket, workdir, "cache4", "--cache", small_cache,
                 "--max-cache-size", "4MiB") as m:
        assert_same_bytes(read_file(m.path("data/big.bin")), big, "read through a small cache")
        assert_same_bytes(read_file(m.path("data/medium.bin")), objects["data/medium.bin"],
                          "second file through a small cache")
    fourth = m.summary()
    assert fourth["cache_evictions"] > 0, fourth
    assert sum(block_files(small_cache).values()) <= 4 * MIB, block_files(small_cache)


def test_server_restart_under_a_reader(trainload_bin, workdir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = TrainloadServer(trainload_bin, os.path.join(workdir, "restart-data"),
                             access_key=DEFAULT_ACCESS_KEY, secret_key=DEFAULT_SECRET_KEY,
                             port=port)
    server.start()
    try:
        s3 = boto3_client(server)
        bucket = unique_bucket("restart")
        s3.create_bucket(Bucket=bucket)
        body = random_bytes(48 * MIB + 11, seed=21)
        s3.put_object(Bucket=bucket, Key="big.bin", Body=body)
        # Little read-ahead memory: the reader must need the server while it is down.
        with mounted(trainload_bin, server, bucket, workdir, "restart", "--metadata-ttl",
                     "60", "--part-size", "1MiB", "--max-memory", "4MiB") as m:
            got = bytearray()
            failure = []
            finished = []
            progressed = threading.Event()

            def reader():
                try:
                    with open(m.path("big.bin"), "rb", buffering=0) as f:
                        while True:
                            chunk = f.read(256 << 10)
                            if not chunk:
                                return
                            got.extend(chunk)
                            if len(got) >= 4 * MIB:
                                progressed.set()
                            time.sleep(0.004)
                except OSError as e:
                    failure.append(e)
                finally:
                    finished.append(time.monotonic())
                    progressed.set()

            thread = threading.Thread(target=reader)
            thread.start()
            assert progressed.wait(60)
            server.stop()
            time.sleep(2)
            restarted = time.monotonic()
            server.start()
            thread.join(180)
            assert not thread.is_alive(), "the reader hung"
            assert failure or finished[0] >= restarted, "the reader never needed the server"
            # Whatever arrived is the object's bytes: an error is fine, wrong data is not.
            assert_same_bytes(bytes(got), body[:len(got)], "bytes read across the restart")
            if failure:
                assert failure[0].errno == errno.EIO, failure[0]
            else:
                assert len(got) == len(body)
            assert_same_bytes(read_file(m.path("big.bin")), body, "read after the restart")
        delete_bucket_contents(s3, bucket)
        s3.delete_bucket(Bucket=bucket)
    finally:
        server.stop()


def test_object_replaced_behind_an_open_file(trainload_bin, server, s3, empty_bucket, workdir):
    bucket = empty_bucket
    old = random_bytes(40 * MIB, seed=31)
    new = random_bytes(40 * MIB, seed=32)
    s3.put_object(Bucket=bucket, Key="obj.bin", Body=old)
    # 4 MiB of read-ahead cannot hold the old object: most of it is fetched after the change.
    with mounted(trainload_bin, server, bucket, workdir, "replaced", "--metadata-ttl", "1",
                 "--part-size", "1MiB", "--max-memory", "4MiB") as m:
        got = bytearray()
        error = None
        with open(m.path("obj.bin"), "rb", buffering=0) as f:
            got.extend(f.read(MIB))
            s3.put_object(Bucket=bucket, Key="obj.bin", Body=new)
            try:
                while True:
                    chunk = f.read(MIB)
                    if not chunk:
                        break
                    got.extend(chunk)
            except OSError as e:
                error = e
        # Old bytes (those fetched before the change), then EIO; never the new object's bytes.
        assert_same_bytes(bytes(got), old[:len(got)], "reading across a replacement")
        assert error is not None and error.errno == errno.EIO, (error, len(got))
        time.sleep(1.2)
        assert_same_bytes(read_file(m.path("obj.bin")), new, "a new open after the TTL")


def test_background_mount_signals_and_errors(trainload_bin, server, data, workdir):
    bucket, objects = data
    with mounted(trainload_bin, server, bucket, workdir, "background", background=True) as m:
        # The command has returned: the mount must already answer.
        assert read_file(m.path("shadow/plain")) == b"plain"
        assert daemon_pids(m.mountpoint), "no daemon serves the mount"
    assert not os.path.ismount(m.mountpoint)
    assert not daemon_pids(m.mountpoint), "the daemon outlived its mount"

    # A relative mount point, and SIGTERM to the daemon: it unmounts the same directory.
    relative = os.path.join("mnt", "relative")
    os.makedirs(os.path.join(workdir, relative), exist_ok=True)
    absolute = os.path.join(workdir, relative)
    try:
        subprocess.run([trainload_bin, "mount", f"s3://{bucket}/shadow/", relative,
                        "--endpoint-url", server.endpoint], env=mount_env(server), cwd=workdir,
                       check=True, capture_output=True, timeout=60)
        assert read_file(os.path.join(absolute, "plain")) == b"plain"
        pids = daemon_pids(absolute, cwd=workdir)
        assert len(pids) == 1, pids
        os.kill(pids[0], signal.SIGTERM)
        deadline = time.monotonic() + 10
        while os.path.ismount(absolute) or os.path.exists(f"/proc/{pids[0]}"):
            assert time.monotonic() < deadline, "SIGTERM did not unmount and end the daemon"
            time.sleep(0.05)
    finally:
        if in_mount_table(absolute):
            subprocess.run([fusermount(), "-u", "-z", absolute], capture_output=True)

    missing = os.path.join(workdir, "mnt", "missing")
    os.makedirs(missing, exist_ok=True)
    result = run([trainload_bin, "mount", "s3://no-such-bucket-here/", missing,
                  "--endpoint-url", server.endpoint], env=mount_env(server), check=False,
                 timeout=60)
    assert result.returncode == 1, result
    assert b"NoSuchBucket" in result.stderr, result.stderr
    assert not os.path.ismount(missing)

    for sig in (signal.SIGTERM, signal.SIGINT):
        with mounted(trainload_bin, server, bucket, workdir, f"signal-{sig}") as m:
            assert read_file(m.path("shadow/plain")) == b"plain"
            m.process.send_signal(sig)
            assert m.process.wait(timeout=30) == 0, m.log()
            m.exit_code = 0
            m.process = None
            deadline = time.monotonic() + 10
            while os.path.ismount(m.mountpoint):
                assert time.monotonic() < deadline, "still mounted after the signal"
                time.sleep(0.05)


def test_large_directory(trainload_bin, server, s3, empty_bucket, workdir):
    bucket = empty_bucket
    count = 20_000
    names = [f"file-{i:06d}.bin" for i in range(count)]
    local = os.path.join(workdir, "many")
    shutil.rmtree(local, ignore_errors=True)
    os.makedirs(local)
    for name in names:
        with open(os.path.join(local, name), "wb") as f:
            f.write(name.encode())
    run([trainload_bin, "cp", "--recursive", "--quiet", local, f"s3://{bucket}/many/",
         "--endpoint-url", server.endpoint], env=mount_env(server), timeout=900)
    try:
        with mounted(trainload_bin, server, bucket, workdir, "many") as m:
            start = time.monotonic()
            listed = run(["ls", "-1", m.path("many")]).stdout.decode().splitlines()
            assert listed == names
            long = run(["ls", "-l", m.path("many")]).stdout.decode().splitlines()
            assert len(long) == count + 1  # "total" first
            assert all(line.startswith("-rw-r--r--") for line in long[1:])
            found = run(["find", m.path("many"), "-type", "f"]).stdout.decode().splitlines()
            assert len(found) == count
            elapsed = time.monotonic() - start
            assert elapsed < 60, f"listing {count} entries three times took {elapsed:.1f} s"
            assert read_file(m.path("many", names[12345])) == names[12345].encode()
    finally:
        # Much faster than the fixture's boto3 DeleteObjects batches.
        run([trainload_bin, "rm", "--recursive", "--quiet", f"s3://{bucket}/many/",
             "--endpoint-url", server.endpoint], env=mount_env(server), timeout=900)
