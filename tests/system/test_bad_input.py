"""Adversarial requests against a real `trainload server`.

Every malformed, forged, tampered or hostile request must get S3's exact error code and HTTP
status, must leave no trace in the store (no object, no temp file, nothing outside the data
directory), and the same server must go on serving correctly signed requests afterwards.
Requests are built with raw_s3 (botocore's signer on hand-made requests, raw sockets) so each
test can break exactly one thing.
"""

import base64
import datetime
import hashlib
import http.client
import os
import socket
import struct
import time
import zlib

import pytest

from conftest import random_bytes
from raw_s3 import (SIGNED_STREAMING, SIGNED_STREAMING_TRAILER, UNSIGNED_STREAMING_TRAILER,
                    RawS3, crc32_b64, md5_b64, parse_status_line, quote_key,
                    sha256_b64, utcnow)

BUCKET = "bad-input"
MIB = 1 << 20


@pytest.fixture(scope="module")
def s3(server):
    client = RawS3.for_server(server)
    resp = client.create_bucket(BUCKET)
    assert resp.status == 200, resp
    return client


_health_counter = [0]


def assert_serves(s3):
    """The server still answers a normal signed PUT and GET with the exact bytes."""
    _health_counter[0] += 1
    key = f"health/{_health_counter[0]}"
    body = random_bytes(4096 + _health_counter[0], seed=_health_counter[0])
    put = s3.put(BUCKET, key, body)
    assert put.status == 200, put
    assert put.header("etag") == '"' + hashlib.md5(body).hexdigest() + '"'
    got = s3.get(BUCKET, key)
    assert got.status == 200, got
    assert got.body == body


def assert_error(resp, status, code):
    assert resp.status == status and resp.error_code() == code, \
        f"expected {status} {code}, got {resp!r}"
    assert resp.header("content-type") == "application/xml", resp
    assert resp.header("x-amz-request-id"), resp


def files_under(root):
    out = []
    for dirpath, _, names in os.walk(root):
        out += [os.path.join(dirpath, n) for n in names]
    return sorted(out)


def wait_until(predicate, timeout=15.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


# Authentication.

def test_wrong_secret_is_signature_does_not_match(s3):
    resp = s3.request("GET", BUCKET, "whatever", secret_key="not-the-secret-key-at-all-0000000")
    assert_error(resp, 403, "SignatureDoesNotMatch")
    put = s3.request("PUT", BUCKET, "wrong-secret", body=b"x" * 100,
                     secret_key="not-the-secret-key-at-all-0000000")
    assert_error(put, 403, "SignatureDoesNotMatch")
    assert s3.head(BUCKET, "wrong-secret").status == 404
    assert_serves(s3)


def test_unknown_access_key_is_invalid_access_key_id(s3):
    resp = s3.request("GET", BUCKET, "whatever", access_key="AKIDNOBODYHAS0000000")
    assert_error(resp, 403, "InvalidAccessKeyId")
    assert_serves(s3)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_anonymous_request_is_access_denied(s3, method):
    assert s3.put(BUCKET, "anon-target", b"before").status == 200
    resp = s3.request(method, BUCKET, "anon-target", sign=False,
                      body=b"after" if method == "PUT" else b"")
    assert_error(resp, 403, "AccessDenied")
    assert s3.get(BUCKET, "anon-target").body == b"before"
    listing = s3.request("GET", BUCKET, sign=False)
    assert_error(listing, 403, "AccessDenied")
    assert_serves(s3)


def test_presigned_url_works_then_expires(s3):
    assert s3.put(BUCKET, "presigned", b"presigned body").status == 200
    fresh = s3.presign("GET", s3.target(BUCKET, "presigned"), expires=3600)
    ok = s3.send("GET", fresh, [("Host", s3.netloc)])
    assert ok.status == 200 and ok.body == b"presigned body", ok

    short = s3.presign("GET", s3.target(BUCKET, "presigned"), expires=1)
    # X-Amz-Date has second resolution: after 2.5 s the URL is past X-Amz-Date + 1 for sure.
    time.sleep(2.5)
    resp = s3.send("GET", short, [("Host", s3.netloc)])
    assert_error(resp, 403, "AccessDenied")
    assert b"expired" in resp.body.lower(), resp
    assert_serves(s3)


def test_presigned_url_limits(s3):
    assert s3.put(BUCKET, "presigned-l", b"limits").status == 200
    target = s3.target(BUCKET, "presigned-l")
    week = s3.presign("GET", target, expires=604800)
    assert s3.send("GET", week, [("Host", s3.netloc)]).body == b"limits"
    too_long = s3.presign("GET", target, expires=604801)
    resp = s3.send("GET", too_long, [("Host", s3.netloc)])
    assert_error(resp, 400, "AuthorizationQueryParametersError")
    future = s3.presign("GET", target, expires=3600,
                        when=utcnow() + datetime.timedelta(minutes=20))
    resp = s3.send("GET", future, [("Host", s3.netloc)])
    assert_error(resp, 403, "AccessDenied")
    assert_serves(s3)


def _tamper(target, what):
    path, _, query = target.partition("?")
    if what == "key":
        return path + "-other?" + query
    if what == "expires":
        assert "X-Amz-Expires=3600" in query
        return path + "?" + query.replace("X-Amz-Expires=3600", "X-Amz-Expires=3599")
    if what == "added-param":
        return path + "?" + query + "&response-content-type=text%2Fhtml"
    if what == "signature":
        head, sig = query.rsplit("X-Amz-Signature=", 1)
        flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
        return path + "?" + head + "X-Amz-Signature=" + flipped
    if what == "method":
        return target
    raise AssertionError(what)


@pytest.mark.parametrize("what", ["key", "expires", "added-param", "signature", "method"])
def test_tampered_presigned_url_is_signature_does_not_match(s3, what):
    assert s3.put(BUCKET, "presigned-t", b"original").status == 200
    assert s3.put(BUCKET, "presigned-t-other", b"other").status == 200
    target = s3.presign("GET", s3.target(BUCKET, "presigned-t"), expires=3600)
    tampered = _tamper(target, what)
    if what == "method":
        resp = s3.send("PUT", tampered, [("Host", s3.netloc)], body=b"overwritten")
    else:
        resp = s3.send("GET", tampered, [("Host", s3.netloc)])
    assert_error(resp, 403, "SignatureDoesNotMatch")
    assert s3.get(BUCKET, "presigned-t").body == b"original"
    assert s3.get(BUCKET, "presigned-t-other").body == b"other"
    assert_serves(s3)


@pytest.mark.parametrize("minutes", [20, -20])
def test_clock_skew_is_request_time_too_skewed(s3, minutes):
    when = utcnow() + datetime.timedelta(minutes=minutes)
    resp = s3.request("GET", BUCKET, "whatever", when=when)
    assert_error(resp, 403, "RequestTimeTooSkewed")
    put = s3.request("PUT", BUCKET, "skewed", body=b"data", when=when)
    assert_error(put, 403, "RequestTimeTooSkewed")
    assert s3.head(BUCKET, "skewed").status == 404
    assert_serves(s3)


# Integrity checks on uploads: the object must not change.

INTEGRITY_BODY = random_bytes(200_000, seed=7)
OTHER_BODY = random_bytes(1000, seed=8)


def _integrity_case(s3, case, key):
    body = INTEGRITY_BODY
    if case == "content-md5-wrong":
        return s3.put(BUCKET, key, body, headers={"Content-MD5": md5_b64(OTHER_BODY)})
    if case == "content-md5-malformed":
        return s3.put(BUCKET, key, body, headers={"Content-MD5": "not base64 at all!"})
    if case == "content-md5-wrong-length":
        return s3.put(BUCKET, key, body,
                      headers={"Content-MD5": base64.b64encode(b"short").decode()})
    if case == "checksum-crc32-wrong":
        return s3.put(BUCKET, key, body, headers={"x-amz-checksum-crc32": crc32_b64(OTHER_BODY)})
    if case == "checksum-sha256-wrong":
        return s3.put(BUCKET, key, body,
                      headers={"x-amz-checksum-sha256": sha256_b64(OTHER_BODY)})
    if case == "content-sha256-wrong":
        return s3.request("PUT", BUCKET, key, body=body,
                          payload_hash=hashlib.sha256(OTHER_BODY).hexdigest())
    if case == "chunk-signature-wrong":
        return s3.chunked_put(BUCKET, key, body, mode=SIGNED_STREAMING, corrupt_chunk=1)
    if case == "final-chunk-signature-wrong":
        return s3.chunked_put(BUCKET, key, body, mode=SIGNED_STREAMING, corrupt_chunk=4)
    if case == "trailer-checksum-wrong":
        return s3.chunked_put(BUCKET, key, body, mode=UNSIGNED_STREAMING_TRAILER,
                              trailer=("x-amz-checksum-crc32", crc32_b64(OTHER_BODY)))
    if case == "signed-trailer-checksum-wrong":
        return s3.chunked_put(BUCKET, key, body, mode=SIGNED_STREAMING_TRAILER,
                              trailer=("x-amz-checksum-crc32", crc32_b64(OTHER_BODY)))
    raise AssertionError(case)


INTEGRITY_CASES = [
    ("content-md5-wrong", 400, "BadDigest"),
    ("content-md5-malformed", 400, "InvalidDigest"),
    ("content-md5-wrong-length", 400, "InvalidDigest"),
    ("checksum-crc32-wrong", 400, "BadDigest"),
    ("checksum-sha256-wrong", 400, "BadDigest"),
    ("content-sha256-wrong", 400, "XAmzContentSHA256Mismatch"),
    ("chunk-signature-wrong", 403, "SignatureDoesNotMatch"),
    ("final-chunk-signature-wrong", 403, "SignatureDoesNotMatch"),
    ("trailer-checksum-wrong", 400, "BadDigest"),
    ("signed-trailer-checksum-wrong", 400, "BadDigest"),
]


@pytest.mark.parametrize("existing", [False, True], ids=["new-key", "overwrite"])
@pytest.mark.parametrize("case,status,code", INTEGRITY_CASES, ids=[c[0] for c in INTEGRITY_CASES])
def test_upload_integrity_failure_changes_nothing(s3, server, case, status, code, existing):
    key = f"integrity/{case}/{existing}"
    previous = random_bytes(3000, seed=zlib.crc32(key.encode()))
    if existing:
        assert s3.put(BUCKET, key, previous).status == 200
    resp = _integrity_case(s3, case, key)
    assert_error(resp, status, code)
    after = s3.get(BUCKET, key)
    if existing:
        assert after.status == 200 and after.body == previous, after
    else:
        assert_error(after, 404, "NoSuchKey")
    tmp = os.path.join(server.data_dir, "tmp")
    assert wait_until(lambda: not os.listdir(tmp), timeout=10), os.listdir(tmp)
    assert_serves(s3)


@pytest.mark.parametrize("mode,trailer", [
    (SIGNED_STREAMING, False), (SIGNED_STREAMING_TRAILER, True),
    (UNSIGNED_STREAMING_TRAILER, True)])
def test_well_formed_aws_chunked_uploads_are_accepted(s3, mode, trailer):
    """The control for the chunked cases above: the same framing, signed right, is stored."""
    key = f"chunked-ok/{mode}"
    resp = s3.chunked_put(BUCKET, key, INTEGRITY_BODY, mode=mode,
                          trailer=("x-amz-checksum-crc32", crc32_b64(INTEGRITY_BODY))
                          if trailer else None)
    assert resp.status == 200, resp
    assert resp.header("etag") == '"' + hashlib.md5(INTEGRITY_BODY).hexdigest() + '"'
    got = s3.get(BUCKET, key)
    assert got.status == 200 and got.body == INTEGRITY_BODY
    assert got.header("content-encoding") is None, got.headers


# XML request bodies.

MALFORMED_XML = [
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",
    b"this is not xml",
    b"<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part>"
    b"</CompleteMultipartUpload>",
    b"<Delete><Object><Key>a</Key></Object></Wrong>",
]


@pytest.mark.parametrize("document", MALFORMED_XML[:3], ids=["truncated", "text", "bad-number"])
def test_complete_multipart_malformed_xml(s3, document):
    key = "mpu/malformed"
    upload = s3.create_upload(BUCKET, key)
    etag = s3.upload_part(BUCKET, key, upload, 1, b"last part may be small")
    resp = s3.complete_upload(BUCKET, key, upload, raw_xml=document)
    assert_error(resp, 400, "MalformedXML")
    # The upload is untouched and completes normally.
    done = s3.complete_upload(BUCKET, key, upload, [(1, etag)])
    assert done.status == 200 and done.error_code() is None, done
    assert s3.get(BUCKET, key).body == b"last part may be small"
    assert_serves(s3)


@pytest.mark.parametrize("document", [MALFORMED_XML[0], MALFORMED_XML[1], MALFORMED_XML[3],
                                      b"<Delete></Delete>"],
                         ids=["truncated", "text", "mismatched-tag", "no-objects"])
def test_delete_objects_malformed_xml(s3, document):
    assert s3.put(BUCKET, "a", b"survives").status == 200
    resp = s3.request("POST", BUCKET, query=[("delete", None)], body=document,
                      headers={"Content-MD5": md5_b64(document)})
    assert_error(resp, 400, "MalformedXML")
    assert s3.get(BUCKET, "a").body == b"survives"
    assert_serves(s3)


@pytest.fixture
def two_part_upload(s3, request):
    """An upload with a 5 MiB part 1 and a small part 2 (both valid), to a key of its own."""
    key = "mpu/" + request.node.name
    upload = s3.create_upload(BUCKET, key)
    part1 = random_bytes(5 * MIB, seed=51)
    part2 = b"tail" * 100
    e1 = s3.upload_part(BUCKET, key, upload, 1, part1)
    e2 = s3.upload_part(BUCKET, key, upload, 2, part2)
    yield key, upload, [(1, e1), (2, e2)], part1 + part2
    s3.abort_upload(BUCKET, key, upload)


def test_complete_parts_out_of_order(s3, two_part_upload):
    key, upload, parts, data = two_part_upload
    resp = s3.complete_upload(BUCKET, key, upload, list(reversed(parts)))
    assert_error(resp, 400, "InvalidPartOrder")
    assert s3.head(BUCKET, key).status == 404
    done = s3.complete_upload(BUCKET, key, upload, parts)
    assert done.status == 200 and done.error_code() is None, done
    assert s3.get(BUCKET, key).body == data
    assert_serves(s3)


def test_complete_wrong_etag(s3, two_part_upload):
    key, upload, parts, data = two_part_upload
    wrong = [(1, parts[0][1]), (2, '"' + hashlib.md5(b"nope").hexdigest() + '"')]
    resp = s3.complete_upload(BUCKET, key, upload, wrong)
    assert_error(resp, 400, "InvalidPart")
    missing = s3.complete_upload(BUCKET, key, upload, [parts[0], (3, parts[0][1])])
    assert_error(missing, 400, "InvalidPart")
    assert s3.head(BUCKET, key).status == 404
    done = s3.complete_upload(BUCKET, key, upload, parts)
    assert done.status == 200 and done.error_code() is None, done
    assert s3.get(BUCKET, key).body == data
    assert_serves(s3)


def test_complete_small_non_last_part(s3):
    key = "mpu/small"
    upload = s3.create_upload(BUCKET, key)
    e1 = s3.upload_part(BUCKET, key, upload, 1, b"x" * 1024)
    e2 = s3.upload_part(BUCKET, key, upload, 2, b"y" * 1024)
    resp = s3.complete_upload(BUCKET, key, upload, [(1, e1), (2, e2)])
    assert_error(resp, 400, "EntityTooSmall")
    assert s3.head(BUCKET, key).status == 404
    # Completing with only the (now last) small part is legal.
    done = s3.complete_upload(BUCKET, key, upload, [(1, e1)])
    assert done.status == 200 and done.error_code() is None, done
    assert s3.get(BUCKET, key).body == b"x" * 1024
    assert_serves(s3)


# Reads.

def test_unsatisfiable_range(s3):
    assert s3.put(BUCKET, "ten", b"0123456789").status == 200
    resp = s3.get(BUCKET, "ten", headers={"Range": "bytes=1000-"})
    assert_error(resp, 416, "InvalidRange")
    assert resp.header("content-range") == "bytes */10", resp.headers
    ok = s3.get(BUCKET, "ten", headers={"Range": "bytes=8-"})
    assert ok.status == 206 and ok.body == b"89"
    assert ok.header("content-range") == "bytes 8-9/10"
    assert_serves(s3)


# HTTP-level abuse.

def test_oversized_header_section(s3):
    target = s3.target(BUCKET, "ten")
    headers = s3.sign("GET", target) + [("x-padding", "p" * (20 * 1024))]
    resp = s3.send("GET", target, headers)
    assert_error(resp, 400, "RequestHeaderSectionTooLarge")
    assert_serves(s3)


RAW_GARBAGE = [
    b"THIS IS NOT HTTP\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nno colon in this header\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"PUT /bad-input/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    b"PUT /bad-input/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"PUT /bad-input/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\nHost: x\n\n",
    b"GET /" + b"u" * (20 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
]


@pytest.mark.parametrize("data", RAW_GARBAGE, ids=[
    "not-http", "bad-version", "binary", "no-colon", "negative-length", "two-lengths",
    "length-and-chunked", "gzip-transfer-encoding", "blank-lines-first", "bare-lf",
    "20k-request-line"])
def test_http_garbage_gets_400_and_server_survives(s3, data):
    raw = s3.send_raw(data)
    status, _, _ = parse_status_line(raw)
    assert status == 400, raw[:400]
    assert_serves(s3)


def _raw_request(s3, method, target, headers, body=b""):
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _count_responses(raw):
    return len([line for line in raw.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")])


@pytest.mark.parametrize("carrier", ["anonymous-put", "bad-signature-put", "gzip-te"])
def test_rejected_request_body_is_never_served_as_a_request(s3, carrier):
    """The body of a refused request holds a complete, validly signed DELETE: whether the
    server drains the body or closes the connection, the DELETE must never run."""
    assert s3.put(BUCKET, "smuggle-target", b"must survive").status == 200
    inner_target = s3.target(BUCKET, "smuggle-target")
    inner = _raw_request(s3, "DELETE", inner_target, s3.sign("DELETE", inner_target))
    outer_target = s3.target(BUCKET, "smuggle-carrier")
    if carrier == "anonymous-put":
        outer = _raw_request(s3, "PUT", outer_target, [("Host", s3.netloc)], inner)
    elif carrier == "bad-signature-put":
        outer = _raw_request(s3, "PUT", outer_target,
                             s3.sign("PUT", outer_target, body=inner, secret_key="wrong" * 8),
                             inner)
    else:
        outer = _raw_request(s3, "PUT", outer_target,
                             s3.sign("PUT", outer_target, payload_hash="UNSIGNED-PAYLOAD") +
                             [("Transfer-Encoding", "gzip")]) + inner
    raw = s3.send_raw(outer, read_timeout=3)
    status, _, _ = parse_status_line(raw)
    assert status in (400, 403), raw[:600]
    assert _count_responses(raw) == 1, raw
    assert s3.get(BUCKET, "smuggle-target").body == b"must survive"
    assert s3.head(BUCKET, "smuggle-carrier").status == 404
    assert_serves(s3)


def test_keep_alive_connection_stays_in_sync_after_errors(s3):
    """Errors with unread or half-read bodies on one keep-alive connection: each request gets
    exactly its own answer."""
    conn = http.client.HTTPConnection(s3.host, s3.port, timeout=30)
    try:
        def call(method, key, body=b"", headers=None, **sign_args):
            target = s3.target(BUCKET, key)
            signed = s3.sign(method, target, headers, body, **sign_args)
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in signed:
                conn.putheader(name, value)
            if method == "PUT":
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                conn.send(body)
            resp = conn.getresponse()
            return resp.status, resp.read(), resp.getheader("connection")

        body = random_bytes(300_000, seed=21)
        status, data, _ = call("PUT", "ka/1", body, {"Content-MD5": md5_b64(b"other")})
        assert status == 400 and b"<Code>BadDigest</Code>" in data
        status, data, _ = call("PUT", "ka/1", body, secret_key="wrong" * 8)
        assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in data
        status, data, _ = call("PUT", "ka/1", body, {"x-amz-checksum-crc32": crc32_b64(b"x")})
        assert status == 400 and b"<Code>BadDigest</Code>" in data
        status, data, _ = call("GET", "ka/missing")
        assert status == 404 and b"<Code>NoSuchKey</Code>" in data
        status, data, _ = call("PUT", "ka/1", body)
        assert status == 200, data
        status, data, _ = call("GET", "ka/1")
        assert status == 200 and data == body
    finally:
        conn.close()
    assert_serves(s3)


def test_malformed_transfer_encoding_chunked_body(s3, server):
    """A correctly signed PUT whose HTTP chunked framing is broken: 400, nothing stored."""
    target = s3.target(BUCKET, "bad-framing")
    headers = s3.sign("PUT", target, payload_hash="UNSIGNED-PAYLOAD")
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    head += "Transfer-Encoding: chunked\r\n\r\n"
    raw = s3.send_raw(head.encode() + b"10\r\n0123456789abcdef\r\nzz-not-hex\r\n\r\n")
    status, _, body = parse_status_line(raw)
    assert status == 400, raw[:600]
    assert b"<Code>IncompleteBody</Code>" in body, raw[:600]
    assert s3.head(BUCKET, "bad-framing").status == 404
    tmp = os.path.join(server.data_dir, "tmp")
    assert wait_until(lambda: not os.listdir(tmp), timeout=10), os.listdir(tmp)
    assert_serves(s3)


def test_zero_length_put(s3):
    resp = s3.put(BUCKET, "empty", b"")
    assert resp.status == 200, resp
    assert resp.header("etag") == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = s3.get(BUCKET, "empty")
    assert got.status == 200 and got.body == b"" and got.header("content-length") == "0"
    assert_serves(s3)


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "UpperCase", "under_score", "-leading-dash", "trailing-dash-",
    "double..dot", "192.168.10.20", "xn--punycode-prefix", "name-s3alias",
    "name--ol-s3", "sthree-prefixed", "amzn-s3-demo-x", "with space", "a.mrap"])
def test_invalid_bucket_name(s3, name):
    resp = s3.request("PUT", raw_path="/" + quote_key(name))
    assert_error(resp, 400, "InvalidBucketName")
    listing = s3.request("GET", raw_path="/")
    assert listing.status == 200
    assert f"<Name>{name}</Name>".encode() not in listing.body
    assert_serves(s3)


# A client that vanishes mid-upload.

@pytest.mark.parametrize("reset", [True, False], ids=["rst", "fin"])
def test_client_disconnect_mid_put_leaves_nothing(s3, server, reset):
    objects = os.path.join(server.data_dir, "objects")
    tmp = os.path.join(server.data_dir, "tmp")
    assert s3.put(BUCKET, "vanishing", b"old version").status == 200
    before = files_under(objects)
    target = s3.target(BUCKET, "vanishing")
    headers = s3.sign("PUT", target, payload_hash="UNSIGNED-PAYLOAD")
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    head += f"Content-Length: {10 * MIB}\r\n\r\n"
    with s3.connect() as sock:
        sock.sendall(head.encode())
        sock.sendall(random_bytes(MIB, seed=99))
        # The upload is in progress: its temp file exists while the server waits for more.
        assert wait_until(lambda: len(os.listdir(tmp)) == 1, timeout=10), os.listdir(tmp)
        if reset:  # close with RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert wait_until(lambda: not os.listdir(tmp), timeout=15), os.listdir(tmp)
    time.sleep(0.5)
    assert files_under(objects) == before
    assert s3.get(BUCKET, "vanishing").body == b"old version"
    assert_serves(s3)


def test_client_disconnect_mid_chunked_put_leaves_nothing(s3, server):
    objects = os.path.join(server.data_dir, "objects")
    tmp = os.path.join(server.data_dir, "tmp")
    before = files_under(objects)
    target = s3.target(BUCKET, "vanishing-chunked")
    headers = s3.sign("PUT", target, payload_hash="UNSIGNED-PAYLOAD")
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    head += "Transfer-Encoding: chunked\r\n\r\n"
    with s3.connect() as sock:
        sock.sendall(head.encode())
        sock.sendall(b"100000\r\n" + random_bytes(MIB, seed=98) + b"\r\n")
        assert wait_until(lambda: len(os.listdir(tmp)) == 1, timeout=10), os.listdir(tmp)
    assert wait_until(lambda: not os.listdir(tmp), timeout=15), os.listdir(tmp)
    time.sleep(0.5)
    assert files_under(objects) == before
    assert s3.head(BUCKET, "vanishing-chunked").status == 404
    assert_serves(s3)


# Keys that look like paths.

ESCAPE_KEYS = [
    "../../etc/passwd",
    "../../../../../../../../tmp/trainload-escape",
    "..%2F..%2Fx",
    "/abs",
    "//double/../slash",
    "./.",
    "a/./b/../c",
    "ctl-\x01\x02\x1b\x1f\x7f-chars",
    "tab\tnew\nline\rcr",
    "back\\slash\\..\\..\\x",
]


@pytest.fixture
def canaries(workdir, server):
    """Files next to (outside) the data dir, with their content, and a listing of the parent."""
    data_dir = os.path.abspath(server.data_dir)
    parent = os.path.dirname(data_dir)
    paths = [os.path.join(parent, "canary.txt"), os.path.join(parent, "etc", "passwd"),
             os.path.join(parent, "x")]
    for i, path in enumerate(paths):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(f"canary {i}".encode())
    before = {p: (open(p, "rb").read(), os.stat(p).st_mtime_ns) for p in paths}
    outside_before = set(files_under(parent)) - set(files_under(data_dir))
    yield data_dir, before, outside_before
    for path in paths:
        os.unlink(path)


def assert_nothing_escaped(data_dir, before, outside_before):
    parent = os.path.dirname(data_dir)
    for path, (content, mtime) in before.items():
        assert open(path, "rb").read() == content and os.stat(path).st_mtime_ns == mtime, path
    outside_after = set(files_under(parent)) - set(files_under(data_dir))
    assert outside_after == outside_before
    assert not os.path.exists("/tmp/trainload-escape")
    for path in files_under(data_dir):
        rel = os.path.relpath(path, data_dir)
        top = rel.split(os.sep)[0]
        assert top in ("index", "spare", "tmp", "objects") or rel == "credentials", rel
        if top == "spare":
            # Empty files made ahead for uploads, named by id like data files.
            assert os.path.getsize(path) == 0 and len(os.path.basename(path)) == 32, rel
        if rel.startswith("objects" + os.sep):
            # Data files are named by id only: objects/<2 hex>/<32 hex>.
            _, shard, name = rel.split(os.sep)
            assert len(shard) == 2 and len(name) == 32, rel
            int(shard, 16), int(name, 16)


@pytest.mark.parametrize("key", ESCAPE_KEYS, ids=range(len(ESCAPE_KEYS)))
def test_path_like_keys_stay_keys(s3, canaries, key):
    data_dir, before, outside_before = canaries
    body = ("content of " + repr(key)).encode()
    # Before it exists, the key reads as missing: nothing is read from outside the store.
    assert_error(s3.get(BUCKET, key), 404, "NoSuchKey")
    put = s3.put(BUCKET, key, body)
    assert put.status == 200, put
    got = s3.get(BUCKET, key)
    assert got.status == 200 and got.body == body, got
    assert s3.head(BUCKET, key).status == 200
    # A key equal to what a path-normalizing server would resolve it to is a different key.
    normalized = os.path.normpath("/" + key).lstrip("/")
    if normalized != key:
        other = s3.get(BUCKET, normalized)
        assert other.status == 404 or other.body != body, other
    assert_nothing_escaped(data_dir, before, outside_before)
    assert s3.delete(BUCKET, key).status == 204
    assert s3.head(BUCKET, key).status == 404
    assert_nothing_escaped(data_dir, before, outside_before)
    assert_serves(s3)


def test_encoded_slashes_in_wire_path(s3, canaries):
    """/bucket/..%2F..%2Fy on the wire is the key '../../y', and is nothing else."""
    data_dir, before, outside_before = canaries
    raw = f"/{BUCKET}/..%2F..%2Fy"
    # SigV4 for S3 signs the decoded key re-encoded with '/' kept (as botocore sends it), so
    # the signature covers /bucket/../../y whatever escaping travels on the wire.
    signed = f"/{BUCKET}/../../y"
    put = s3.send("PUT", raw, s3.sign("PUT", signed, body=b"encoded"), body=b"encoded")
    assert put.status == 200, put
    got = s3.send("GET", raw, s3.sign("GET", signed))
    assert got.status == 200 and got.body == b"encoded", got
    assert s3.get(BUCKET, "../../y").body == b"encoded"
    assert_nothing_escaped(data_dir, before, outside_before)
    assert_serves(s3)


def test_key_length_limit(s3):
    longest = "k" * 1023 + "/"
    assert len(longest.encode()) == 1024
    put = s3.put(BUCKET, longest, b"long key")
    assert put.status == 200, put
    assert s3.get(BUCKET, longest).body == b"long key"
    too_long = longest + "x"
    resp = s3.put(BUCKET, too_long, b"too long")
    assert_error(resp, 400, "KeyTooLongError")
    # Multi-byte characters count in bytes: 342 three-byte characters are 1026 bytes.
    resp = s3.put(BUCKET, "\u4e2d" * 342, b"too long")
    assert_error(resp, 400, "KeyTooLongError")
    assert_serves(s3)
