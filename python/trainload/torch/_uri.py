"""s3:// URI parsing."""

from typing import Tuple


def parse_s3_uri(uri: str) -> Tuple[str, str]:
    """"s3://bucket/some/key" -> ("bucket", "some/key"); the key may be empty (a bucket or the
    whole bucket as a prefix). Raises ValueError naming the URI for anything else."""
    if not isinstance(uri, str):
        raise ValueError(f"expected an s3:// URI string, got {type(uri).__name__}: {uri!r}")
    if not uri.startswith("s3://"):
        raise ValueError(f"only s3:// URIs are supported: {uri!r}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"the URI names no bucket: {uri!r}")
    return bucket, key


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}"
