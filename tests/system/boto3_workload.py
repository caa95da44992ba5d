"""One boto3 scenario against a running trainload server, as a standalone program.

test_boto3.py runs it under both interpreters on the machine (Debian's boto3 1.26 and the
image's boto3 1.43, whose defaults send CRC32 checksums on every upload, in aws-chunked bodies
with trailers over HTTPS), over plain HTTP and over TLS:

    python3 boto3_workload.py SPEC.json SCENARIO

SPEC.json holds endpoint, ca_bundle (or null), access_key, secret_key, bucket (a fresh bucket
name prefix for this run), workdir (scratch directory) and special_keys. On success the program
prints one JSON object ({"scenario", "boto3", "botocore", "checks", "notes", "wire", and for
checksums "algorithms" and "multipart"}) and exits 0; any mismatch raises, so the traceback names
the failing check and the program exits non-zero.
"""

import concurrent.futures
import datetime
import email.header
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.httpchecksum  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import aws_support as sup  # noqa: E402

MiB = 1 << 20


class Workload:

    def __init__(self, spec):
        self.spec = spec
        self.checks = 0
        self.notes = []
        self.verify = spec["ca_bundle"] if spec["ca_bundle"] else None
        self.s3 = boto3.client(
            "s3", endpoint_url=spec["endpoint"], region_name="us-east-1",
            aws_access_key_id=spec["access_key"], aws_secret_access_key=spec["secret_key"],
            verify=self.verify,
            # No retries: a flaky server must fail the test, not be papered over.
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                          max_pool_connections=16, connect_timeout=10, read_timeout=30))
        self.native = set(botocore.httpchecksum._CHECKSUM_CLS)  # lower-case algorithm names
        # What went over the wire, so the tests can check both upload framings were exercised.
        self.wire = {"content_sha256": set(), "trailers": set(), "aws_chunked": 0}
        self.s3.meta.events.register("before-send.s3", self.record_request)

    def record_request(self, request, **_):
        def header(name):
            value = request.headers.get(name) or ""
            return value.decode() if isinstance(value, bytes) else value

        sha = header("x-amz-content-sha256")
        if sha:
            self.wire["content_sha256"].add(sha if sha.isupper() else "<sha256 hex>")
        if header("x-amz-trailer"):
            self.wire["trailers"].add(header("x-amz-trailer"))
        if "aws-chunked" in header("Content-Encoding"):
            self.wire["aws_chunked"] += 1

    # ------------------------------------------------------------ helpers

    def check(self, condition, message):
        if not condition:
            raise AssertionError(message)
        self.checks += 1

    def equal(self, actual, expected, what):
        self.check(actual == expected, f"{what}: got {actual!r}, expected {expected!r}")

    def same_bytes(self, actual, expected, what):
        sup.assert_same_bytes(actual, expected, what)
        self.checks += 1

    def expect_error(self, code, status, fn, **kwargs):
        """Calls fn(**kwargs) and checks it fails with this S3 error code and HTTP status."""
        try:
            fn(**kwargs)
        except ClientError as e:
            got_code = e.response.get("Error", {}).get("Code")
            got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            self.check((got_code, got_status) == (code, status),
                       f"{fn.__name__}({kwargs}): got error {got_code} ({got_status}), "
                       f"expected {code} ({status}): {e}")
            return e.response
        raise AssertionError(f"{fn.__name__}({kwargs}) succeeded, expected {code} ({status})")

    def has_param(self, operation, member):
        shape = self.s3.meta.service_model.operation_model(operation).input_shape
        return member in shape.members

    def bucket(self, suffix):
        name = f"{self.spec['bucket']}-{suffix}"
        self.s3.create_bucket(Bucket=name)
        return name

    def get(self, bucket, key, **kwargs):
        return self.s3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()

    def put_many(self, bucket, items, workers=8):
        """items: {key: bytes}; parallel single PUTs."""
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(self.s3.put_object, Bucket=bucket, Key=k, Body=v)
                       for k, v in items.items()]
            for f in futures:
                f.result()

    def curl(self, url, *extra):
        cmd = ["curl", "-s", "--max-time", "60", *extra]
        if self.verify:
            cmd += ["--cacert", self.verify]
        return subprocess.run(cmd + [url], capture_output=True, timeout=90)

    # ------------------------------------------------------------ scenarios

    def scenario_buckets(self):
        s3 = self.s3
        b = self.bucket("bkt")
        # us-east-1 keeps the legacy answer: re-creating a bucket you own is 200, not 409
        # (BucketAlreadyOwnedByYou is returned in every other region).
        s3.create_bucket(Bucket=b)
        self.checks += 1
        s3.head_bucket(Bucket=b)
        names = [x["Name"] for x in s3.list_buckets()["Buckets"]]
        self.check(b in names, f"list_buckets {names} lacks {b}")
        self.equal(s3.get_bucket_location(Bucket=b).get("LocationConstraint"), None,
                   "us-east-1 LocationConstraint")
        missing = f"{self.spec['bucket']}-missing"
        self.expect_error("404", 404, s3.head_bucket, Bucket=missing)
        self.expect_error("NoSuchBucket", 404, s3.get_object, Bucket=missing, Key="k")
        self.expect_error("NoSuchBucket", 404, s3.put_object, Bucket=missing, Key="k", Body=b"x")
        self.expect_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket=missing)
        self.expect_error("NoSuchBucket", 404, s3.delete_bucket, Bucket=missing)
        s3.put_object(Bucket=b, Key="keep", Body=b"x")
        self.expect_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=b)
        s3.delete_object(Bucket=b, Key="keep")
        s3.delete_bucket(Bucket=b)
        self.expect_error("404", 404, s3.head_bucket, Bucket=b)
        names = [x["Name"] for x in s3.list_buckets()["Buckets"]]
        self.check(b not in names, f"deleted bucket {b} still listed")

    def scenario_objects(self):
        s3 = self.s3
        b = self.bucket("obj")
        for size in (0, 1, 1000, MiB + 7):
            data = sup.random_bytes(size, size)
            put = s3.put_object(Bucket=b, Key=f"size/{size}", Body=data)
            self.equal(put["ETag"], sup.md5_etag(data), f"PUT ETag of {size} bytes")
            got = s3.get_object(Bucket=b, Key=f"size/{size}")
            self.same_bytes(got["Body"].read(), data, f"GET of {size} bytes")
            self.equal(got["ContentLength"], size, "GET Content-Length")
            self.equal(got["ETag"], sup.md5_etag(data), "GET ETag")
            head = s3.head_object(Bucket=b, Key=f"size/{size}")
            self.equal(head["ContentLength"], size, "HEAD Content-Length")
        # upload_file sends "Expect: 100-continue" even for an empty file; the next request on
        # the same connection must still be read right (botocore misreads it when the server
        # skips the 100, and with no retries and a 30 s read timeout that fails here).
        empty = os.path.join(self.spec["workdir"], "empty.bin")
        small = os.path.join(self.spec["workdir"], "small.bin")
        for path, content in ((empty, b""), (small, b"small file")):
            with open(path, "wb") as f:
                f.write(content)
        for i in range(3):
            s3.upload_file(empty, b, f"empty-{i}")
            s3.upload_file(small, b, f"small-{i}")
            self.same_bytes(self.get(b, f"empty-{i}"), b"", "empty file")
            self.same_bytes(self.get(b, f"small-{i}"), b"small file", "file after an empty one")
        # Metadata round trip. S3 lowercases user-metadata names (they are HTTP headers); a
        # non-ASCII value travels RFC 2047-encoded (botocore refuses raw non-ASCII metadata).
        unicode_text = "h\u00e9llo \u4e2d\u6587 \U0001F600"
        metadata = {"MixedCase-Name": "Value With Spaces", "plain": "x=1;y=2",
                    "unicode": sup.rfc2047_utf8(unicode_text)}
        headers = dict(ContentType="application/x-trainload; charset=utf-8",
                       ContentDisposition='attachment; filename="shard 1.tar"',
                       CacheControl="max-age=3600, must-revalidate", ContentLanguage="en-GB",
                       ContentEncoding="identity")
        data = b"metadata body"
        s3.put_object(Bucket=b, Key="meta", Body=data, Metadata=metadata, **headers)
        want_meta = {k.lower(): v for k, v in metadata.items()}
        for what, resp in (("HEAD", s3.head_object(Bucket=b, Key="meta")),
                           ("GET", s3.get_object(Bucket=b, Key="meta"))):
            for name, value in headers.items():
                self.equal(resp.get(name), value, f"{what} {name}")
            got_meta = dict(resp["Metadata"])
            got_unicode = got_meta.pop("unicode", "")
            decoded = "".join(
                part.decode(cs or "ascii") if isinstance(part, bytes) else part
                for part, cs in email.header.decode_header(got_unicode))
            self.equal(decoded, unicode_text, f"{what} unicode metadata (as {got_unicode!r})")
            self.equal(got_meta, {k: v for k, v in want_meta.items() if k != "unicode"},
                       f"{what} user metadata")
        # response-* overrides
        got = s3.get_object(Bucket=b, Key="meta", ResponseContentType="text/plain",
                            ResponseContentDisposition="inline", ResponseCacheControl="no-cache")
        self.equal((got["ContentType"], got["ContentDisposition"], got["CacheControl"]),
                   ("text/plain", "inline", "no-cache"), "response-* overrides")
        # CopyObject: COPY keeps metadata and headers, REPLACE takes only the new ones.
        s3.copy_object(Bucket=b, Key="meta-copy", CopySource={"Bucket": b, "Key": "meta"})
        head = s3.head_object(Bucket=b, Key="meta-copy")
        self.equal(head["ContentType"], headers["ContentType"], "COPY directive Content-Type")
        self.equal(head["CacheControl"], headers["CacheControl"], "COPY directive Cache-Control")
        self.equal(head["Metadata"]["mixedcase-name"], "Value With Spaces", "COPY metadata")
        self.same_bytes(self.get(b, "meta-copy"), data, "copied bytes")
        s3.copy_object(Bucket=b, Key="meta-replaced", CopySource={"Bucket": b, "Key": "meta"},
                       MetadataDirective="REPLACE", Metadata={"Only": "new"},
                       ContentType="text/csv")
        head = s3.head_object(Bucket=b, Key="meta-replaced")
        self.equal(head["Metadata"], {"only": "new"}, "REPLACE directive metadata")
        self.equal(head["ContentType"], "text/csv", "REPLACE directive Content-Type")
        self.equal(head.get("CacheControl"), None, "REPLACE drops Cache-Control")
        self.same_bytes(self.get(b, "meta-replaced"), data, "REPLACE-copied bytes")
        # Copying onto itself needs REPLACE (S3: InvalidRequest otherwise).
        self.expect_error("InvalidRequest", 400, s3.copy_object, Bucket=b, Key="meta",
                          CopySource={"Bucket": b, "Key": "meta"})
        s3.copy_object(Bucket=b, Key="meta", CopySource={"Bucket": b, "Key": "meta"},
                       MetadataDirective="REPLACE", Metadata={"rev": "2"})
        self.equal(s3.head_object(Bucket=b, Key="meta")["Metadata"], {"rev": "2"},
                   "self-copy with REPLACE")
        # Overwrite replaces the whole object, metadata included.
        s3.put_object(Bucket=b, Key="meta", Body=b"v2")
        head = s3.head_object(Bucket=b, Key="meta")
        self.equal((head["ContentLength"], head["Metadata"]), (2, {}), "overwrite")
        self.expect_error("NoSuchKey", 404, s3.get_object, Bucket=b, Key="missing")
        self.expect_error("404", 404, s3.head_object, Bucket=b, Key="missing")
        s3.delete_object(Bucket=b, Key="missing")  # deleting a missing key succeeds (204)
        self.checks += 1
        if self.has_param("PutObject", "IfNoneMatch"):
            self.expect_error("PreconditionFailed", 412, s3.put_object, Bucket=b, Key="meta",
                              Body=b"x", IfNoneMatch="*")
            s3.put_object(Bucket=b, Key="fresh", Body=b"x", IfNoneMatch="*")
            self.checks += 1
        else:
            self.notes.append("PutObject IfNoneMatch not in this botocore")

    def scenario_special_keys(self):
        s3 = self.s3
        b = self.bucket("keys")
        keys = self.spec["special_keys"]
        bodies = {k: f"body of {k}".encode() for k in keys}
        for k in keys:
            s3.put_object(Bucket=b, Key=k, Body=bodies[k], Metadata={"k": "v"})
        for k in keys:
            self.same_bytes(self.get(b, k), bodies[k], f"GET {k!r}")
            self.equal(s3.head_object(Bucket=b, Key=k)["ContentLength"], len(bodies[k]),
                       f"HEAD {k!r}")
        listed = [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]]
        self.equal(listed, sorted(keys, key=lambda k: k.encode()), "listing of special keys")
        listed = [o["Key"] for o in s3.list_objects(Bucket=b)["Contents"]]
        self.equal(listed, sorted(keys, key=lambda k: k.encode()), "V1 listing of special keys")
        for k in keys:  # prefix = the key itself lists exactly the keys starting with it
            got = [o["Key"] for o in s3.list_objects_v2(Bucket=b, Prefix=k).get("Contents", [])]
            self.equal(got, sorted((x for x in keys if x.startswith(k)),
                                   key=lambda x: x.encode()), f"prefix {k!r}")
        for k in keys:
            s3.copy_object(Bucket=b, Key="copy/" + k, CopySource={"Bucket": b, "Key": k})
            self.same_bytes(self.get(b, "copy/" + k), bodies[k], f"copy of {k!r}")
        for k in keys:
            s3.delete_object(Bucket=b, Key=k)
            self.expect_error("NoSuchKey", 404, s3.get_object, Bucket=b, Key=k)
        resp = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "copy/" + k}
                                                               for k in keys]})
        self.equal(sorted(d["Key"] for d in resp["Deleted"]), sorted("copy/" + k for k in keys),
                   "batch-deleted special keys")
        self.equal(s3.list_objects_v2(Bucket=b)["KeyCount"], 0, "bucket empty after deletes")

    def scenario_multipart(self):
        s3 = self.s3
        b = self.bucket("mpu")
        size = 64 * MiB + 12345
        data = sup.random_bytes(size, 64)
        src = os.path.join(self.spec["workdir"], "big.bin")
        with open(src, "wb") as f:
            f.write(data)
        chunk = 8 * MiB
        config = TransferConfig(multipart_threshold=chunk, multipart_chunksize=chunk,
                                max_concurrency=4)
        s3.upload_file(src, b, "big.bin", Config=config,
                       ExtraArgs={"ContentType": "application/x-tar",
                                  "Metadata": {"origin": "upload_file"}})
        parts = [data[i:i + chunk] for i in range(0, size, chunk)]
        head = s3.head_object(Bucket=b, Key="big.bin")
        self.equal(head["ContentLength"], size, "multipart object size")
        self.equal(head["ETag"], sup.multipart_etag(parts), "multipart ETag")
        self.equal((head["ContentType"], head["Metadata"]),
                   ("application/x-tar", {"origin": "upload_file"}), "multipart metadata")
        dst = os.path.join(self.spec["workdir"], "big.down")
        s3.download_file(b, "big.bin", dst, Config=config)
        with open(dst, "rb") as f:
            self.same_bytes(f.read(), data, "download_file of the multipart object")
        os.remove(dst)
        self.same_bytes(self.get(b, "big.bin"), data, "single GET of the multipart object")
        # partNumber GETs return exactly one part, with the part count.
        for n in (1, 5, len(parts)):
            got = s3.get_object(Bucket=b, Key="big.bin", PartNumber=n)
            start = (n - 1) * chunk
            end = start + len(parts[n - 1]) - 1
            self.equal(got["PartsCount"], len(parts), f"PartsCount of part {n}")
            self.equal(got["ContentRange"], f"bytes {start}-{end}/{size}", f"part {n} range")
            self.same_bytes(got["Body"].read(), parts[n - 1], f"part {n} bytes")
        head = s3.head_object(Bucket=b, Key="big.bin", PartNumber=2)
        self.equal((head["ContentLength"], head["PartsCount"]), (chunk, len(parts)),
                   "HEAD partNumber=2")
        self.expect_error("InvalidPartNumber", 416, s3.get_object, Bucket=b, Key="big.bin",
                          PartNumber=len(parts) + 1)

        # Raw API: uploaded parts and UploadPartCopy parts copied from ranges of another object.
        part = 5 * MiB
        source = sup.random_bytes(12 * MiB, 12)
        s3.put_object(Bucket=b, Key="copy-source", Body=source)
        mpu = s3.create_multipart_upload(Bucket=b, Key="raw", ContentType="text/x-raw",
                                         Metadata={"Kind": "raw"})
        uid = mpu["UploadId"]
        ups = s3.list_multipart_uploads(Bucket=b)["Uploads"]
        self.check(any(u["UploadId"] == uid and u["Key"] == "raw" for u in ups),
                   f"upload {uid} missing from ListMultipartUploads {ups}")
        p1 = sup.random_bytes(part, 1)
        e1 = s3.upload_part(Bucket=b, Key="raw", UploadId=uid, PartNumber=1, Body=p1)["ETag"]
        self.equal(e1, sup.md5_etag(p1), "UploadPart ETag")
        r2 = s3.upload_part_copy(Bucket=b, Key="raw", UploadId=uid, PartNumber=2,
                                 CopySource={"Bucket": b, "Key": "copy-source"},
                                 CopySourceRange=f"bytes=0-{part - 1}")
        p2 = source[:part]
        self.equal(r2["CopyPartResult"]["ETag"], sup.md5_etag(p2), "UploadPartCopy ETag")
        tail_start = 6 * MiB + 3
        s3.upload_part_copy(Bucket=b, Key="raw", UploadId=uid, PartNumber=3,
                            CopySource={"Bucket": b, "Key": "copy-source"},
                            CopySourceRange=f"bytes={tail_start}-{len(source) - 1}")
        p3 = source[tail_start:]
        s3.upload_part_copy(Bucket=b, Key="raw", UploadId=uid, PartNumber=4,
                            CopySource={"Bucket": b, "Key": "copy-source"},
                            CopySourceRange="bytes=100-199")
        p4 = source[100:200]
        p5 = b"last part"
        s3.upload_part(Bucket=b, Key="raw", UploadId=uid, PartNumber=5, Body=p5)
        listed = s3.list_parts(Bucket=b, Key="raw", UploadId=uid)["Parts"]
        self.equal([(p["PartNumber"], p["Size"], p["ETag"]) for p in listed],
                   [(i + 1, len(p), sup.md5_etag(p))
                    for i, p in enumerate((p1, p2, p3, p4, p5))],
                   "ListParts")
        # A part under 5 MiB that is not the last is refused at completion.
        self.expect_error("EntityTooSmall", 400, s3.complete_multipart_upload, Bucket=b,
                          Key="raw", UploadId=uid, MultipartUpload={"Parts": [
                              {"PartNumber": 4, "ETag": sup.md5_etag(p4)},
                              {"PartNumber": 5, "ETag": sup.md5_etag(p5)}]})
        self.expect_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket=b,
                          Key="raw", UploadId=uid, MultipartUpload={"Parts": [
                              {"PartNumber": 1, "ETag": sup.md5_etag(b"wrong")}]})
        self.expect_error("InvalidPartOrder", 400, s3.complete_multipart_upload, Bucket=b,
                          Key="raw", UploadId=uid, MultipartUpload={"Parts": [
                              {"PartNumber": 2, "ETag": sup.md5_etag(p2)},
                              {"PartNumber": 1, "ETag": e1}]})
        done = s3.complete_multipart_upload(
            Bucket=b, Key="raw", UploadId=uid, MultipartUpload={"Parts": [
                {"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": sup.md5_etag(p2)},
                {"PartNumber": 3, "ETag": sup.md5_etag(p3)}]})
        self.equal(done["ETag"], sup.multipart_etag([p1, p2, p3]), "CompleteMultipartUpload ETag")
        got = s3.get_object(Bucket=b, Key="raw")
        self.same_bytes(got["Body"].read(), p1 + p2 + p3, "raw multipart object")
        self.equal((got["ContentType"], got["Metadata"]), ("text/x-raw", {"kind": "raw"}),
                   "raw multipart metadata")
        # Completed without its parts 4 and 5, which are discarded: the upload id is gone.
        self.expect_error("NoSuchUpload", 404, s3.list_parts, Bucket=b, Key="raw", UploadId=uid)
        # Abort.
        uid = s3.create_multipart_upload(Bucket=b, Key="aborted")["UploadId"]
        s3.upload_part(Bucket=b, Key="aborted", UploadId=uid, PartNumber=1, Body=b"x" * 100)
        s3.abort_multipart_upload(Bucket=b, Key="aborted", UploadId=uid)
        self.expect_error("NoSuchUpload", 404, s3.upload_part, Bucket=b, Key="aborted",
                          UploadId=uid, PartNumber=2, Body=b"y")
        self.expect_error("NoSuchUpload", 404, s3.complete_multipart_upload, Bucket=b,
                          Key="aborted", UploadId=uid, MultipartUpload={"Parts": [
                              {"PartNumber": 1, "ETag": sup.md5_etag(b"x" * 100)}]})
        self.expect_error("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket=b,
                          Key="aborted", UploadId=uid)
        self.expect_error("404", 404, s3.head_object, Bucket=b, Key="aborted")
        ups = s3.list_multipart_uploads(Bucket=b).get("Uploads", [])
        self.equal(ups, [], "no uploads left in progress")

    def scenario_listing(self):
        s3 = self.s3
        b = self.bucket("list")
        keys = sup.listing_keys()
        self.put_many(b, {k: k.encode() for k in keys})
        v2 = s3.get_paginator("list_objects_v2")

        def walk(**kwargs):
            contents, prefixes, pages = [], [], []
            for page in v2.paginate(Bucket=b, **kwargs):
                c = [o["Key"] for o in page.get("Contents", [])]
                p = [x["Prefix"] for x in page.get("CommonPrefixes", [])]
                self.equal(page["KeyCount"], len(c) + len(p), f"KeyCount of a page {kwargs}")
                contents += c
                prefixes += p
                pages.append(page)
            return contents, prefixes, pages

        contents, prefixes, pages = walk()
        self.equal(contents, keys, "full recursive listing (order and set)")
        self.equal([len(p.get("Contents", [])) for p in pages], [1000, 1000, len(keys) - 2000],
                   "default page sizes")
        self.equal([p["IsTruncated"] for p in pages], [True, True, False], "IsTruncated")
        sizes = {o["Key"]: o["Size"] for p in pages for o in p["Contents"]}
        self.check(all(sizes[k] == len(k.encode()) for k in keys), "listed sizes")
        contents, prefixes, _ = walk(Prefix="tree/", Delimiter="/")
        want_c, want_p = sup.expected_listing(keys, "tree/", "/")
        self.equal((contents, prefixes), (want_c, want_p), "delimiter listing of tree/")
        # Small pages across the delimiter: common prefixes must not repeat or go missing.
        contents, prefixes, pages = walk(Prefix="tree/", Delimiter="/",
                                         PaginationConfig={"PageSize": 4})
        self.equal((contents, prefixes), (want_c, want_p), "delimiter listing, 4 per page")
        self.check(all(p["KeyCount"] <= 4 for p in pages), "pages of at most 4")
        contents, prefixes, pages = walk(Prefix="tree/d03/", PaginationConfig={"PageSize": 7})
        self.equal(contents, sup.expected_listing(keys, "tree/d03/")[0], "prefix, 7 per page")
        self.equal(len(pages), 15, "pages for 100 keys at 7 a page")
        contents, _, _ = walk(StartAfter="tree/d24/f050.bin")
        self.equal(contents, [k for k in keys if k.encode() > b"tree/d24/f050.bin"],
                   "StartAfter")
        # MaxItems stops mid-page with a NextToken that resumes exactly there.
        first = v2.paginate(Bucket=b, PaginationConfig={"MaxItems": 250, "PageSize": 100})
        result = first.build_full_result()
        self.equal([o["Key"] for o in result["Contents"]], keys[:250], "MaxItems=250")
        token = result["NextToken"]
        rest = v2.paginate(Bucket=b, PaginationConfig={"StartingToken": token,
                                                       "PageSize": 1000}).build_full_result()
        self.equal([o["Key"] for o in rest["Contents"]], keys[250:], "resume from NextToken")
        one = s3.list_objects_v2(Bucket=b, Prefix="tree/", Delimiter="/", MaxKeys=1000)
        self.equal(one["KeyCount"], len(want_c) + len(want_p), "KeyCount with prefixes")
        self.equal((one["Prefix"], one["Delimiter"], one["MaxKeys"]), ("tree/", "/", 1000),
                   "echoed request fields")
        empty = s3.list_objects_v2(Bucket=b, Prefix="nothing/")
        self.equal((empty["KeyCount"], "Contents" in empty, empty["IsTruncated"]),
                   (0, False, False), "empty listing")
        # Delimiter other than '/'.
        _, prefixes, _ = walk(Prefix="tree/d0", Delimiter="f")
        self.equal(prefixes, [f"tree/d0{i}/f" for i in range(10)], "delimiter 'f'")
        # ListObjects V1: marker paging, NextMarker with a delimiter.
        v1 = s3.get_paginator("list_objects")
        got = []
        for page in v1.paginate(Bucket=b, PaginationConfig={"PageSize": 700}):
            got += [o["Key"] for o in page.get("Contents", [])]
        self.equal(got, keys, "V1 full listing at 700 a page")
        got_c, got_p = [], []
        for page in v1.paginate(Bucket=b, Prefix="tree/", Delimiter="/",
                                PaginationConfig={"PageSize": 5}):
            got_c += [o["Key"] for o in page.get("Contents", [])]
            got_p += [x["Prefix"] for x in page.get("CommonPrefixes", [])]
            if page["IsTruncated"]:
                self.check(page.get("NextMarker"), "V1 truncated page with delimiter lacks "
                                                   "NextMarker")
        self.equal((got_c, got_p), (want_c, want_p), "V1 delimiter listing at 5 a page")
        page = s3.list_objects(Bucket=b, Marker="tree/d25/f098.bin")
        self.equal([o["Key"] for o in page["Contents"]],
                   [k for k in keys if k.encode() > b"tree/d25/f098.bin"], "V1 Marker")

    def scenario_ranges(self):
        s3 = self.s3
        b = self.bucket("rng")
        size = MiB + 123
        data = sup.random_bytes(size, 7)
        etag = s3.put_object(Bucket=b, Key="obj", Body=data)["ETag"]
        cases = [("bytes=0-0", 0, 0), ("bytes=0-99", 0, 99), ("bytes=1000-2999", 1000, 2999),
                 ("bytes=-500", size - 500, size - 1), ("bytes=1000000-", 1000000, size - 1),
                 (f"bytes={size - 10}-{size + 1000}", size - 10, size - 1),
                 (f"bytes=-{size + 5}", 0, size - 1)]
        for header, start, end in cases:
            got = s3.get_object(Bucket=b, Key="obj", Range=header)
            self.equal(got["ResponseMetadata"]["HTTPStatusCode"], 206, f"{header} status")
            self.equal(got["ContentRange"], f"bytes {start}-{end}/{size}", f"{header} range")
            self.equal(got["ContentLength"], end - start + 1, f"{header} length")
            self.same_bytes(got["Body"].read(), data[start:end + 1], f"{header} bytes")
        self.expect_error("InvalidRange", 416, s3.get_object, Bucket=b, Key="obj",
                          Range=f"bytes={size}-")
        self.expect_error("InvalidRange", 416, s3.get_object, Bucket=b, Key="obj",
                          Range=f"bytes={size + 100}-{size + 200}")
        # Conditional reads (RFC 7232 precedence as S3 implements it).
        lm = s3.head_object(Bucket=b, Key="obj")["LastModified"]
        before, after = lm - datetime.timedelta(days=1), lm + datetime.timedelta(days=1)
        ok = lambda **kw: self.equal(  # noqa: E731
            s3.get_object(Bucket=b, Key="obj", **kw)["Body"].read() == data, True, f"GET {kw}")
        ok(IfMatch=etag)
        ok(IfNoneMatch='"0123456789abcdef0123456789abcdef"')
        ok(IfModifiedSince=before)
        ok(IfUnmodifiedSince=after)
        ok(IfMatch=etag, IfUnmodifiedSince=before)  # If-Match true wins
        for fn in (s3.get_object, s3.head_object):
            kind = "PreconditionFailed" if fn.__name__ == "get_object" else "412"
            self.expect_error(kind, 412, fn, Bucket=b, Key="obj", IfMatch='"deadbeef"')
            self.expect_error(kind, 412, fn, Bucket=b, Key="obj", IfUnmodifiedSince=before)
            self.expect_error("304", 304, fn, Bucket=b, Key="obj", IfNoneMatch=etag)
            self.expect_error("304", 304, fn, Bucket=b, Key="obj", IfModifiedSince=after)
            self.expect_error("304", 304, fn, Bucket=b, Key="obj", IfNoneMatch=etag,
                              IfModifiedSince=before)
        got = s3.get_object(Bucket=b, Key="obj", Range="bytes=10-19", IfMatch=etag)
        self.same_bytes(got["Body"].read(), data[10:20], "conditional ranged GET")

    def scenario_copy(self):
        s3 = self.s3
        b = self.bucket("cpy")
        b2 = self.bucket("cpy2")
        size = 12 * MiB + 5
        data = sup.random_bytes(size, 99)
        src = os.path.join(self.spec["workdir"], "copy-src.bin")
        with open(src, "wb") as f:
            f.write(data)
        five = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
        s3.upload_file(src, b, "multi", Config=five, ExtraArgs={"Metadata": {"a": "1"}})
        self.check(s3.head_object(Bucket=b, Key="multi")["ETag"].endswith('-3"'),
                   "source is a 3-part multipart object")
        # CopyObject of a multipart source, across buckets, metadata copied.
        s3.copy_object(Bucket=b2, Key="single-copy", CopySource={"Bucket": b, "Key": "multi"})
        self.same_bytes(self.get(b2, "single-copy"), data, "CopyObject of a multipart source")
        self.equal(s3.head_object(Bucket=b2, Key="single-copy")["Metadata"], {"a": "1"},
                   "metadata copied across buckets")
        # Managed copy: UploadPartCopy in 5 MiB ranges.
        s3.copy({"Bucket": b, "Key": "multi"}, b2, "managed-copy", Config=five)
        head = s3.head_object(Bucket=b2, Key="managed-copy")
        self.equal(head["ETag"], sup.multipart_etag(
            [data[i:i + 5 * MiB] for i in range(0, size, 5 * MiB)]), "managed copy ETag")
        self.same_bytes(self.get(b2, "managed-copy"), data, "managed copy bytes")
        # Copy conditions.
        etag = s3.head_object(Bucket=b, Key="multi")["ETag"]
        s3.copy_object(Bucket=b, Key="cond", CopySource={"Bucket": b, "Key": "multi"},
                       CopySourceIfMatch=etag)
        self.checks += 1
        self.expect_error("PreconditionFailed", 412, s3.copy_object, Bucket=b, Key="cond2",
                          CopySource={"Bucket": b, "Key": "multi"}, CopySourceIfMatch='"x"')
        self.expect_error("PreconditionFailed", 412, s3.copy_object, Bucket=b, Key="cond2",
                          CopySource={"Bucket": b, "Key": "multi"}, CopySourceIfNoneMatch=etag)
        self.expect_error("NoSuchKey", 404, s3.copy_object, Bucket=b, Key="x",
                          CopySource={"Bucket": b, "Key": "no-such-source"})
        self.expect_error("NoSuchBucket", 404, s3.copy_object, Bucket=b, Key="x",
                          CopySource={"Bucket": f"{self.spec['bucket']}-nobkt", "Key": "k"})
        resp = s3.copy_object(Bucket=b, Key="small", CopySource={"Bucket": b2,
                                                                  "Key": "single-copy"})
        self.check(resp["CopyObjectResult"]["ETag"].startswith('"'), "CopyObjectResult ETag")
        self.check(isinstance(resp["CopyObjectResult"]["LastModified"], datetime.datetime),
                   "CopyObjectResult LastModified")

    def scenario_batch_delete(self):
        s3 = self.s3
        b = self.bucket("del")
        keys = [f"batch/{i:04d}" for i in range(1000)]
        self.put_many(b, {k: b"x" for k in keys})
        resp = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in keys],
                                                   "Quiet": True})
        self.equal((resp.get("Deleted", []), resp.get("Errors", [])), ([], []),
                   "quiet DeleteObjects reports nothing")
        self.equal(s3.list_objects_v2(Bucket=b)["KeyCount"], 0, "all 1000 deleted (quiet)")
        self.put_many(b, {k: b"y" for k in keys[:999]})
        resp = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in keys]})
        self.equal(sorted(d["Key"] for d in resp["Deleted"]), keys,
                   "verbose DeleteObjects lists every key (a missing one counts as deleted)")
        self.equal(resp.get("Errors", []), [], "no errors")
        self.equal(s3.list_objects_v2(Bucket=b)["KeyCount"], 0, "all deleted (verbose)")
        self.expect_error("MalformedXML", 400, s3.delete_objects, Bucket=b, Delete={
            "Objects": [{"Key": f"k{i}"} for i in range(1001)]})

    def scenario_presigned(self):
        s3 = self.s3
        # botocore before 1.36 presigns with SigV2 unless told otherwise; S3 refuses SigV2 for
        # buckets created since 2020 and so does trainload, so users configure s3v4.
        presigner = boto3.client(
            "s3", endpoint_url=self.spec["endpoint"], region_name="us-east-1",
            aws_access_key_id=self.spec["access_key"],
            aws_secret_access_key=self.spec["secret_key"], verify=self.verify,
            config=Config(signature_version="s3v4"))
        b = self.bucket("pre")
        data = sup.random_bytes(300 * 1024 + 1, 3)
        keys = ["plain.bin", "with space+plus %.bin", "unicode-\u00e9\u4e2d.bin"]
        for k in keys:
            s3.put_object(Bucket=b, Key=k, Body=data)
            url = presigner.generate_presigned_url(
                "get_object", Params={"Bucket": b, "Key": k}, ExpiresIn=3600)
            got = self.curl(url, "-f")
            self.equal(got.returncode, 0, f"curl -f of presigned GET {k!r}: {got.stderr!r}")
            self.same_bytes(got.stdout, data, f"presigned GET {k!r}")
        url = presigner.generate_presigned_url("get_object", Params={
            "Bucket": b, "Key": "plain.bin", "Range": "bytes=5-9"}, ExpiresIn=600)
        # Range is a header parameter: botocore signs it, so the caller must send it too.
        got = self.curl(url, "-f", "-H", "Range: bytes=5-9")
        self.same_bytes(got.stdout, data[5:10], "presigned ranged GET")
        put_url = presigner.generate_presigned_url(
            "put_object", Params={"Bucket": b, "Key": "up"}, ExpiresIn=600)
        body = os.path.join(self.spec["workdir"], "presigned-put.bin")
        with open(body, "wb") as f:
            f.write(data)
        got = self.curl(put_url, "-f", "-T", body)
        self.equal(got.returncode, 0, f"presigned PUT with curl: {got.stderr!r}")
        self.same_bytes(self.get(b, "up"), data, "object uploaded by presigned PUT")
        short = presigner.generate_presigned_url(
            "get_object", Params={"Bucket": b, "Key": "plain.bin"}, ExpiresIn=1)
        time.sleep(2.5)
        got = self.curl(short, "-o", "-", "-w", "\n%{http_code}")
        body, _, status = got.stdout.rpartition(b"\n")
        self.equal(status, b"403", "expired presigned URL status")
        self.check(b"<Code>AccessDenied</Code>" in body, f"expired presigned body: {body[:300]}")
        tampered = url.replace("Signature=", "Signature=0")
        got = self.curl(tampered, "-o", "-", "-w", "\n%{http_code}")
        body, _, status = got.stdout.rpartition(b"\n")
        self.equal(status, b"403", "tampered presigned URL status")
        self.check(b"<Code>SignatureDoesNotMatch</Code>" in body, f"tampered body: {body[:300]}")

    def put_with_checksum(self, bucket, key, algorithm, data, **extra):
        """PutObject with a checksum: computed by botocore when it supports the algorithm,
        else supplied precomputed (how a user of a botocore without it would send one)."""
        if algorithm.lower() in self.native:
            return self.s3.put_object(Bucket=bucket, Key=key, Body=data,
                                      ChecksumAlgorithm=algorithm, **extra)
        return self.s3.put_object(Bucket=bucket, Key=key, Body=data,
                                  **{f"Checksum{algorithm}": sup.checksum_b64(algorithm, data)},
                                  **extra)

    def scenario_checksums(self):
        s3 = self.s3
        b = self.bucket("sum")
        data = sup.random_bytes(256 * 1024 + 3, 11)
        put_shape = s3.meta.service_model.operation_model("PutObject").input_shape
        tested = []
        for alg in sup.ALGORITHMS:
            if f"Checksum{alg}" not in put_shape.members:
                self.notes.append(f"{alg}: not in this botocore's PutObject model")
                continue
            want = sup.checksum_b64(alg, data)
            put = self.put_with_checksum(b, alg, alg, data)
            self.equal(put.get(f"Checksum{alg}"), want, f"PutObject {alg} checksum")
            for what, resp in (
                    ("HEAD", s3.head_object(Bucket=b, Key=alg, ChecksumMode="ENABLED")),
                    ("GET", s3.get_object(Bucket=b, Key=alg, ChecksumMode="ENABLED"))):
                self.equal(resp.get(f"Checksum{alg}"), want, f"{what} {alg} checksum")
                hdrs = resp["ResponseMetadata"]["HTTPHeaders"]
                self.equal(hdrs.get("x-amz-checksum-type"), "FULL_OBJECT",
                           f"{what} {alg} checksum type")
                if what == "GET":
                    self.same_bytes(resp["Body"].read(), data, f"GET {alg} body")
            # Without ChecksumMode the checksum stays out of the response.
            hdrs = s3.head_object(Bucket=b, Key=alg)["ResponseMetadata"]["HTTPHeaders"]
            self.check(f"x-amz-checksum-{alg.lower()}" not in hdrs,
                       f"HEAD without checksum mode returned {alg}: {hdrs}")
            # A wrong value is refused with BadDigest and leaves the old object in place.
            wrong = sup.checksum_b64(alg, data + b"!")
            self.expect_error("BadDigest", 400, s3.put_object, Bucket=b, Key=alg,
                              Body=b"other bytes", **{f"Checksum{alg}": wrong})
            self.same_bytes(self.get(b, alg), data, f"{alg} object after a refused overwrite")
            tested.append(alg)
        self.expect_error("BadDigest", 400, s3.put_object, Bucket=b, Key="md5", Body=data,
                          ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
        # Algorithms newer than trainload (S3 added SHA512, MD5, XXHASH* in 2025) are refused,
        # never stored unverified.
        for member in ("ChecksumSHA512", "ChecksumXXHASH64"):
            if member in put_shape.members:
                self.expect_error("InvalidRequest", 400, s3.put_object, Bucket=b, Key="new-alg",
                                  Body=data, **{member: "AAAAAAAAAAA="})
                self.expect_error("404", 404, s3.head_object, Bucket=b, Key="new-alg")
        # Every object has a stored checksum; with none sent, S3 computes CRC64NVME.
        if not self.sends_default_checksums():
            s3.put_object(Bucket=b, Key="plain", Body=data)
            hdrs = s3.head_object(Bucket=b, Key="plain", ChecksumMode="ENABLED")[
                "ResponseMetadata"]["HTTPHeaders"]
            self.equal(hdrs.get("x-amz-checksum-crc64nvme"),
                       sup.checksum_b64("CRC64NVME", data), "default stored CRC64NVME")
        else:
            s3.put_object(Bucket=b, Key="plain", Body=data)
            head = s3.head_object(Bucket=b, Key="plain", ChecksumMode="ENABLED")
            self.equal(head.get("ChecksumCRC32"), sup.checksum_b64("CRC32", data),
                       "CRC32 sent by default")
        self.result_extra = {"algorithms": tested}
        self.multipart_checksums(b)

    def sends_default_checksums(self):
        return hasattr(self.s3.meta.config, "request_checksum_calculation")

    def multipart_checksums(self, b):
        s3 = self.s3
        create_shape = s3.meta.service_model.operation_model(
            "CreateMultipartUpload").input_shape
        parts = [sup.random_bytes(5 * MiB, 21), sup.random_bytes(MiB + 17, 22)]
        whole = b"".join(parts)
        cases = [("CRC32", "COMPOSITE"), ("SHA256", "COMPOSITE"), ("SHA1", "COMPOSITE")]
        if "crc32c" in self.native:
            cases.append(("CRC32C", "COMPOSITE"))
        if "ChecksumType" in create_shape.members:
            cases += [("CRC32", "FULL_OBJECT"), ("CRC64NVME", "FULL_OBJECT")]
        done_cases = []
        for alg, kind in cases:
            key = f"mpu-{alg}-{kind}"
            extra = {"ChecksumType": kind} if "ChecksumType" in create_shape.members else {}
            uid = s3.create_multipart_upload(Bucket=b, Key=key, ChecksumAlgorithm=alg,
                                             **extra)["UploadId"]
            completed = []
            for n, p in enumerate(parts, 1):
                if alg.lower() in self.native:
                    r = s3.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=n, Body=p,
                                       ChecksumAlgorithm=alg)
                else:
                    r = s3.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=n, Body=p,
                                       **{f"Checksum{alg}": sup.checksum_b64(alg, p)})
                self.equal(r.get(f"Checksum{alg}"), sup.checksum_b64(alg, p),
                           f"UploadPart {n} {alg}")
                completed.append({"PartNumber": n, "ETag": r["ETag"],
                                  f"Checksum{alg}": r[f"Checksum{alg}"]})
            listed = s3.list_parts(Bucket=b, Key=key, UploadId=uid)["Parts"]
            self.equal([p.get(f"Checksum{alg}") for p in listed],
                       [sup.checksum_b64(alg, p) for p in parts], f"ListParts {alg}")
            done = s3.complete_multipart_upload(Bucket=b, Key=key, UploadId=uid,
                                                MultipartUpload={"Parts": completed})
            if kind == "COMPOSITE":
                want = sup.composite_checksum_b64(alg, parts)
            else:
                want = sup.checksum_b64(alg, whole)
            self.equal(done.get(f"Checksum{alg}"), want, f"CompleteMultipartUpload {alg} {kind}")
            head = s3.head_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
            self.equal(head.get(f"Checksum{alg}"), want, f"HEAD {alg} {kind}")
            self.equal(head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-checksum-type"), kind,
                       f"HEAD checksum type {alg} {kind}")
            got = s3.get_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
            self.equal(got.get(f"Checksum{alg}"), want, f"GET {alg} {kind}")
            self.same_bytes(got["Body"].read(), whole, f"GET {alg} {kind} bytes")
            done_cases.append(f"{alg}/{kind}")
        # upload_file passes ChecksumAlgorithm to every part (s3transfer).
        src = os.path.join(self.spec["workdir"], "sum-mpu.bin")
        with open(src, "wb") as f:
            f.write(whole)
        s3.upload_file(src, b, "managed-crc32", ExtraArgs={"ChecksumAlgorithm": "CRC32"},
                       Config=TransferConfig(multipart_threshold=5 * MiB,
                                             multipart_chunksize=5 * MiB))
        head = s3.head_object(Bucket=b, Key="managed-crc32", ChecksumMode="ENABLED")
        self.check(head.get("ChecksumCRC32") in (sup.composite_checksum_b64("CRC32", parts),
                                                 sup.checksum_b64("CRC32", whole)),
                   f"upload_file CRC32: {head.get('ChecksumCRC32')}")
        self.result_extra["multipart"] = done_cases

    def scenario_errors(self):
        s3 = self.s3
        b = self.bucket("err")
        s3.put_object(Bucket=b, Key="k", Body=b"0123456789")
        missing = f"{self.spec['bucket']}-nob"
        r = self.expect_error("NoSuchKey", 404, s3.get_object, Bucket=b, Key="nope")
        self.check(r["Error"].get("Message"), "NoSuchKey carries a message")
        self.check(r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"),
                   "errors carry x-amz-request-id")
        self.expect_error("NoSuchBucket", 404, s3.get_object, Bucket=missing, Key="k")
        self.expect_error("NoSuchBucket", 404, s3.list_objects, Bucket=missing)
        self.expect_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=b)
        self.expect_error("InvalidRange", 416, s3.get_object, Bucket=b, Key="k",
                          Range="bytes=10-20")
        self.expect_error("PreconditionFailed", 412, s3.get_object, Bucket=b, Key="k",
                          IfMatch='"abc"')
        self.expect_error("NoSuchUpload", 404, s3.upload_part, Bucket=b, Key="k",
                          UploadId="no-such-upload", PartNumber=1, Body=b"x")
        self.expect_error("NoSuchUpload", 404, s3.list_parts, Bucket=b, Key="k",
                          UploadId="no-such-upload")
        self.expect_error("NoSuchBucket", 404, s3.delete_objects, Bucket=missing,
                          Delete={"Objects": [{"Key": "k"}]})
        bad = boto3.client("s3", endpoint_url=self.spec["endpoint"], region_name="us-east-1",
                           aws_access_key_id=self.spec["access_key"],
                           aws_secret_access_key="wrong" + self.spec["secret_key"],
                           verify=self.verify,
                           config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        self.expect_error("SignatureDoesNotMatch", 403, bad.get_object, Bucket=b, Key="k")
        unknown = boto3.client("s3", endpoint_url=self.spec["endpoint"], region_name="us-east-1",
                               aws_access_key_id="AKIDUNKNOWN000000000",
                               aws_secret_access_key=self.spec["secret_key"],
                               verify=self.verify,
                               config=Config(retries={"total_max_attempts": 1,
                                                      "mode": "standard"}))
        self.expect_error("InvalidAccessKeyId", 403, unknown.list_buckets)


def main():
    spec_path, scenario = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    w = Workload(spec)
    w.result_extra = {}
    getattr(w, f"scenario_{scenario}")()
    wire = {"content_sha256": sorted(w.wire["content_sha256"]),
            "trailers": sorted(w.wire["trailers"]), "aws_chunked": w.wire["aws_chunked"]}
    print(json.dumps({"scenario": scenario, "boto3": boto3.__version__,
                      "botocore": botocore.__version__, "checks": w.checks, "notes": w.notes,
                      "wire": wire, **w.result_extra}))


if __name__ == "__main__":
    main()
