"""torch.distributed.checkpoint (DCP) storage for S3: S3StorageWriter / S3StorageReader.

DCP's public storage API (torch.distributed.checkpoint with StorageWriter / StorageReader and a
pluggable file system) appeared after torch 1.13. torch 1.13 only ships a prototype under
torch.distributed._shard.checkpoint, and with Python 3.11 (Debian 12) that package does not even
import (its dataclasses use mutable defaults, which Python 3.11 rejects). So on such an
installation this module says so instead of pretending: is_available() is False,
unavailable_reason() explains why, and constructing S3StorageWriter / S3StorageReader raises
DcpUnavailableError with that explanation. Use S3Checkpoint (torch.save / torch.load) there.
"""

import importlib
from typing import Optional

import torch


class DcpUnavailableError(ImportError):
    """The installed torch has no usable torch.distributed.checkpoint."""


def _probe() -> Optional[str]:
    """None when the DCP storage API can be used, else the reason it cannot."""
    try:
        importlib.import_module("torch.distributed.checkpoint")  # torch >= 2.0
        return (f"trainload's DCP storage adapter is not implemented for torch {torch.__version__} "
                "yet; use S3Checkpoint (torch.save / torch.load)")
    except ImportError:
        pass
    reason = (f"torch {torch.__version__} has no torch.distributed.checkpoint "
              "(it appeared in torch 2.0)")
    try:
        importlib.import_module("torch.distributed._shard.checkpoint")  # the 1.13 prototype
    except Exception as error:  # ImportError, or ValueError from its dataclasses on 3.11
        reason += (f", and its 1.13 prototype torch.distributed._shard.checkpoint cannot be "
                   f"imported here ({type(error).__name__}: {error})")
    else:
        reason += (", only the prototype torch.distributed._shard.checkpoint, which trainload "
                   "does not target")
    return reason + "; use S3Checkpoint (torch.save / torch.load) instead"


_UNAVAILABLE = _probe()


def is_available() -> bool:
    return _UNAVAILABLE is None


def unavailable_reason() -> Optional[str]:
    return _UNAVAILABLE


class _Unavailable:
    def __init__(self, *args, **kwargs):
        raise DcpUnavailableError(f"{type(self).__name__}: {_UNAVAILABLE}")


class S3StorageWriter(_Unavailable):
    """DCP StorageWriter for an s3:// path (needs torch.distributed.checkpoint)."""


class S3StorageReader(_Unavailable):
    """DCP StorageReader for an s3:// path (needs torch.distributed.checkpoint)."""
