"""Failures raise clear exceptions naming the s3:// URI: missing key or bucket
(FileNotFoundError), refused credentials (PermissionError), unreachable endpoint
(S3Exception) — directly, from datasets, and from inside DataLoader workers."""

import socket
import time

import pytest
from torch.utils.data import DataLoader

import torch_support
from conftest import BUCKET
from trainload.torch import (S3Checkpoint, S3ClientConfig, S3Exception, S3FileNotFoundError,
                             S3IterableDataset, S3MapDataset, S3PermissionError)


def test_missing_key(samples, connect):
    uri = f"s3://{BUCKET}/samples/does-not-exist.bin"
    dataset = S3MapDataset.from_objects([uri], transform=torch_support.failing_read, **connect)
    with pytest.raises(S3FileNotFoundError) as caught:
        dataset[0]
    error = caught.value
    assert isinstance(error, FileNotFoundError) and isinstance(error, S3Exception)
    assert uri in str(error) and error.uri == uri and error.code == "NoSuchKey"


def test_missing_key_in_a_dataloader_worker(samples, connect):
    uris = [f"s3://{BUCKET}/samples/000.bin", f"s3://{BUCKET}/samples/gone.bin"]
    dataset = S3IterableDataset.from_objects(uris, transform=torch_support.key_and_bytes,
                                             **connect)
    loader = DataLoader(dataset, batch_size=1, num_workers=1, collate_fn=torch_support.as_list)
    with pytest.raises(S3FileNotFoundError, match=f"s3://{BUCKET}/samples/gone.bin"):
        list(loader)


def test_missing_bucket(server, connect):
    with pytest.raises(S3FileNotFoundError, match="s3://no-such-bucket-here/some/prefix/") as e:
        S3IterableDataset.from_prefix("s3://no-such-bucket-here/some/prefix/", **connect)
    assert e.value.code == "NoSuchBucket"


@pytest.mark.parametrize("variable, value, code", [
    ("AWS_SECRET_ACCESS_KEY", "wrongSecretKey000000000000000000000000000",
     "SignatureDoesNotMatch"),
    ("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000", "InvalidAccessKeyId"),
])
def test_bad_credentials(samples, connect, monkeypatch, variable, value, code):
    monkeypatch.setenv(variable, value)
    uri = f"s3://{BUCKET}/samples/001.bin"
    # A GET carries the S3 error code in its body.
    dataset = S3MapDataset.from_objects([uri], transform=torch_support.failing_read, **connect)
    with pytest.raises(S3PermissionError) as caught:
        dataset[0]
    assert isinstance(caught.value, PermissionError)
    assert uri in str(caught.value) and caught.value.code == code
    # A HEAD (the checkpoint reader's first request) has no body: a 403 is AccessDenied.
    with pytest.raises(PermissionError, match=uri):
        S3Checkpoint(**connect).reader(uri).read()
    with pytest.raises(PermissionError, match=f"s3://{BUCKET}/samples/"):
        S3MapDataset.from_prefix(f"s3://{BUCKET}/samples/", **connect)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_endpoint(connect):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    config = S3ClientConfig(max_attempts=2)
    uri = f"s3://{BUCKET}/samples/001.bin"
    started = time.monotonic()
    with pytest.raises(S3Exception) as caught:
        checkpoint = S3Checkpoint(region="us-east-1", endpoint=endpoint, s3client_config=config)
        checkpoint.reader(uri).read()
    message = str(caught.value)
    assert uri in message and endpoint.split("//")[1] in message and "2 attempts" in message
    assert not isinstance(caught.value, (FileNotFoundError, PermissionError))
    assert time.monotonic() - started < 30
    with pytest.raises(S3Exception, match=f"s3://{BUCKET}/prefix/"):
        S3MapDataset.from_prefix(f"s3://{BUCKET}/prefix/", region="us-east-1", endpoint=endpoint,
                                 s3client_config=config)


def test_invalid_uris_and_settings(connect):
    with pytest.raises(ValueError, match="only s3:// URIs"):
        S3MapDataset.from_prefix("http://example.com/x", **connect)
    with pytest.raises(ValueError, match="names no bucket"):
        S3IterableDataset.from_objects(["s3:///key"], **connect)
    with pytest.raises(ValueError, match="part_size"):
        S3ClientConfig(part_size=1024)
