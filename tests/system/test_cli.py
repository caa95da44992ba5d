"""The `trainload` S3 subcommands (ls, cp, sync, rm, mb, rb, cat, stat, presign, stage) run as a
user runs them: the real binary against a real `trainload server`.

Data is seeded and checked with RawS3 (botocore's signer, no trainload code), so a bug shared by
the CLI and the client cannot hide itself. Every check is on exact bytes, exact key sets and the
exit code; failures must name the URI on stderr.
"""

import concurrent.futures
import hashlib
import os
import re
import signal
import stat
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import SPECIAL_KEYS, random_bytes, run, write_file
from raw_s3 import RawS3

MIB = 1 << 20


@pytest.fixture(scope="module")
def s3(server):
    return RawS3.for_server(server)


@pytest.fixture(scope="module")
def env(server):
    e = server.client_env()
    e["AWS_ENDPOINT_URL"] = server.endpoint
    return e


@pytest.fixture(scope="module")
def tl(trainload_bin, env):
    """Runs `trainload ARGS...`; check=False returns the failed result for inspection."""
    def call(*args, check=True, input=None, timeout=600):
        return run([trainload_bin, *map(str, args)], env=env, check=check, input=input,
                   timeout=timeout)
    return call


def make_bucket(s3, name):
    resp = s3.create_bucket(name)
    assert resp.status == 200, resp
    return name


def put_many(s3, bucket, items, workers=16):
    def put(item):
        key, body = item
        resp = s3.put(bucket, key, body)
        assert resp.status == 200, (key, resp)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, items.items()))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def tree_files(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, root)] = read(path)
    return out


def stdout(result):
    return result.stdout.decode()


def stderr(result):
    return result.stderr.decode()


def get_bytes(s3, bucket, key):
    resp = s3.get(bucket, key)
    assert resp.status == 200, (key, resp)
    return resp.body


# Buckets.

def test_mb_ls_rb(tl, s3):
    out = tl("mb", "s3://cli-lifecycle")
    assert stdout(out).strip() == "make_bucket: cli-lifecycle"
    listed = stdout(tl("ls"))
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d cli-lifecycle$", listed, re.M), listed
    # (Creating it again succeeds: us-east-1 answers 200 to the owner, as S3 does.)
    short = tl("mb", "s3://ab", check=False)
    assert short.returncode != 0
    assert "s3://ab" in stderr(short) and "InvalidBucketName" in stderr(short)

    s3.put("cli-lifecycle", "k", b"x")
    not_empty = tl("rb", "s3://cli-lifecycle", check=False)
    assert not_empty.returncode != 0
    assert "BucketNotEmpty" in stderr(not_empty) and "cli-lifecycle" in stderr(not_empty)
    forced = tl("rb", "s3://cli-lifecycle", "--force")
    assert "remove_bucket: cli-lifecycle" in stdout(forced)
    assert "cli-lifecycle" not in stdout(tl("ls"))


def test_missing_bucket_fails_naming_it(tl, workdir):
    for args in (["ls", "s3://cli-no-such-bucket/"],
                 ["cp", "s3://cli-no-such-bucket/k", os.path.join(workdir, "nope")],
                 ["stage", "s3://cli-no-such-bucket/p", os.path.join(workdir, "nope-stage")],
                 ["rm", "s3://cli-no-such-bucket/p", "--recursive"],
                 ["rb", "s3://cli-no-such-bucket"]):
        result = tl(*args, check=False)
        assert result.returncode != 0, args
        assert "cli-no-such-bucket" in stderr(result), (args, stderr(result))
        # HEAD responses have no body: a missing bucket reads as a 404 on the key there.
        assert re.search("NoSuch(Bucket|Key)", stderr(result)), (args, stderr(result))


# Single objects.

def test_cp_cat_stat_presign_rm(tl, s3, workdir):
    bucket = make_bucket(s3, "cli-single")
    small = write_file(os.path.join(workdir, "single", "small.json"), 1000, seed=1)
    big = write_file(os.path.join(workdir, "single", "big.bin"), 20 * MIB + 3, seed=2)

    tl("cp", small, f"s3://{bucket}/dir/", "--metadata", "Owner=me,run=7")
    tl("cp", big, f"s3://{bucket}/big.bin", "--content-type", "application/x-test")
    assert get_bytes(s3, bucket, "dir/small.json") == read(small)
    assert get_bytes(s3, bucket, "big.bin") == read(big)

    head = s3.head(bucket, "dir/small.json")
    assert head.header("content-type") == "application/json"  # guessed from the extension
    assert head.header("x-amz-meta-owner") == "me" and head.header("x-amz-meta-run") == "7"
    stat = stdout(tl("stat", f"s3://{bucket}/dir/small.json"))
    assert "Size:          1000 " in stat
    assert f'ETag:          "{hashlib.md5(read(small)).hexdigest()}"' in stat
    assert "Content type:  application/json" in stat
    assert "Metadata:      owner=me" in stat and "Metadata:      run=7" in stat
    assert "Checksum:      CRC64NVME " in stat
    big_stat = stdout(tl("stat", f"s3://{bucket}/big.bin"))
    assert "Content type:  application/x-test" in big_stat
    assert f"Size:          {20 * MIB + 3} " in big_stat

    assert tl("cat", f"s3://{bucket}/big.bin").stdout == read(big)
    assert tl("cp", f"s3://{bucket}/big.bin", "-").stdout == read(big)

    # s3 -> local: to a file, to a directory (trailing '/' or existing), then s3 -> s3.
    out_dir = os.path.join(workdir, "single-out")
    tl("cp", f"s3://{bucket}/big.bin", os.path.join(out_dir, "renamed.bin"))
    tl("cp", f"s3://{bucket}/dir/small.json", out_dir + "/")
    os.makedirs(os.path.join(out_dir, "existing"))
    tl("cp", f"s3://{bucket}/big.bin", os.path.join(out_dir, "existing"))
    assert read(os.path.join(out_dir, "renamed.bin")) == read(big)
    assert read(os.path.join(out_dir, "small.json")) == read(small)
    assert read(os.path.join(out_dir, "existing", "big.bin")) == read(big)
    assert not [n for n in os.listdir(out_dir) if ".trainload-" in n]

    tl("cp", f"s3://{bucket}/big.bin", f"s3://{bucket}/copies/")
    assert get_bytes(s3, bucket, "copies/big.bin") == read(big)

    # stdin -> object of unknown length (multipart as it fills).
    piped = random_bytes(17 * MIB + 5, seed=3)
    tl("cp", "-", f"s3://{bucket}/from-stdin", input=piped)
    assert get_bytes(s3, bucket, "from-stdin") == piped

    url = stdout(tl("presign", f"s3://{bucket}/dir/small.json", "--expires-in", "600")).strip()
    assert "X-Amz-Expires=600" in url
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.read() == read(small)

    assert stdout(tl("rm", f"s3://{bucket}/dir/small.json")).strip() == \
        f"delete: s3://{bucket}/dir/small.json"
    assert s3.head(bucket, "dir/small.json").status == 404
    gone = tl("stat", f"s3://{bucket}/dir/small.json", check=False)
    assert gone.returncode != 0
    assert f"s3://{bucket}/dir/small.json" in stderr(gone) and "NoSuchKey" in stderr(gone)
    missing = tl("cp", f"s3://{bucket}/missing", os.path.join(out_dir, "m"), check=False)
    assert missing.returncode != 0 and f"s3://{bucket}/missing" in stderr(missing)
    assert not os.path.exists(os.path.join(out_dir, "m"))
    local_missing = tl("cp", os.path.join(workdir, "no-such-file"), f"s3://{bucket}/x",
                       check=False)
    assert local_missing.returncode != 0 and "no-such-file" in stderr(local_missing)


def test_cp_to_a_fifo_streams_into_it_and_keeps_the_node(tl, s3, workdir):
    # `cp s3://b/k /dev/null` is how people time downloads: the destination must be written in
    # place, never replaced by a renamed temp file (as root that would turn /dev/null into a
    # regular file). A FIFO stands in for the device here.
    bucket = make_bucket(s3, "cli-fifo")
    data = random_bytes(9 * MIB + 17, seed=31)
    assert s3.put(bucket, "obj", data).status == 200
    fifo = os.path.join(workdir, "fifo")
    os.mkfifo(fifo)
    received = []

    def drain():
        with open(fifo, "rb") as f:
            received.append(f.read())

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        tl("cp", f"s3://{bucket}/obj", fifo, "-q")
    finally:
        if reader.is_alive():  # cp failed before opening the FIFO: unblock the reader
            with open(fifo, "wb"):
                pass
        reader.join(timeout=60)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0] == data


def test_special_keys_round_trip(tl, s3, workdir):
    bucket = make_bucket(s3, "cli-special")
    items = {key: random_bytes(100 + i, seed=i) for i, key in enumerate(SPECIAL_KEYS)}
    put_many(s3, bucket, items)
    for key, body in items.items():
        assert tl("cat", f"s3://{bucket}/{key}").stdout == body, key
    listed = stdout(tl("ls", f"s3://{bucket}", "--recursive"))
    for key in SPECIAL_KEYS:
        assert re.search(r"\d+ " + re.escape(key) + "$", listed, re.M), key
    # "a" and "a/b" cannot both be local files: the one that loses is reported, the rest land.
    out = os.path.join(workdir, "special-out")
    result = tl("cp", "-r", f"s3://{bucket}", out, check=False)
    files = tree_files(out)
    for key, body in items.items():
        if key not in ("a", "a/b"):
            assert files[key] == body, key
    assert ("a" in files) != ("a/b" in files)
    assert result.returncode != 0
    loser = "a/b" if "a" in files else "a"
    assert f"s3://{bucket}/{loser}" in stderr(result), stderr(result)


# Listing.

def test_ls_like_aws(tl, s3):
    bucket = make_bucket(s3, "cli-ls")
    put_many(s3, bucket, {"top.txt": b"12345", "dir/a.bin": b"x" * 2048, "dir/sub/b": b"",
                          "dir2/c": b"c"})
    plain = stdout(tl("ls", f"s3://{bucket}"))
    lines = plain.splitlines()
    assert lines[0] == " " * 27 + "PRE dir/" and lines[1] == " " * 27 + "PRE dir2/", plain
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +5 top\.txt", lines[2]), lines[2]
    assert len(lines) == 3

    in_dir = stdout(tl("ls", f"s3://{bucket}/dir/")).splitlines()
    assert in_dir[0] == " " * 27 + "PRE sub/"
    assert in_dir[1].endswith("       2048 a.bin"), in_dir
    assert stdout(tl("ls", f"s3://{bucket}/dir/a")).splitlines()[0].endswith(" a.bin")

    recursive = stdout(tl("ls", f"s3://{bucket}", "--recursive", "--human-readable",
                          "--summarize"))
    names = [line.split()[-1] for line in recursive.splitlines()
             if re.match(r"\d{4}-", line)]
    assert names == ["dir/a.bin", "dir/sub/b", "dir2/c", "top.txt"]
    assert "2.0 KiB dir/a.bin" in recursive
    assert "Total Objects: 4" in recursive and "Total Size: 2.0 KiB" in recursive

    nothing = tl("ls", f"s3://{bucket}/no-such-prefix", check=False)
    assert nothing.returncode == 1 and nothing.stdout == b""
    assert f"s3://{bucket}/no-such-prefix" in stderr(nothing)


# Recursive copies with filters.

def make_tree(root):
    files = {
        "a.txt": 10, "b.bin": 2000, "logs/x.log": 30, "logs/keep.log": 40,
        "data/part-0.bin": 3 * MIB, "data/part-1.bin": 9 * MIB + 1, "data/notes.txt": 7,
        "deep/er/still/f.txt": 0, "a-c": 3,
    }
    for i, (rel, size) in enumerate(files.items()):
        write_file(os.path.join(root, rel), size, seed=100 + i)
    return tree_files(root)


def test_cp_recursive_with_filters(tl, s3, workdir):
    bucket = make_bucket(s3, "cli-tree")
    src = os.path.join(workdir, "tree-src")
    files = make_tree(src)

    tl("cp", "--recursive", src, f"s3://{bucket}/all")
    assert s3.list_keys(bucket, "all/").keys() == {"all/" + k for k in files}
    for rel, body in files.items():
        assert get_bytes(s3, bucket, "all/" + rel) == body

    tl("cp", "-r", src, f"s3://{bucket}/txt", "--exclude", "*", "--include", "*.txt")
    assert set(s3.list_keys(bucket, "txt/")) == {
        "txt/a.txt", "txt/data/notes.txt", "txt/deep/er/still/f.txt"}
    # Order matters: the later filter wins, so this includes nothing.
    tl("cp", "-r", src, f"s3://{bucket}/none", "--include", "*.txt", "--exclude", "*")
    assert s3.list_keys(bucket, "none/") == {}

    out = os.path.join(workdir, "tree-out")
    tl("cp", "-r", f"s3://{bucket}/all", out, "--exclude", "logs/*", "--include",
       "logs/keep.log")
    expected = {k: v for k, v in files.items() if not k.startswith("logs/") or
                k == "logs/keep.log"}
    assert tree_files(out) == expected

    copied = os.path.join(workdir, "tree-copied")
    tl("cp", "-r", f"s3://{bucket}/all/", f"s3://{bucket}/copy")
    tl("cp", "-r", f"s3://{bucket}/copy", copied)
    assert tree_files(copied) == files


# Sync.

def sync_counts(result):
    m = re.search(r"synced (\d+) objects?, .* (\d+) skipped, (\d+) failed", stdout(result))
    assert m, stdout(result)
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def test_sync_both_ways(tl, s3, workdir):
    bucket = make_bucket(s3, "cli-sync")
    src = os.path.join(workdir, "sync-src")
    files = make_tree(src)
    n = len(files)

    assert sync_counts(tl("sync", src, f"s3://{bucket}/p")) == (n, 0, 0)
    assert sync_counts(tl("sync", src, f"s3://{bucket}/p")) == (0, n, 0)
    for rel, body in files.items():
        assert get_bytes(s3, bucket, "p/" + rel) == body

    # A changed size is copied; an extra object stays unless --delete.
    with open(os.path.join(src, "a.txt"), "ab") as f:
        f.write(b"more")
    s3.put(bucket, "p/extra.bin", b"extra")
    assert sync_counts(tl("sync", src, f"s3://{bucket}/p")) == (1, n - 1, 0)
    assert get_bytes(s3, bucket, "p/a.txt") == read(os.path.join(src, "a.txt"))
    assert "p/extra.bin" in s3.list_keys(bucket, "p/")
    deleted = tl("sync", src, f"s3://{bucket}/p", "--delete")
    assert sync_counts(deleted) == (0, n, 0)
    assert "deleted 1 extra file" in stdout(deleted)
    assert set(s3.list_keys(bucket, "p/")) == {"p/" + k for k in files}

    # s3 -> local: files get the object's LastModified, so the second run copies nothing.
    dst = os.path.join(workdir, "sync-dst")
    assert sync_counts(tl("sync", f"s3://{bucket}/p", dst)) == (n, 0, 0)
    assert tree_files(dst) == tree_files(src)
    assert sync_counts(tl("sync", f"s3://{bucket}/p", dst)) == (0, n, 0)
    assert sync_counts(tl("sync", f"s3://{bucket}/p", dst, "--exact-timestamps")) == (0, n, 0)
    write_file(os.path.join(dst, "local-only", "z.bin"), 5, seed=9)
    result = tl("sync", f"s3://{bucket}/p/", dst, "--delete")
    assert sync_counts(result) == (0, n, 0)
    assert not os.path.exists(os.path.join(dst, "local-only", "z.bin"))
    assert tree_files(dst) == tree_files(src)

    # --exclude protects destination files from --delete too.
    write_file(os.path.join(dst, "keep.tmp"), 3, seed=10)
    tl("sync", f"s3://{bucket}/p", dst, "--delete", "--exclude", "*.tmp")
    assert os.path.exists(os.path.join(dst, "keep.tmp"))

    # --size-only ignores a newer mtime of the same size.
    later = time.time() + 100
    os.utime(os.path.join(src, "b.bin"), (later, later))
    assert sync_counts(tl("sync", src, f"s3://{bucket}/p", "--size-only")) == (0, n, 0)
    assert sync_counts(tl("sync", src, f"s3://{bucket}/p")) == (1, n - 1, 0)

    # s3 -> s3.
    assert sync_counts(tl("sync", f"s3://{bucket}/p", f"s3://{bucket}/q")) == (n, 0, 0)
    assert sync_counts(tl("sync", f"s3://{bucket}/p", f"s3://{bucket}/q")) == (0, n, 0)


# rm --recursive.

def test_rm_recursive_with_filter(tl, s3):
    bucket = make_bucket(s3, "cli-rm")
    put_many(s3, bucket, {f"d/{i:04}.{'txt' if i % 2 else 'bin'}": b"x" for i in range(2500)})
    s3.put(bucket, "d-sibling", b"stays")
    out = tl("rm", f"s3://{bucket}/d", "--recursive", "--exclude", "*.txt")
    assert f"deleted 1250 objects under s3://{bucket}/d/" in stdout(out)
    left = s3.list_keys(bucket)
    assert len(left) == 1251 and all(k.endswith(".txt") for k in left if k != "d-sibling")
    tl("rm", f"s3://{bucket}/d/", "--recursive")
    assert set(s3.list_keys(bucket)) == {"d-sibling"}


# Stage.

STAGE_SMALL = 2000
STAGE_BIG = 3


@pytest.fixture(scope="module")
def stage_bucket(s3):
    """~2000 small objects in a few directories and three 20 MiB ones under data/."""
    bucket = make_bucket(s3, "cli-stage")
    items = {}
    for i in range(STAGE_SMALL):
        items[f"data/shard-{i % 7}/sample-{i:05}.bin"] = random_bytes(1 + (i * 97) % 5000, i)
    for i in range(STAGE_BIG):
        items[f"data/big/blob-{i}.bin"] = random_bytes(20 * MIB, 10_000 + i)
    items["data/shard-0/"] = b""  # a directory marker, as consoles create
    put_many(s3, bucket, items)
    expected = {k[len("data/"):]: v for k, v in items.items() if not k.endswith("/")}
    return bucket, expected


def assert_staged(dest, expected):
    files = tree_files(dest)
    files.pop(".trainload-stage.json", None)
    assert files.keys() == expected.keys()
    for rel, body in expected.items():
        assert files[rel] == body, rel
    leftovers = [p for p in files if ".trainload-" in os.path.basename(p)]
    assert not leftovers, leftovers


def stage_counts(result):
    m = re.fullmatch(r"staged (\d+) objects?, [\d.]+ \w?i?B in [\d.]+ s \([\d.]+ \w?i?B/s\), "
                     r"(\d+) skipped, (\d+) failed", stdout(result).strip())
    assert m, stdout(result)
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def test_stage_whole_prefix(tl, stage_bucket, workdir):
    bucket, expected = stage_bucket
    dest = os.path.join(workdir, "stage-full")
    result = tl("stage", f"s3://{bucket}/data", dest)
    assert stage_counts(result) == (len(expected), 0, 0)
    assert_staged(dest, expected)
    assert os.getxattr(os.path.join(dest, "big", "blob-0.bin"), "user.trainload.etag")
    assert stage_counts(tl("stage", f"s3://{bucket}/data/", dest)) == (0, len(expected), 0)


def test_stage_killed_then_resumed(tl, trainload_bin, env, stage_bucket, workdir):
    bucket, expected = stage_bucket
    dest = os.path.join(workdir, "stage-killed")
    proc = subprocess.Popen([trainload_bin, "stage", f"s3://{bucket}/data", dest,
                             "--concurrency", "2"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            staged = sum(len(f) for _, _, f in os.walk(dest)) if os.path.isdir(dest) else 0
            if staged >= 300:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "stage finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # A temp file as a kill mid-download leaves it (whether or not this kill left one).
    with open(os.path.join(dest, "shard-1", "sample-00001.bin.trainload-Ab12Cd"), "wb") as f:
        f.write(b"partial")
    present = sum(1 for rel in expected if os.path.exists(os.path.join(dest, rel)))
    assert 0 < present < len(expected)

    result = tl("stage", f"s3://{bucket}/data", dest)
    done, skipped, failed = stage_counts(result)
    assert failed == 0 and done + skipped == len(expected)
    assert skipped > 0, "files completed before the kill were downloaded again"
    assert_staged(dest, expected)


def test_stage_trusts_its_etag_record(tl, s3, workdir):
    """A resumed stage compares size and the recorded ETag, not the bytes: a file corrupted in
    place (same size, xattr kept) is not noticed; --force downloads everything again."""
    bucket = make_bucket(s3, "cli-stage-trust")
    put_many(s3, bucket, {"p/a.bin": random_bytes(4096, 1), "p/b.bin": random_bytes(4096, 2)})
    dest = os.path.join(workdir, "stage-trust")
    tl("stage", f"s3://{bucket}/p", dest)
    with open(os.path.join(dest, "a.bin"), "r+b") as f:
        f.write(b"\0" * 16)
    assert stage_counts(tl("stage", f"s3://{bucket}/p", dest)) == (0, 2, 0)
    assert read(os.path.join(dest, "a.bin")) != random_bytes(4096, 1)
    # A file of another size, or an object that changed, is fetched again.
    with open(os.path.join(dest, "b.bin"), "ab") as f:
        f.write(b"!")
    assert stage_counts(tl("stage", f"s3://{bucket}/p", dest)) == (1, 1, 0)
    s3.put(bucket, "p/a.bin", random_bytes(4096, 3))
    assert stage_counts(tl("stage", f"s3://{bucket}/p", dest)) == (1, 1, 0)
    assert read(os.path.join(dest, "a.bin")) == random_bytes(4096, 3)
    with open(os.path.join(dest, "a.bin"), "r+b") as f:
        f.write(b"\0" * 16)
    assert stage_counts(tl("stage", f"s3://{bucket}/p", dest, "--force")) == (2, 0, 0)
    assert read(os.path.join(dest, "a.bin")) == random_bytes(4096, 3)
    assert read(os.path.join(dest, "b.bin")) == random_bytes(4096, 2)


def test_stage_manifest_record(tl, s3, workdir):
    bucket = make_bucket(s3, "cli-stage-manifest")
    items = {f"m/{i}/f.bin": random_bytes(1000 + i, i) for i in range(20)}
    put_many(s3, bucket, items)
    dest = os.path.join(workdir, "stage-manifest")
    tl("stage", f"s3://{bucket}/m", dest, "--etag-record", "manifest")
    assert os.path.exists(os.path.join(dest, ".trainload-stage.json"))
    assert stage_counts(tl("stage", f"s3://{bucket}/m", dest, "--etag-record", "manifest")) == \
        (0, 20, 0)
    assert_staged(dest, {k[2:]: v for k, v in items.items()})


def test_stage_refuses_keys_that_escape(tl, s3, workdir):
    bucket = make_bucket(s3, "cli-stage-escape")
    bad = ["esc/../outside.txt", "esc/x/../../../outside2.txt", "esc//abs.txt", "esc/a/./b"]
    for key in bad + ["esc/ok.txt"]:
        assert s3.put(bucket, key, b"data of " + key.encode()).status == 200
    parent = os.path.join(workdir, "escape-parent")
    dest = os.path.join(parent, "dest")
    result = tl("stage", f"s3://{bucket}/esc", dest, check=False)
    assert result.returncode != 0
    for key in bad:
        assert f"s3://{bucket}/{key}" in stderr(result), (key, stderr(result))
    assert f"{len(bad)} of {len(bad) + 1} objects failed" in stderr(result)
    files = {k: v for k, v in tree_files(parent).items() if ".trainload-stage" not in k}
    assert files == {"dest/ok.txt": b"data of esc/ok.txt"}
    assert not os.path.exists(os.path.join(workdir, "outside.txt"))
    assert not os.path.exists(os.path.join(workdir, "outside2.txt"))


def test_usage_errors_exit_non_zero(tl, workdir):
    for args in (["cp", os.path.join(workdir, "x"), os.path.join(workdir, "y")],
                 ["cp", "gs://b/k", os.path.join(workdir, "y")],
                 ["cat", "s3://"],
                 ["presign", "s3://b/k", "--expires-in", "0"],
                 ["stage", "s3://b/p", os.path.join(workdir, "z"), "--part-size", "lots"]):
        result = tl(*args, check=False)
        assert result.returncode != 0, args
        assert stderr(result).strip(), args
