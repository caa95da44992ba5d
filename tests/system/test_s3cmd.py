"""s3cmd (Debian) against `trainload server`, over HTTP and HTTPS.

Each test drives the real `s3cmd` command with a config file written for the server (path-style
host, SigV4, us-east-1) and checks the result through an independent client (boto3) and byte for
byte against the local source:

- buckets: mb, ls, info (which probes ?location, ?acl, ?policy, ?cors, ?lifecycle,
  ?requestPayment), rb;
- objects: put/get of small files and of the SPECIAL_KEYS, a 70 MiB multipart put
  (--multipart-chunk-size-mb), get --continue of a partial download (a ranged GET);
- listing 2,600 keys: ls (delimiter), ls -r (all pages, UTF-8 order), la, --limit;
- cp / mv / modify (CopyObject, metadata REPLACE), --mime-type / --add-header round trip;
- multipart listing commands (multipart, listmp, abortmp);
- del --recursive (DeleteObjects batches), rm;
- sync up, no-op re-sync (ETag == MD5), change detection, --delete-removed, sync down.
"""

import os
import subprocess
import time

import pytest

from conftest import SPECIAL_KEYS, run, write_file
from peer_support import (MIB, assert_same_bytes, assert_same_file, boto3_client,
                          delete_bucket_contents, get_bytes, list_keys, make_tree, many_keys,
                          md5_hex, multipart_part_count, put_many, read_tree, require_tool,
                          sample_tree, small_body, tool_env, unique_bucket, utf8_sorted)

BIG_SIZE = 70 * MIB + 12345
CHUNK_MB = 15


class S3cmd:
    """Runs s3cmd with a config file for one server."""

    def __init__(self, server, directory):
        self.binary = require_tool("s3cmd", "s3cmd")
        self.server = server
        host = f"127.0.0.1:{server.port}"
        self.config = os.path.join(directory, "https.s3cfg" if server.tls else "http.s3cfg")
        lines = [
            "[default]",
            f"access_key = {server.access_key}",
            f"secret_key = {server.secret_key}",
            f"host_base = {host}",
            f"host_bucket = {host}",
            f"use_https = {'True' if server.tls else 'False'}",
            "signature_v2 = False",
            "bucket_location = us-east-1",
            "check_ssl_certificate = True",
            "check_ssl_hostname = True",
            "progress_meter = False",
        ]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.config, 0o600)

    def __call__(self, *args, check=True):
        cmd = [self.binary, "-c", self.config, "--no-progress"]
        if self.server.tls:
            cmd += ["--ssl", f"--ca-certs={self.server.tls[0]}"]
        result = run(cmd + list(args), env=tool_env(), check=check, timeout=240)
        return result

    def out(self, *args):
        return self(*args).stdout.decode("utf-8")


def parse_ls(text):
    """(files: [(size, uri)], dirs: [uri]) from `s3cmd ls` / `la` output, in printed order."""
    files, dirs = [], []
    for line in text.splitlines():
        at = line.find("s3://")
        if at < 0:
            continue
        uri = line[at:]
        head = line[:at].split()
        if head and head[-1] == "DIR":
            dirs.append(uri)
        else:
            files.append((int(head[-1]), uri))
    return files, dirs


@pytest.fixture(scope="module")
def s3cmd(server, workdir):
    return S3cmd(server, workdir)


@pytest.fixture(scope="module")
def s3(server):
    return boto3_client(server)


@pytest.fixture
def bucket(s3cmd, s3):
    name = unique_bucket("s3cmd")
    s3cmd("mb", f"s3://{name}")
    yield name
    delete_bucket_contents(s3, name)
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def big_file(workdir):
    return write_file(os.path.join(workdir, "s3cmd-src", "big.bin"), BIG_SIZE, seed=701)


def test_make_bucket_info_and_remove(s3cmd, s3):
    name = unique_bucket("s3cmd-mb")
    assert f"Bucket 's3://{name}/' created" in s3cmd.out("mb", f"s3://{name}")
    s3.head_bucket(Bucket=name)
    assert f"s3://{name}" in s3cmd.out("ls").split()
    info = s3cmd.out("info", f"s3://{name}")
    assert "Location:  us-east-1" in info, info
    assert "Policy:    none" in info and "CORS:      none" in info, info
    assert f"Bucket 's3://{name}/' removed" in s3cmd.out("rb", f"s3://{name}")
    assert f"s3://{name}" not in s3cmd.out("ls").split()
    # Removing it again: s3cmd fails with the server's NoSuchBucket.
    failed = s3cmd("rb", f"s3://{name}", check=False)
    assert failed.returncode != 0
    assert b"NoSuchBucket" in failed.stderr, failed.stderr


def test_put_get_special_keys(s3cmd, s3, bucket, workdir):
    src_dir = os.path.join(workdir, "s3cmd-special")
    os.makedirs(src_dir, exist_ok=True)
    bodies = {}
    for i, key in enumerate(SPECIAL_KEYS):
        data = small_body(key) * (i + 1)
        path = os.path.join(src_dir, f"src-{i}")
        with open(path, "wb") as f:
            f.write(data)
        bodies[key] = data
        s3cmd("put", path, f"s3://{bucket}/{key}")
    assert sorted(list_keys(s3, bucket)) == sorted(SPECIAL_KEYS)
    for i, key in enumerate(SPECIAL_KEYS):
        assert_same_bytes(get_bytes(s3, bucket, key), bodies[key], f"boto3 get {key!r}")
        out = os.path.join(src_dir, f"got-{i}")
        s3cmd("get", "--force", f"s3://{bucket}/{key}", out)
        with open(out, "rb") as f:
            assert_same_bytes(f.read(), bodies[key], f"s3cmd get {key!r}")
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ETag"] == f'"{md5_hex(bodies[key])}"', key
    files, _ = parse_ls(s3cmd.out("ls", "-r", f"s3://{bucket}"))
    assert [uri for _, uri in files] == [f"s3://{bucket}/{k}" for k in utf8_sorted(SPECIAL_KEYS)]
    assert [size for size, _ in files] == [len(bodies[k]) for k in utf8_sorted(SPECIAL_KEYS)]
    # Non-recursive: "a/" and "dir/" are common prefixes; "a" is still a file beside "a/".
    files, dirs = parse_ls(s3cmd.out("ls", f"s3://{bucket}"))
    assert dirs == [f"s3://{bucket}/a/", f"s3://{bucket}/dir/"]
    top = [k for k in utf8_sorted(SPECIAL_KEYS) if "/" not in k]
    assert [uri for _, uri in files] == [f"s3://{bucket}/{k}" for k in top]


def test_multipart_put_get_and_continue(s3cmd, s3, bucket, big_file, workdir):
    key = "shards/big shard+1.bin"
    s3cmd("put", f"--multipart-chunk-size-mb={CHUNK_MB}", big_file, f"s3://{bucket}/{key}")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == BIG_SIZE
    assert multipart_part_count(head["ETag"]) == -(-BIG_SIZE // (CHUNK_MB * MIB))
    # s3cmd records the whole-file MD5 in its attrs metadata and checks it on get.
    info = s3cmd.out("info", f"s3://{bucket}/{key}")
    assert "File size: %d" % BIG_SIZE in info, info

    out = os.path.join(workdir, "s3cmd-got", "big.bin")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    s3cmd("get", "--force", f"s3://{bucket}/{key}", out)
    assert_same_file(out, big_file, "s3cmd get of a multipart object")

    # A reader that goes away mid-download (`s3cmd get ... - | head`) resets the connection
    # in the middle of the body: the server must lose only that response.
    reader = subprocess.Popen([s3cmd.binary, "-c", s3cmd.config, "--no-progress", "get",
                               f"s3://{bucket}/{key}", "-"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, env=tool_env())
    try:
        assert len(reader.stdout.read(MIB)) == MIB
    finally:
        reader.stdout.close()
        reader.kill()
        reader.wait()
    time.sleep(0.5)
    assert s3cmd.server.process.poll() is None, "the server died when a client hung up"
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == BIG_SIZE

    # --continue: s3cmd asks for bytes=N- where N is the partial file's size.
    for cut in (1, 17 * MIB + 3, BIG_SIZE - 1):
        with open(big_file, "rb") as src, open(out, "wb") as dst:
            dst.write(src.read(cut))
        s3cmd("get", "--continue", f"s3://{bucket}/{key}", out)
        assert_same_file(out, big_file, f"s3cmd get --continue after {cut} bytes")


def test_listing_2600_keys(s3cmd, s3, bucket):
    keys = many_keys("many/", 2600)
    put_many(s3, bucket, {k: small_body(k) for k in keys})
    put_many(s3, bucket, {"other/x": b"x", "zzz": b"z"})

    files, dirs = parse_ls(s3cmd.out("ls", "-r", f"s3://{bucket}/many/"))
    assert dirs == []
    assert [uri for _, uri in files] == [f"s3://{bucket}/{k}" for k in utf8_sorted(keys)]
    assert [size for size, _ in files] == [len(small_body(k)) for k in utf8_sorted(keys)]

    files, dirs = parse_ls(s3cmd.out("ls", f"s3://{bucket}/many/"))
    assert dirs == [f"s3://{bucket}/many/d{i:02d}/" for i in range(5)]
    top = utf8_sorted(k for k in keys if k.startswith("many/top-"))
    assert len(top) == 260
    assert [uri for _, uri in files] == [f"s3://{bucket}/{k}" for k in top]

    files, dirs = parse_ls(s3cmd.out("ls", f"s3://{bucket}"))
    assert dirs == [f"s3://{bucket}/many/", f"s3://{bucket}/other/"]
    assert [uri for _, uri in files] == [f"s3://{bucket}/zzz"]

    files, _ = parse_ls(s3cmd.out("ls", "-r", "--limit=1500", f"s3://{bucket}/many/"))
    assert [uri for _, uri in files] == [f"s3://{bucket}/{k}" for k in utf8_sorted(keys)[:1500]]

    files, _ = parse_ls(s3cmd.out("ls", "-r", f"s3://{bucket}/many/d03/"))
    assert [uri for _, uri in files] == [
        f"s3://{bucket}/{k}" for k in utf8_sorted(keys) if k.startswith("many/d03/")]

    # la -r: every object of every bucket; this bucket's part is exactly its keys.
    files, _ = parse_ls(s3cmd.out("la", "-r"))
    mine = [uri for _, uri in files if uri.startswith(f"s3://{bucket}/")]
    assert mine == [f"s3://{bucket}/{k}" for k in utf8_sorted(keys + ["other/x", "zzz"])]

    # Batch delete of a prefix (DeleteObjects, 1000 keys a request), then one rm.
    s3cmd("del", "--recursive", "--force", f"s3://{bucket}/many/")
    assert list_keys(s3, bucket) == ["other/x", "zzz"]
    s3cmd("rm", f"s3://{bucket}/zzz")
    assert list_keys(s3, bucket) == ["other/x"]


def test_copy_move_and_metadata(s3cmd, s3, bucket, big_file, workdir):
    body = b'{"labels": [1, 2, 3]}\n'
    src = os.path.join(workdir, "s3cmd-meta.json")
    with open(src, "wb") as f:
        f.write(body)
    s3cmd("put", "--mime-type=application/x-trainload-test",
          "--add-header=x-amz-meta-color:blue", "--add-header=Cache-Control:max-age=60",
          "--add-header=Content-Disposition:attachment; filename=\"m.json\"",
          src, f"s3://{bucket}/meta/src.json")
    head = s3.head_object(Bucket=bucket, Key="meta/src.json")
    assert head["ContentType"] == "application/x-trainload-test"
    assert head["Metadata"]["color"] == "blue"
    assert head["CacheControl"] == "max-age=60"
    assert head["ContentDisposition"] == 'attachment; filename="m.json"'
    info = s3cmd.out("info", f"s3://{bucket}/meta/src.json")
    assert "MIME type: application/x-trainload-test" in info, info
    assert "x-amz-meta-color: blue" in info, info
    assert f"MD5 sum:   {md5_hex(body)}" in info, info

    # cp keeps metadata (COPY directive); the copy is byte-identical.
    s3cmd("cp", f"s3://{bucket}/meta/src.json", f"s3://{bucket}/meta/copy with space+.json")
    head2 = s3.head_object(Bucket=bucket, Key="meta/copy with space+.json")
    assert head2["ContentType"] == "application/x-trainload-test"
    assert head2["Metadata"]["color"] == "blue"
    assert head2["ETag"] == head["ETag"]
    assert get_bytes(s3, bucket, "meta/copy with space+.json") == body

    # modify rewrites metadata in place (CopyObject onto itself with REPLACE).
    s3cmd("modify", "--add-header=x-amz-meta-color:red", "--mime-type=text/x-changed",
          f"s3://{bucket}/meta/copy with space+.json")
    head3 = s3.head_object(Bucket=bucket, Key="meta/copy with space+.json")
    assert head3["Metadata"]["color"] == "red"
    assert head3["ContentType"] == "text/x-changed"
    assert get_bytes(s3, bucket, "meta/copy with space+.json") == body

    # cp of a 70 MiB multipart object, then mv (copy + delete) of the copy.
    s3cmd("put", f"--multipart-chunk-size-mb={CHUNK_MB}", big_file, f"s3://{bucket}/big/src")
    s3cmd("cp", f"s3://{bucket}/big/src", f"s3://{bucket}/big/copy")
    s3cmd("mv", f"s3://{bucket}/big/copy", f"s3://{bucket}/big/moved \u00e9")
    assert list_keys(s3, bucket, "big/") == ["big/moved \u00e9", "big/src"]
    out = os.path.join(workdir, "s3cmd-got", "moved.bin")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    s3cmd("get", "--force", f"s3://{bucket}/big/moved \u00e9", out)
    assert_same_file(out, big_file, "s3cmd cp + mv of a multipart object")


def test_multipart_upload_commands(s3cmd, s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp/in progress.bin")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="mp/in progress.bin", UploadId=upload, PartNumber=1,
                   Body=b"p" * (5 * MIB))
    s3.upload_part(Bucket=bucket, Key="mp/in progress.bin", UploadId=upload, PartNumber=2,
                   Body=b"q" * 100)
    listed = s3cmd.out("multipart", f"s3://{bucket}")
    assert upload in listed and f"s3://{bucket}/mp/in progress.bin" in listed, listed
    parts = s3cmd.out("listmp", f"s3://{bucket}/mp/in progress.bin", upload)
    rows = [line.split()[1:] for line in parts.splitlines()[1:] if line.strip()]
    assert rows == [["1", f'"{md5_hex(b"p" * (5 * MIB))}"', str(5 * MIB)],
                    ["2", f'"{md5_hex(b"q" * 100)}"', "100"]], parts
    s3cmd("abortmp", f"s3://{bucket}/mp/in progress.bin", upload)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_sync_up_and_down(s3cmd, s3, bucket, workdir):
    local = os.path.join(workdir, "s3cmd-sync-up")
    files = make_tree(local, sample_tree(150, seed=702))
    s3cmd("sync", local + "/", f"s3://{bucket}/sync/")
    assert sorted(list_keys(s3, bucket, "sync/")) == sorted("sync/" + k for k in files)
    for rel, data in files.items():
        assert s3.head_object(Bucket=bucket, Key="sync/" + rel)["ETag"] == f'"{md5_hex(data)}"'

    # Nothing changed: s3cmd compares size and MD5 with the ETag and uploads nothing.
    again = s3cmd.out("sync", local + "/", f"s3://{bucket}/sync/")
    assert "upload:" not in again, again

    # Same size, different bytes: only the MD5/ETag comparison can see it.
    changed = next(rel for rel, data in sorted(files.items()) if len(data) == 4096)
    files[changed] = bytes(b ^ 0xFF for b in files[changed])
    removed = next(rel for rel in sorted(files) if rel != changed)
    del files[removed]
    files["new dir/added+1.bin"] = b"added" * 1000
    for rel in (removed,):
        os.remove(os.path.join(local, rel))
    make_tree(local, {changed: files[changed], "new dir/added+1.bin": files["new dir/added+1.bin"]})
    out = s3cmd.out("sync", "--delete-removed", local + "/", f"s3://{bucket}/sync/")
    uploads = [line for line in out.splitlines() if line.startswith("upload:")]
    assert len(uploads) == 2, out
    assert sorted(list_keys(s3, bucket, "sync/")) == sorted("sync/" + k for k in files)
    assert get_bytes(s3, bucket, "sync/" + changed) == files[changed]

    down = os.path.join(workdir, "s3cmd-sync-down")
    os.makedirs(down, exist_ok=True)
    s3cmd("sync", f"s3://{bucket}/sync/", down + "/")
    got = read_tree(down)
    assert sorted(got) == sorted(files)
    for rel, data in files.items():
        assert_same_bytes(got[rel], data, f"s3cmd sync down {rel!r}")


def test_tls(tls_server, workdir):
    s3cmd = S3cmd(tls_server, workdir)
    s3 = boto3_client(tls_server)
    name = unique_bucket("s3cmd-tls")
    s3cmd("mb", f"s3://{name}")
    try:
        src = write_file(os.path.join(workdir, "s3cmd-tls", "mid.bin"), 12 * MIB + 7, seed=703)
        s3cmd("put", "--multipart-chunk-size-mb=5", src, f"s3://{name}/tls/mid file.bin")
        assert multipart_part_count(
            s3.head_object(Bucket=name, Key="tls/mid file.bin")["ETag"]) == 3
        for key in SPECIAL_KEYS:
            s3cmd("put", src if key == "a" else __file__, f"s3://{name}/{key}")
        files, _ = parse_ls(s3cmd.out("ls", "-r", f"s3://{name}"))
        expected = utf8_sorted(SPECIAL_KEYS + ["tls/mid file.bin"])
        assert [uri for _, uri in files] == [f"s3://{name}/{k}" for k in expected]
        out = os.path.join(workdir, "s3cmd-tls", "got.bin")
        s3cmd("get", "--force", f"s3://{name}/tls/mid file.bin", out)
        assert_same_file(out, src, "s3cmd get over TLS")
        s3cmd("get", "--force", f"s3://{name}/a", out)
        assert_same_file(out, src, "s3cmd get of key 'a' over TLS")
        s3cmd("del", "--recursive", "--force", f"s3://{name}")
        assert list_keys(s3, name) == []
        s3cmd("rb", f"s3://{name}")
    finally:
        try:
            delete_bucket_contents(s3, name)
            s3.delete_bucket(Bucket=name)
        except Exception:  # already removed by the test
            pass
