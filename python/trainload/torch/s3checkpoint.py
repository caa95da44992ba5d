"""S3Checkpoint: torch.save / torch.load straight to and from S3.

    checkpoint = S3Checkpoint(region="us-east-1", endpoint="http://127.0.0.1:9000")
    with checkpoint.writer("s3://ckpt/epoch-3.pt") as f:
        torch.save(model.state_dict(), f)
    with checkpoint.reader("s3://ckpt/epoch-3.pt") as f:
        state = torch.load(f)

Saves stream as a multipart upload with parts in flight in parallel; loads fetch the whole object
as parallel ranged GETs into one buffer (pinned to its ETag), so a load is as fast as a save.
"""

from typing import Optional

from ._client import ObjectEntry, S3Client
from ._config import S3ClientConfig
from ._uri import parse_s3_uri
from .s3reader import SequentialS3Reader
from .s3writer import S3Writer


class S3Checkpoint:
    def __init__(self, region: Optional[str] = None, endpoint: Optional[str] = None,
                 s3client_config: Optional[S3ClientConfig] = None):
        self.region = region
        self.endpoint = endpoint
        self._client = S3Client(region, endpoint, s3client_config)

    def reader(self, s3_uri: str) -> SequentialS3Reader:
        """A reader of the whole object, fetched in parallel on first access."""
        bucket, key = _object(s3_uri)
        return SequentialS3Reader(self._client, ObjectEntry(bucket, key), whole_object=True)

    def writer(self, s3_uri: str) -> S3Writer:
        """A writer; the object appears when it is closed without error."""
        bucket, key = _object(s3_uri)
        return S3Writer(self._client, bucket, key)


def _object(uri: str):
    bucket, key = parse_s3_uri(uri)
    if not key:
        raise ValueError(f"{uri!r} names a bucket, not an object")
    return bucket, key
