"""A small raw-HTTP S3 client for adversarial system tests.

Requests are built by hand and signed with botocore's own SigV4 signers (S3SigV4Auth for the
Authorization header, S3SigV4QueryAuth for presigned URLs) on an AWSRequest, so a test can then
tamper with any part of the result: the secret, the access key id, the signing time, the payload
hash, any header, the query, the body. aws-chunked bodies (signed chunks, trailers) are framed
and signed here. `send_raw` writes arbitrary bytes on a fresh TCP socket for malformed HTTP.

Nothing here retries or fixes anything up: what the test builds is exactly what goes on the wire.
"""

import base64
import datetime
import hashlib
import hmac
import http.client
import re
import socket
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SIGNED_STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_STREAMING_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_STREAMING_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def quote_key(key):
    """The wire form of a key in a path: every byte but unreserved ones and '/' escaped."""
    return urllib.parse.quote(key, safe="/~")


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def sha256_b64(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class Response:
    """A complete HTTP response: status, lowercased headers, body bytes."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def error_code(self):
        """<Code> of an S3 error document, or None."""
        m = re.search(rb"<Code>([^<]*)</Code>", self.body)
        return m.group(1).decode() if m else None

    def xml(self):
        return ET.fromstring(self.body)

    def __repr__(self):
        return (f"Response({self.status} {self.reason}, headers={self.headers}, "
                f"body={self.body[:600]!r})")


class _HeaderSigner(S3SigV4Auth):
    """S3SigV4Auth with the signing time and the x-amz-content-sha256 value chosen by the caller
    (botocore otherwise takes the wall clock and hashes the body itself)."""

    def __init__(self, credentials, region, when, payload_hash):
        super().__init__(credentials, "s3", region)
        self._when = when
        self._payload_hash = payload_hash

    def payload(self, request):
        if self._payload_hash is not None:
            return self._payload_hash
        return super().payload(request)

    def add_auth(self, request):
        # The steps of SigV4Auth.add_auth, with our timestamp instead of utcnow().
        request.context["timestamp"] = self._when.strftime(AMZ_DATE_FORMAT)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)
        return signature


class _QuerySigner(S3SigV4QueryAuth):
    def __init__(self, credentials, region, when, expires):
        super().__init__(credentials, "s3", region, expires=expires)
        self._when = when

    def add_auth(self, request):
        request.context["timestamp"] = self._when.strftime(AMZ_DATE_FORMAT)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)
        return signature


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def signing_key(secret, date, region, service="s3"):
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


class RawS3:
    """Signs and sends S3 requests over plain HTTP to one server."""

    def __init__(self, host, port, access_key, secret_key, region="us-east-1", timeout=60):
        self.host = host
        self.port = port
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.timeout = timeout

    @classmethod
    def for_server(cls, server, **kwargs):
        return cls("127.0.0.1", server.port, server.access_key, server.secret_key, **kwargs)

    @property
    def netloc(self):
        return f"{self.host}:{self.port}"

    # Building and signing.

    def target(self, bucket=None, key=None, raw_path=None, query=None):
        """A request-target: raw_path verbatim, else /bucket/quoted-key; query is a list of
        (name, value) pairs (value None means a bare `name`) or a raw string."""
        if raw_path is None:
            raw_path = "/"
            if bucket:
                raw_path += bucket
                if key is not None:
                    raw_path += "/" + quote_key(key)
        if query:
            if isinstance(query, str):
                raw_query = query
            else:
                parts = []
                for name, value in query:
                    if value is None:
                        parts.append(urllib.parse.quote(name, safe="-_.~"))
                    else:
                        parts.append(urllib.parse.quote(name, safe="-_.~") + "=" +
                                     urllib.parse.quote(str(value), safe="-_.~"))
                raw_query = "&".join(parts)
            return raw_path + "?" + raw_query
        return raw_path

    def sign(self, method, target, headers=None, body=b"", payload_hash=None, when=None,
             access_key=None, secret_key=None, region=None):
        """Returns the headers (a list of (name, value)) of a header-signed request."""
        headers = dict(headers or {})
        headers.setdefault("Host", self.netloc)
        request = AWSRequest(method=method, url=f"http://{self.netloc}{target}", headers=headers,
                             data=body if isinstance(body, (bytes, bytearray)) else b"")
        creds = Credentials(access_key or self.access_key, secret_key or self.secret_key)
        _HeaderSigner(creds, region or self.region, when or utcnow(),
                      payload_hash).add_auth(request)
        return list(request.headers.items())

    def presign(self, method, target, expires=3600, when=None, access_key=None, secret_key=None):
        """A presigned request-target (path and query) for `target`."""
        request = AWSRequest(method=method, url=f"http://{self.netloc}{target}",
                             headers={"Host": self.netloc})
        creds = Credentials(access_key or self.access_key, secret_key or self.secret_key)
        _QuerySigner(creds, self.region, when or utcnow(), expires).add_auth(request)
        parts = urllib.parse.urlsplit(request.url)
        return parts.path + ("?" + parts.query if parts.query else "")

    # Sending.

    def send(self, method, target, headers, body=b"", content_length=None):
        """Sends exactly these headers (plus Content-Length when there is a body or it is
        given) and body; returns the Response."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            names = {name.lower() for name, _ in headers}
            for name, value in headers:
                conn.putheader(name, value)
            if "content-length" not in names and "transfer-encoding" not in names:
                if content_length is None and (body or method in ("PUT", "POST")):
                    content_length = len(body)
                if content_length is not None:
                    conn.putheader("Content-Length", str(content_length))
            conn.endheaders()
            if body:
                conn.send(body)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.reason,
                            {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def request(self, method, bucket=None, key=None, query=None, headers=None, body=b"",
                raw_path=None, payload_hash=None, when=None, access_key=None, secret_key=None,
                region=None, sign=True):
        """Builds, signs (unless sign=False) and sends one request."""
        target = self.target(bucket, key, raw_path, query)
        if sign:
            signed = self.sign(method, target, headers, body, payload_hash, when, access_key,
                               secret_key, region)
        else:
            signed = [("Host", self.netloc)] + list((headers or {}).items())
        return self.send(method, target, signed, body)

    # Common operations (signed correctly), for setup and checks.

    def create_bucket(self, bucket):
        return self.request("PUT", bucket)

    def put(self, bucket, key, body, headers=None):
        return self.request("PUT", bucket, key, body=body, headers=headers)

    def get(self, bucket, key, headers=None, query=None):
        return self.request("GET", bucket, key, headers=headers, query=query)

    def head(self, bucket, key):
        return self.request("HEAD", bucket, key)

    def delete(self, bucket, key):
        return self.request("DELETE", bucket, key)

    def create_upload(self, bucket, key):
        resp = self.request("POST", bucket, key, query=[("uploads", None)])
        assert resp.status == 200, resp
        return resp.xml().find("{*}UploadId").text

    def upload_part(self, bucket, key, upload_id, number, body):
        resp = self.request("PUT", bucket, key, body=body,
                            query=[("partNumber", number), ("uploadId", upload_id)])
        assert resp.status == 200, resp
        return resp.header("etag")

    def complete_upload(self, bucket, key, upload_id, parts=None, raw_xml=None):
        if raw_xml is None:
            raw_xml = complete_xml(parts)
        body = raw_xml.encode() if isinstance(raw_xml, str) else raw_xml
        return self.request("POST", bucket, key, body=body, query=[("uploadId", upload_id)])

    def abort_upload(self, bucket, key, upload_id):
        return self.request("DELETE", bucket, key, query=[("uploadId", upload_id)])

    def list_keys(self, bucket, prefix=""):
        """Every key of a bucket (ListObjectsV2, all pages), with sizes and ETags."""
        out = {}
        token = None
        for _ in range(10000):
            query = [("list-type", "2"), ("prefix", prefix)]
            if token:
                query.append(("continuation-token", token))
            resp = self.request("GET", bucket, query=query)
            assert resp.status == 200, resp
            root = resp.xml()
            for c in root.findall("{*}Contents"):
                out[c.find("{*}Key").text] = (int(c.find("{*}Size").text),
                                              c.find("{*}ETag").text.strip('"'))
            if root.find("{*}IsTruncated").text != "true":
                return out
            token = root.find("{*}NextContinuationToken").text
        raise AssertionError("listing did not end")

    def list_parts(self, bucket, key, upload_id):
        """{part number: (size, etag without quotes)} of an upload (all pages)."""
        out = {}
        marker = 0
        for _ in range(10000):
            resp = self.request("GET", bucket, key, query=[("uploadId", upload_id),
                                                           ("part-number-marker", marker)])
            assert resp.status == 200, resp
            root = resp.xml()
            for p in root.findall("{*}Part"):
                out[int(p.find("{*}PartNumber").text)] = (int(p.find("{*}Size").text),
                                                          p.find("{*}ETag").text.strip('"'))
            if root.find("{*}IsTruncated").text != "true":
                return out
            marker = int(root.find("{*}NextPartNumberMarker").text)
        raise AssertionError("part listing did not end")

    def list_uploads(self, bucket):
        """(key, upload_id) of every in-progress multipart upload (all pages)."""
        out = []
        key_marker, id_marker = None, None
        for _ in range(10000):
            query = [("uploads", None)]
            if key_marker is not None:
                query += [("key-marker", key_marker), ("upload-id-marker", id_marker)]
            resp = self.request("GET", bucket, query=query)
            assert resp.status == 200, resp
            root = resp.xml()
            for u in root.findall("{*}Upload"):
                out.append((u.find("{*}Key").text, u.find("{*}UploadId").text))
            if root.find("{*}IsTruncated").text != "true":
                return out
            key_marker = root.find("{*}NextKeyMarker").text
            id_marker = root.find("{*}NextUploadIdMarker").text
        raise AssertionError("upload listing did not end")

    # aws-chunked bodies.

    def chunked_put(self, bucket, key, data, chunk_size=64 * 1024, mode=SIGNED_STREAMING,
                    trailer=None, corrupt_chunk=None, when=None, extra_headers=None):
        """PUTs `data` as an aws-chunked body.

        mode: SIGNED_STREAMING, SIGNED_STREAMING_TRAILER or UNSIGNED_STREAMING_TRAILER.
        trailer: (header-name, value) sent as the trailing checksum (declared in x-amz-trailer).
        corrupt_chunk: index of a chunk whose signature is replaced by a wrong (well-formed) one.
        """
        when = when or utcnow()
        target = self.target(bucket, key)
        headers = {"Content-Encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(len(data))}
        if trailer:
            headers["x-amz-trailer"] = trailer[0]
        headers.update(extra_headers or {})
        chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
        # Content-Length (the framed size) is sent but not signed, as botocore does.
        signed = self.sign("PUT", target, headers, payload_hash=mode, when=when)
        seed = re.search(r"Signature=([0-9a-f]{64})", dict(signed)["Authorization"]).group(1)
        amz_date = when.strftime(AMZ_DATE_FORMAT)
        scope = f"{amz_date[:8]}/{self.region}/s3/aws4_request"
        key_bytes = signing_key(self.secret_key, amz_date[:8], self.region)

        def hmac_hex(text):
            return hmac.new(key_bytes, text.encode(), hashlib.sha256).hexdigest()

        body = bytearray()
        previous = seed
        for index, chunk in enumerate(chunks):
            if mode == UNSIGNED_STREAMING_TRAILER:
                body += f"{len(chunk):x}\r\n".encode()
            else:
                sig = hmac_hex("\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous,
                                          EMPTY_SHA256, hashlib.sha256(chunk).hexdigest()]))
                previous = sig
                if corrupt_chunk == index:
                    sig = hmac_hex("not this chunk " + str(index))
                body += f"{len(chunk):x};chunk-signature={sig}\r\n".encode()
            if chunk:
                body += chunk + b"\r\n"
        if mode == SIGNED_STREAMING:
            body += b"\r\n"
        else:
            if trailer:
                line = f"{trailer[0]}:{trailer[1]}"
                body += line.encode() + b"\r\n"
            if mode == SIGNED_STREAMING_TRAILER:
                canonical = (f"{trailer[0]}:{trailer[1]}\n" if trailer else "")
                sig = hmac_hex("\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                                          hashlib.sha256(canonical.encode()).hexdigest()]))
                body += f"x-amz-trailer-signature:{sig}\r\n".encode()
            body += b"\r\n"
        return self.send("PUT", target, signed, bytes(body))

    # Raw sockets.

    def connect(self):
        return socket.create_connection((self.host, self.port), timeout=self.timeout)

    def send_raw(self, data, read_timeout=10):
        """Writes `data` on a new connection and reads until the server closes it or
        `read_timeout` passes with nothing received. Returns all bytes received."""
        with self.connect() as sock:
            sock.sendall(data)
            sock.settimeout(read_timeout)
            out = bytearray()
            try:
                while True:
                    piece = sock.recv(65536)
                    if not piece:
                        break
                    out += piece
            except (socket.timeout, ConnectionResetError):
                pass
            return bytes(out)


def complete_xml(parts):
    """CompleteMultipartUpload document for [(number, etag), ...]."""
    items = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
                    for n, etag in parts)
    return f"<CompleteMultipartUpload>{items}</CompleteMultipartUpload>"


def parse_status_line(raw):
    """(status, headers dict, body) of the first response in raw bytes."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    assert m, f"not an HTTP response: {raw[:200]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(m.group(1)), headers, body
