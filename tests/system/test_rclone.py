"""rclone (Debian, S3 backend, provider Other, path style) against `trainload server`.

Each test drives the real `rclone` command with a config file for the server and checks the
result through boto3 and byte for byte against the local source:

- buckets: mkdir (CreateBucket), purge (deletes every object, then the bucket);
- objects: copyto of the SPECIAL_KEYS, a 70 MiB multipart upload (--s3-upload-cutoff /
  --s3-chunk-size), cat --offset/--count/--head/--tail (ranged GETs), a multi-thread download
  (parallel ranged GETs), md5sum;
- listing 2,600 keys: lsf/lsjson recursive and not, ListObjects V1 and V2, pages of 300 keys,
  url-encoded listings, --fast-list, --s3-versions (ListObjectVersions), size;
- server-side copyto/moveto (CopyObject, and UploadPartCopy with a low --s3-copy-cutoff);
- metadata: --metadata-set and -M round trip, lsjson --metadata;
- delete and purge;
- sync local -> bucket, check (0 differences: ETag == MD5 for single-part objects, rclone's MD5
  metadata for multipart ones), a same-size change found by check, sync back down;
- the same client over HTTPS (--ca-cert).
"""

import json
import os

import pytest

from conftest import SPECIAL_KEYS, run, write_file
from peer_support import (MIB, assert_same_bytes, assert_same_file, boto3_client,
                          delete_bucket_contents, file_md5, get_bytes, list_keys, make_tree,
                          many_keys, md5_hex, multipart_part_count, put_many, read_tree,
                          require_tool, sample_tree, small_body, tool_env, unique_bucket,
                          utf8_sorted)

BIG_SIZE = 70 * MIB + 4321
CHUNK = "16M"
MULTIPART = ["--s3-upload-cutoff", CHUNK, "--s3-chunk-size", CHUNK]


class Rclone:
    """Runs rclone with a config file whose remote `tl:` is the server."""

    def __init__(self, server, directory):
        self.binary = require_tool("rclone", "rclone")
        self.server = server
        self.config = os.path.join(directory, "https-rclone.conf" if server.tls
                                   else "http-rclone.conf")
        with open(self.config, "w") as f:
            f.write("\n".join([
                "[tl]",
                "type = s3",
                "provider = Other",
                f"access_key_id = {server.access_key}",
                f"secret_access_key = {server.secret_key}",
                f"endpoint = {server.endpoint}",
                "region = us-east-1",
                "force_path_style = true",
            ]) + "\n")
        os.chmod(self.config, 0o600)

    def __call__(self, *args, check=True, input=None):
        cmd = [self.binary, "--config", self.config, "--low-level-retries", "1", "--retries", "1"]
        if self.server.tls:
            cmd += ["--ca-cert", self.server.tls[0]]
        return run(cmd + list(args), env=tool_env(), check=check, timeout=240, input=input)

    def out(self, *args):
        return self(*args).stdout.decode("utf-8")

    def lines(self, *args):
        return self.out(*args).splitlines()

    def json(self, *args):
        return json.loads(self.out(*args))


@pytest.fixture(scope="module")
def rclone(server, workdir):
    return Rclone(server, workdir)


@pytest.fixture(scope="module")
def s3(server):
    return boto3_client(server)


@pytest.fixture
def bucket(rclone, s3):
    name = unique_bucket("rclone")
    rclone("mkdir", f"tl:{name}")
    yield name
    try:
        delete_bucket_contents(s3, name)
        s3.delete_bucket(Bucket=name)
    except s3.exceptions.NoSuchBucket:  # the test purged it
        pass


@pytest.fixture(scope="module")
def big_file(workdir):
    return write_file(os.path.join(workdir, "rclone-src", "big.bin"), BIG_SIZE, seed=801)


def test_special_keys_round_trip(rclone, s3, bucket, workdir):
    src_dir = os.path.join(workdir, "rclone-special")
    os.makedirs(src_dir, exist_ok=True)
    bodies = {}
    for i, key in enumerate(SPECIAL_KEYS):
        path = os.path.join(src_dir, f"src-{i}")
        bodies[key] = small_body(key) * (i + 2)
        with open(path, "wb") as f:
            f.write(bodies[key])
        rclone("copyto", path, f"tl:{bucket}/{key}")
    assert sorted(list_keys(s3, bucket)) == sorted(SPECIAL_KEYS)
    for key in SPECIAL_KEYS:
        assert_same_bytes(get_bytes(s3, bucket, key), bodies[key], f"boto3 get {key!r}")
        assert_same_bytes(rclone("cat", f"tl:{bucket}/{key}").stdout, bodies[key],
                          f"rclone cat {key!r}")
    files = rclone.lines("lsf", "-R", "--files-only", f"tl:{bucket}")
    assert sorted(files) == sorted(SPECIAL_KEYS)
    listing = {e["Path"]: e for e in rclone.json("lsjson", "-R", "--files-only", "--hash",
                                                 f"tl:{bucket}")}
    assert sorted(listing) == sorted(SPECIAL_KEYS)
    for key in SPECIAL_KEYS:
        assert listing[key]["Size"] == len(bodies[key]), key
        assert listing[key]["Hashes"]["md5"] == md5_hex(bodies[key]), key
    # Not recursive: "a" is a file and "a/" a directory at the same time, as S3 allows.
    top = rclone.lines("lsf", f"tl:{bucket}")
    assert sorted(top) == sorted([k for k in SPECIAL_KEYS if "/" not in k] + ["a/", "dir/"])
    assert sorted(rclone.lines("lsf", "-R", f"tl:{bucket}/dir")) == [
        "sub dir/", "sub dir/file (1).txt"]


def test_multipart_upload_ranges_and_parallel_download(rclone, s3, bucket, big_file, workdir):
    key = "shards/big shard+%.bin"
    rclone("copyto", *MULTIPART, big_file, f"tl:{bucket}/{key}")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == BIG_SIZE
    assert multipart_part_count(head["ETag"]) == -(-BIG_SIZE // (16 * MIB))
    # rclone keeps the whole-object MD5 in metadata for multipart objects.
    assert rclone.out("md5sum", f"tl:{bucket}/{key}").split()[0] == file_md5(big_file)

    with open(big_file, "rb") as f:
        source = f.read()
    for offset, count in [(0, 1), (1, 100), (16 * MIB - 5, 10), (50 * MIB + 3, 5 * MIB),
                          (BIG_SIZE - 7, 7), (BIG_SIZE - 7, 100)]:
        got = rclone("cat", "--offset", str(offset), "--count", str(count),
                     f"tl:{bucket}/{key}").stdout
        assert_same_bytes(got, source[offset:offset + count], f"cat --offset {offset} "
                          f"--count {count}")
    assert rclone("cat", "--head", "1000", f"tl:{bucket}/{key}").stdout == source[:1000]
    assert rclone("cat", "--tail", "1000", f"tl:{bucket}/{key}").stdout == source[-1000:]
    assert rclone("cat", "--offset", "-5", f"tl:{bucket}/{key}").stdout == source[-5:]

    out = os.path.join(workdir, "rclone-got", "big.bin")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    result = rclone("copyto", "-vv", "--multi-thread-cutoff", "8M", "--multi-thread-streams", "4",
                    f"tl:{bucket}/{key}", out)
    assert b"multi-thread copy" in result.stderr, result.stderr[-2000:]
    assert_same_file(out, big_file, "rclone multi-thread download")
    os.remove(out)
    rclone("copyto", f"tl:{bucket}/{key}", out)
    assert_same_file(out, big_file, "rclone single-stream download")


@pytest.mark.parametrize("variant", [
    ["--s3-list-version", "2"],
    ["--s3-list-version", "1", "--s3-list-chunk", "300"],
    ["--s3-list-version", "2", "--s3-list-chunk", "300", "--s3-list-url-encode", "true"],
    ["--s3-list-version", "1", "--s3-list-url-encode", "false", "--fast-list"],
    ["--s3-versions"],
], ids=["v2", "v1-pages-300", "v2-pages-300-url", "v1-fast-list", "versions"])
def test_listing_2600_keys(rclone, s3, variant, listing_bucket):
    bucket, keys = listing_bucket
    rel = [k[len("many/"):] for k in keys]
    files = rclone.lines("lsf", *variant, "-R", "--files-only", f"tl:{bucket}/many")
    assert len(files) == len(keys)
    assert sorted(files) == sorted(rel)
    top = rclone.lines("lsf", *variant, f"tl:{bucket}/many")
    expected_top = utf8_sorted([f"d{i:02d}/" for i in range(5)] +
                               [r for r in rel if "/" not in r])
    assert top == expected_top
    sub = rclone.lines("lsf", *variant, f"tl:{bucket}/many/d03")
    assert sub == utf8_sorted(r[len("d03/"):] for r in rel if r.startswith("d03/"))
    entries = rclone.json("lsjson", *variant, "-R", "--files-only", f"tl:{bucket}/many")
    assert {e["Path"]: e["Size"] for e in entries} == {
        r: len(small_body("many/" + r)) for r in rel}
    dirs = rclone.lines("lsf", *variant, "-R", "--dirs-only", f"tl:{bucket}")
    assert sorted(dirs) == ["many/"] + [f"many/d{i:02d}/" for i in range(5)] + ["other/"]


@pytest.fixture(scope="module")
def listing_bucket(rclone, s3):
    name = unique_bucket("rclone-list")
    rclone("mkdir", f"tl:{name}")
    keys = many_keys("many/", 2600)
    put_many(s3, name, {k: small_body(k) for k in keys})
    put_many(s3, name, {"other/x": b"x", "zzz": b"z"})
    yield name, keys
    delete_bucket_contents(s3, name)
    s3.delete_bucket(Bucket=name)


def test_size_delete_and_purge(rclone, s3, bucket):
    keys = many_keys("many/", 2600)
    put_many(s3, bucket, {k: small_body(k) for k in keys})
    size = json.loads(rclone.out("size", "--json", f"tl:{bucket}"))
    assert (size["count"], size["bytes"]) == (2600, sum(len(small_body(k)) for k in keys))
    rclone("delete", "--checkers", "16", f"tl:{bucket}/many/d01")
    assert list_keys(s3, bucket) == utf8_sorted(k for k in keys if not k.startswith("many/d01/"))
    rclone("delete", "--checkers", "16", "--include", "top-*", f"tl:{bucket}/many")
    assert list_keys(s3, bucket) == utf8_sorted(
        k for k in keys if not k.startswith(("many/d01/", "many/top-")))
    rclone("purge", "--checkers", "16", f"tl:{bucket}")
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.head_bucket(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "404"


def test_server_side_copy_and_move(rclone, s3, bucket, big_file):
    rclone("copyto", *MULTIPART, big_file, f"tl:{bucket}/src/big")
    want = file_md5(big_file)

    # Below the copy cutoff: one CopyObject, whose result is a single-part object (ETag = MD5).
    result = rclone("copyto", "-v", f"tl:{bucket}/src/big", f"tl:{bucket}/copy/one request")
    assert b"server-side copy" in result.stderr, result.stderr[-2000:]
    assert s3.head_object(Bucket=bucket, Key="copy/one request")["ETag"] == f'"{want}"'
    # Above it: a multipart upload of UploadPartCopy parts.
    result = rclone("copyto", "-v", "--s3-copy-cutoff", "10M", f"tl:{bucket}/src/big",
                    f"tl:{bucket}/copy/part copies+")
    assert b"server-side copy" in result.stderr, result.stderr[-2000:]
    head = s3.head_object(Bucket=bucket, Key="copy/part copies+")
    assert head["ContentLength"] == BIG_SIZE
    assert multipart_part_count(head["ETag"]) == -(-BIG_SIZE // (10 * MIB))
    for key in ("copy/one request", "copy/part copies+"):
        assert md5_hex(get_bytes(s3, bucket, key)) == want, key
        assert rclone.out("md5sum", f"tl:{bucket}/{key}").split()[0] == want, key

    result = rclone("moveto", "-v", f"tl:{bucket}/copy/one request",
                    f"tl:{bucket}/moved/\u00e9t\u00e9 100%")
    assert b"server-side" in result.stderr, result.stderr[-2000:]
    assert list_keys(s3, bucket) == ["copy/part copies+", "moved/\u00e9t\u00e9 100%", "src/big"]
    assert md5_hex(get_bytes(s3, bucket, "moved/\u00e9t\u00e9 100%")) == want


def test_metadata_round_trip(rclone, s3, bucket, workdir):
    src = os.path.join(workdir, "rclone-meta.txt")
    with open(src, "wb") as f:
        f.write(b"metadata body\n")
    os.utime(src, (1_700_000_000, 1_700_000_000.25))
    rclone("copyto", "-M", "--metadata-set", "color=blue",
           "--metadata-set", "content-type=application/x-trainload-test",
           "--metadata-set", "cache-control=max-age=60",
           "--metadata-set", 'content-disposition=attachment; filename="m.txt"',
           src, f"tl:{bucket}/meta/x y")
    head = s3.head_object(Bucket=bucket, Key="meta/x y")
    assert head["ContentType"] == "application/x-trainload-test"
    assert head["CacheControl"] == "max-age=60"
    assert head["ContentDisposition"] == 'attachment; filename="m.txt"'
    assert head["Metadata"]["color"] == "blue"
    [entry] = rclone.json("lsjson", "-M", "--hash", f"tl:{bucket}/meta/x y")
    meta = entry["Metadata"]
    assert meta["color"] == "blue"
    assert meta["content-type"] == "application/x-trainload-test"
    assert meta["cache-control"] == "max-age=60"
    assert entry["ModTime"].startswith("2023-11-14T22:13:20.25")
    assert entry["Hashes"]["md5"] == md5_hex(b"metadata body\n")

    # A server-side copy with -M keeps all of it.
    rclone("copyto", "-M", f"tl:{bucket}/meta/x y", f"tl:{bucket}/meta/copy")
    [copied] = rclone.json("lsjson", "-M", f"tl:{bucket}/meta/copy")
    for name in ("color", "content-type", "cache-control", "content-disposition", "mtime"):
        assert copied["Metadata"][name] == meta[name], name
    assert s3.head_object(Bucket=bucket, Key="meta/copy")["Metadata"]["color"] == "blue"


def test_sync_and_check(rclone, s3, bucket, big_file, workdir):
    local = os.path.join(workdir, "rclone-sync-up")
    files = make_tree(local, sample_tree(200, seed=802))
    os.makedirs(os.path.join(local, "big"), exist_ok=True)
    os.link(big_file, os.path.join(local, "big", "shard 0.bin"))
    rclone("sync", *MULTIPART, "--transfers", "8", local, f"tl:{bucket}/sync")
    keys = sorted(["sync/" + k for k in files] + ["sync/big/shard 0.bin"])
    assert sorted(list_keys(s3, bucket, "sync/")) == keys
    for rel, data in files.items():
        assert s3.head_object(Bucket=bucket, Key="sync/" + rel)["ETag"] == f'"{md5_hex(data)}"'

    result = rclone("check", local, f"tl:{bucket}/sync")
    assert b"0 differences found" in result.stderr, result.stderr[-2000:]
    assert f"{len(files) + 1} matching files".encode() in result.stderr, result.stderr[-2000:]
    result = rclone("check", "--download", local, f"tl:{bucket}/sync")
    assert b"0 differences found" in result.stderr, result.stderr[-2000:]

    # A same-size change on the server is found by the hash comparison alone.
    victim = next(rel for rel, data in sorted(files.items()) if len(data) == 4096)
    s3.put_object(Bucket=bucket, Key="sync/" + victim, Body=bytes(4096))
    result = rclone("check", local, f"tl:{bucket}/sync", check=False)
    assert result.returncode != 0
    assert b"1 differences found" in result.stderr, result.stderr[-2000:]
    assert victim.encode() in result.stderr, result.stderr[-2000:]

    # sync repairs it, deletes what is gone locally, uploads what is new.
    gone = next(rel for rel in sorted(files) if rel != victim)
    os.remove(os.path.join(local, gone))
    del files[gone]
    files["new dir/added+1.bin"] = b"added" * 999
    make_tree(local, {"new dir/added+1.bin": files["new dir/added+1.bin"]})
    rclone("sync", *MULTIPART, local, f"tl:{bucket}/sync")
    assert sorted(list_keys(s3, bucket, "sync/")) == sorted(
        ["sync/" + k for k in files] + ["sync/big/shard 0.bin"])
    assert get_bytes(s3, bucket, "sync/" + victim) == files[victim]
    result = rclone("check", local, f"tl:{bucket}/sync")
    assert b"0 differences found" in result.stderr, result.stderr[-2000:]

    down = os.path.join(workdir, "rclone-sync-down")
    rclone("sync", "--transfers", "8", f"tl:{bucket}/sync", down)
    got = read_tree(down)
    big = got.pop("big/shard 0.bin")
    assert md5_hex(big) == file_md5(big_file)
    assert sorted(got) == sorted(files)
    for rel, data in files.items():
        assert_same_bytes(got[rel], data, f"rclone sync down {rel!r}")


def test_tls(tls_server, workdir):
    rclone = Rclone(tls_server, workdir)
    s3 = boto3_client(tls_server)
    name = unique_bucket("rclone-tls")
    rclone("mkdir", f"tl:{name}")
    try:
        src = write_file(os.path.join(workdir, "rclone-tls", "mid.bin"), 12 * MIB + 7, seed=803)
        rclone("copyto", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", src,
               f"tl:{name}/tls/mid file.bin")
        assert multipart_part_count(s3.head_object(Bucket=name, Key="tls/mid file.bin")["ETag"]) == 3
        for key in SPECIAL_KEYS:
            rclone("rcat", f"tl:{name}/{key}", input=small_body(key))
        assert sorted(rclone.lines("lsf", "-R", "--files-only", f"tl:{name}")) == sorted(
            SPECIAL_KEYS + ["tls/mid file.bin"])
        for key in SPECIAL_KEYS:
            assert rclone("cat", f"tl:{name}/{key}").stdout == small_body(key), key
        with open(src, "rb") as f:
            f.seek(5 * MIB - 3)
            want = f.read(10)
        assert rclone("cat", "--offset", str(5 * MIB - 3), "--count", "10",
                      f"tl:{name}/tls/mid file.bin").stdout == want
        out = os.path.join(workdir, "rclone-tls", "got.bin")
        rclone("copyto", "--multi-thread-cutoff", "4M", f"tl:{name}/tls/mid file.bin", out)
        assert_same_file(out, src, "rclone download over TLS")
        local = os.path.join(workdir, "rclone-tls", "tree")
        make_tree(local, sample_tree(30, seed=804))
        rclone("sync", local, f"tl:{name}/tree")
        result = rclone("check", local, f"tl:{name}/tree")
        assert b"0 differences found" in result.stderr, result.stderr[-2000:]
        rclone("purge", f"tl:{name}")
        assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    finally:
        try:
            delete_bucket_contents(s3, name)
            s3.delete_bucket(Bucket=name)
        except s3.exceptions.NoSuchBucket:
            pass
