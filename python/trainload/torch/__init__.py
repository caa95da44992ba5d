"""trainload.torch: the PyTorch connector — a drop-in for Amazon's s3torchconnector (same class
and argument names: switching is a one-line import change) over trainload's C++ client.

    from trainload.torch import S3IterableDataset, S3MapDataset, S3Checkpoint, S3ClientConfig

See docs/pytorch.md.
"""

from .._errors import S3Exception, S3FileNotFoundError, S3PermissionError
from .._trainload import ObjectInfo
from ._client import ObjectEntry, S3Client
from ._config import S3ClientConfig
from ._manifest import Manifest
from ._uri import parse_s3_uri
from .s3checkpoint import S3Checkpoint
from .s3iterable_dataset import S3IterableDataset
from .s3map_dataset import S3MapDataset
from .s3reader import RangedS3Reader, S3Reader, S3ReaderConstructor, SequentialS3Reader
from .s3writer import S3Writer
from .. import __version__

__all__ = [
    "S3ClientConfig", "S3Client", "S3Exception", "S3FileNotFoundError", "S3PermissionError",
    "S3Reader", "S3ReaderConstructor", "SequentialS3Reader", "RangedS3Reader", "S3Writer",
    "S3MapDataset", "S3IterableDataset", "S3Checkpoint", "Manifest", "ObjectEntry", "ObjectInfo",
    "parse_s3_uri", "__version__",
]
