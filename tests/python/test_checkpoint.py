"""S3Checkpoint: torch.save / torch.load of a real model through S3, and
torch.distributed.checkpoint support (or a clear statement that this torch lacks it)."""

import importlib
import time

import pytest
import torch
import torchvision

from conftest import BUCKET, MiB
from trainload.torch import S3Checkpoint, S3FileNotFoundError


def assert_same_state(loaded, expected):
    assert list(loaded) == list(expected)
    for name, tensor in expected.items():
        assert loaded[name].dtype == tensor.dtype and loaded[name].shape == tensor.shape, name
        assert torch.equal(loaded[name], tensor), name


def test_resnet18_state_dict_round_trip(bucket, connect, s3):
    model = torchvision.models.resnet18(weights=None)
    state = model.state_dict()
    checkpoint = S3Checkpoint(**connect)
    uri = f"s3://{BUCKET}/ckpt/resnet18.pt"
    with checkpoint.writer(uri) as writer:
        torch.save(state, writer)
    size = s3.head_object(Bucket=bucket, Key="ckpt/resnet18.pt")["ContentLength"]
    assert size > 40 * MiB  # 11.7 M parameters: a multipart upload, a parallel load
    with checkpoint.reader(uri) as reader:
        loaded = torch.load(reader)
    assert_same_state(loaded, state)
    restored = torchvision.models.resnet18(weights=None)
    restored.load_state_dict(loaded)
    restored.eval()
    model.eval()
    sample = torch.randn(1, 3, 64, 64)
    assert torch.equal(restored(sample), model(sample))


def test_large_checkpoint_load_is_not_slower_than_save(bucket, connect):
    state = {f"layer{i}": torch.randn(4 * MiB // 4) for i in range(24)}  # 96 MiB
    checkpoint = S3Checkpoint(**connect)
    uri = f"s3://{BUCKET}/ckpt/big.pt"
    started = time.monotonic()
    with checkpoint.writer(uri) as writer:
        torch.save(state, writer)
    save_seconds = time.monotonic() - started
    started = time.monotonic()
    loaded = torch.load(checkpoint.reader(uri))
    load_seconds = time.monotonic() - started
    assert_same_state(loaded, state)
    # Generous bound: loads fetch parts in parallel, so they must not fall far behind saves.
    assert load_seconds < 2 * save_seconds + 1, (load_seconds, save_seconds)


def test_missing_checkpoint_names_the_uri(bucket, connect):
    uri = f"s3://{BUCKET}/ckpt/never-saved.pt"
    with pytest.raises(S3FileNotFoundError, match="s3://torch-data/ckpt/never-saved.pt"):
        torch.load(S3Checkpoint(**connect).reader(uri))
    with pytest.raises(ValueError, match="s3://"):
        S3Checkpoint(**connect).writer("/local/path.pt")


def test_distributed_checkpoint_support_is_stated():
    from trainload.torch import dcp
    try:
        importlib.import_module("torch.distributed.checkpoint")
        has_dcp = True
    except ImportError:
        has_dcp = False
    if has_dcp:
        pytest.fail(f"torch {torch.__version__} has torch.distributed.checkpoint: trainload's "
                    "S3StorageWriter/S3StorageReader adapter must be implemented and tested here")
    assert not dcp.is_available()
    reason = dcp.unavailable_reason()
    assert "torch.distributed.checkpoint" in reason and torch.__version__ in reason
    assert "S3Checkpoint" in reason
    for cls in (dcp.S3StorageWriter, dcp.S3StorageReader):
        with pytest.raises(dcp.DcpUnavailableError, match="no torch.distributed.checkpoint"):
            cls(region="us-east-1", path=f"s3://{BUCKET}/dcp/")
        assert issubclass(dcp.DcpUnavailableError, ImportError)
