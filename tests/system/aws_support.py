"""Helpers shared by the AWS CLI and boto3 system tests (and by boto3_workload.py, which imports
this module from both Python interpreters, so it uses only the standard library).

- where the real clients live (AWS CLI v1 and v2, the two boto3 interpreters), failing with a
  clear message when one is missing instead of skipping;
- independent reference implementations of every checksum S3 stores (CRC32, CRC32C, CRC64NVME,
  SHA-1, SHA-256) and of the multipart composite / full-object forms, so a test never checks the
  server's checksum with the client's own code;
- deterministic data and a byte-exact comparison that reports the first differing offset.
"""

import base64
import hashlib
import os
import random
import zlib

AWS_CLI_V1 = "/root/.pyenv/versions/3.11.7/bin/aws"
AWS_CLI_V2 = "/usr/bin/aws"
PYTHON_DEBIAN = "/usr/bin/python3"                          # boto3 1.26 / botocore 1.29
PYTHON_IMAGE = "/root/.pyenv/versions/3.11.7/bin/python3"   # boto3 1.43, new checksum defaults


def require_executable(path, what):
    """Returns `path` if it is an executable file, else fails the test with a clear message."""
    assert os.path.isfile(path) and os.access(path, os.X_OK), (
        f"{what} not found at {path}: the system tests need it installed there "
        f"(see tests/system/aws_support.py)")
    return path


def aws_cli(version):
    """Path of AWS CLI v1 or v2 (version is 1 or 2)."""
    if version == 1:
        return require_executable(AWS_CLI_V1, "AWS CLI v1 (pip awscli under pyenv 3.11.7)")
    return require_executable(AWS_CLI_V2, "AWS CLI v2 (Debian package awscli)")


def boto3_python(name):
    """Interpreter for 'debian' (boto3 1.26) or 'image' (boto3 1.43)."""
    if name == "debian":
        return require_executable(PYTHON_DEBIAN, "Debian python3 with python3-boto3")
    return require_executable(PYTHON_IMAGE, "pyenv python 3.11.7 with boto3 1.43")


# ---------------------------------------------------------------- checksums


def _reflected_table(poly, width):
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & ((1 << width) - 1))
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5, 64)


def _reflected_crc(data, table, width, crc=0):
    mask = (1 << width) - 1
    crc ^= mask
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


try:  # Debian's python3-crcmod has a C extension (fast); the pyenv interpreter does not.
    import crcmod as _crcmod
    _crc32c_fast = _crcmod.mkCrcFun(0x11EDC6F41, initCrc=0, rev=True, xorOut=0xFFFFFFFF)
    _crc64nvme_fast = _crcmod.mkCrcFun(0x1AD93D23594C93659, initCrc=0, rev=True,
                                       xorOut=0xFFFFFFFFFFFFFFFF)
except ImportError:
    _crc32c_fast = _crc64nvme_fast = None


def crc32c(data, crc=0):
    """CRC-32C; `crc` continues a previous result (crc32c(a + b) == crc32c(b, crc32c(a)))."""
    if _crc32c_fast:
        return _crc32c_fast(data, crc)
    return _reflected_crc(data, _CRC32C_TABLE, 32, crc)


def crc64nvme(data, crc=0):
    """CRC-64/NVME (the catalogue's check value for b'123456789' is 0xAE8B14860A799888).
    Without crcmod this is pure Python at 1-5 MB/s: keep the data it checks small."""
    if _crc64nvme_fast:
        return _crc64nvme_fast(data, crc)
    return _reflected_crc(data, _CRC64NVME_TABLE, 64, crc)


assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888
assert crc64nvme(b"6789", crc64nvme(b"12345")) == 0xAE8B14860A799888
assert _reflected_crc(b"123456789", _CRC64NVME_TABLE, 64) == 0xAE8B14860A799888

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


def raw_digest(algorithm, data):
    """The big-endian digest bytes S3 base64-encodes into x-amz-checksum-<algorithm>."""
    if algorithm == "CRC32":
        return (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    if algorithm == "CRC32C":
        return crc32c(data).to_bytes(4, "big")
    if algorithm == "CRC64NVME":
        return crc64nvme(data).to_bytes(8, "big")
    if algorithm == "SHA1":
        return hashlib.sha1(data).digest()
    if algorithm == "SHA256":
        return hashlib.sha256(data).digest()
    raise ValueError(f"unknown checksum algorithm {algorithm}")


def checksum_b64(algorithm, data):
    return base64.b64encode(raw_digest(algorithm, data)).decode()


def composite_checksum_b64(algorithm, parts):
    """S3's COMPOSITE multipart checksum: the checksum of the concatenated raw part checksums,
    base64, then '-<part count>'."""
    joined = b"".join(raw_digest(algorithm, p) for p in parts)
    return f"{checksum_b64(algorithm, joined)}-{len(parts)}"


def multipart_etag(parts):
    md5s = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(md5s).hexdigest()}-{len(parts)}"'


def md5_etag(data):
    return f'"{hashlib.md5(data).hexdigest()}"'


# ---------------------------------------------------------------- data


def random_bytes(size, seed):
    return random.Random(seed).randbytes(size)


def assert_same_bytes(actual, expected, what):
    """Byte-exact comparison whose failure names the first differing offset, not 64 MiB of repr."""
    if actual == expected:
        return
    n = min(len(actual), len(expected))
    first = next((i for i in range(n) if actual[i] != expected[i]), n)
    raise AssertionError(
        f"{what}: {len(actual)} bytes received, {len(expected)} expected; first difference at "
        f"offset {first}")


def assert_same_file(path, expected, what):
    with open(path, "rb") as f:
        assert_same_bytes(f.read(), expected, what)


def rfc2047_utf8(text):
    """How S3 carries a non-ASCII user metadata value in an HTTP header (RFC 2047, 'B' form)."""
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


# Three-level tree for listing tests: 2,600 keys, ASCII-sorted names at each level so the expected
# order is plain sorted() on UTF-8 bytes. Also a key equal to a prefix ("tree/d00") and one past
# the last directory to catch off-by-one delimiter handling.
def listing_keys(root="tree/"):
    keys = []
    for d in range(26):
        for f in range(100):
            keys.append(f"{root}d{d:02d}/f{f:03d}.bin")
    keys.append(f"{root}d00")
    keys.append(f"{root}top.txt")
    keys.append(f"{root}zz/deep/x")
    return sorted(keys, key=lambda k: k.encode())


def expected_listing(keys, prefix="", delimiter=None):
    """(contents, common_prefixes) as S3 computes them, each in UTF-8 byte order."""
    contents, prefixes = [], set()
    for k in keys:
        if not k.startswith(prefix):
            continue
        rest = k[len(prefix):]
        if delimiter and delimiter in rest:
            prefixes.add(prefix + rest[:rest.index(delimiter) + len(delimiter)])
        else:
            contents.append(k)
    order = lambda k: k.encode()
    return sorted(contents, key=order), sorted(prefixes, key=order)
