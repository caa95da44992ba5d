"""S3Reader (sequential and range-based) and S3Writer as file objects: exact bytes for every
read/readinto/seek pattern, and real consumers (numpy, PIL, torch.load / torch.save)."""

import io
import os
import random
import socket
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import BUCKET, MiB, payload
from trainload.torch import (S3Checkpoint, S3Client, S3ReaderConstructor, S3Writer,
                             SequentialS3Reader, RangedS3Reader)
from trainload.torch._client import ObjectEntry

CONSTRUCTORS = {
    "sequential": S3ReaderConstructor.sequential(),
    "range_based": S3ReaderConstructor.range_based(),
    "range_64k": S3ReaderConstructor.range_based(64 * 1024),
    "range_unbuffered": S3ReaderConstructor.range_based(0),
}


@pytest.fixture(scope="module")
def client(server, connect):
    return S3Client(connect["region"], connect["endpoint"])


@pytest.fixture(scope="module")
def objects(s3, bucket):
    data = {"rw/small": payload(1, 70000), "rw/large": payload(2, 19 * MiB + 17),
            "rw/empty": b""}
    for key, body in data.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return data


def open_reader(client, key, mode, known_size=None):
    info = ObjectEntry(BUCKET, key, known_size) if known_size is not None else None
    return client.get_object(BUCKET, key, object_info=info, reader_constructor=CONSTRUCTORS[mode])


@pytest.mark.parametrize("mode", list(CONSTRUCTORS))
@pytest.mark.parametrize("key", ["rw/small", "rw/large", "rw/empty"])
def test_random_reads_seeks_and_readinto(client, objects, mode, key):
    source = objects[key]
    reader = open_reader(client, key, mode)
    assert reader.readable() and reader.seekable() and not reader.writable()
    assert (reader.bucket, reader.key) == (BUCKET, key)
    rng = random.Random(hash((mode, key)) & 0xFFFF)
    position = 0
    for step in range(60):
        op = rng.choice(["read", "readinto", "seek", "seek_end", "seek_cur", "numpy"])
        size = rng.choice([0, 1, 7, 4096, 65536, 300000, 9 * MiB])
        if op == "read":
            got = reader.read(size)
            assert got == source[position:position + size], (step, op, position, size)
            position += len(got)
        elif op == "readinto":
            buffer = bytearray(size)
            n = reader.readinto(buffer)
            assert buffer[:n] == source[position:position + size], (step, op, position, size)
            position += n
        elif op == "numpy":
            array = np.zeros(size // 4, dtype=np.float32)  # readinto a buffer of 4-byte items
            n = reader.readinto(array)
            assert array.tobytes()[:n] == source[position:position + array.nbytes]
            position += n
        elif op == "seek":
            position = rng.randint(0, len(source) + 10)
            assert reader.seek(position) == position
        elif op == "seek_end":
            position = max(0, len(source) - rng.randint(0, 5000))
            assert reader.seek(position - len(source), io.SEEK_END) == position
        else:
            delta = rng.randint(-position, 5000)
            position += delta
            assert reader.seek(delta, io.SEEK_CUR) == position
        assert reader.tell() == position
    reader.seek(0)
    assert reader.read() == source
    assert reader.read() == b"" and reader.read(10) == b""
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read(1)


@pytest.mark.parametrize("mode", list(CONSTRUCTORS))
def test_known_size_skips_head_and_reads_exact(client, objects, mode):
    reader = open_reader(client, "rw/large", mode, known_size=len(objects["rw/large"]))
    assert reader.read() == objects["rw/large"]


def test_sequential_readinto_large_buffer_and_readline(client, s3, bucket):
    text = b"".join(b"line %d\n" % i for i in range(20000))
    s3.put_object(Bucket=bucket, Key="rw/text", Body=text)
    reader = open_reader(client, "rw/text", "sequential")
    assert reader.readline() == b"line 0\n"
    assert reader.readlines()[-1] == b"line 19999\n"
    reader = open_reader(client, "rw/text", "range_64k")
    assert list(reader)[:2] == [b"line 0\n", b"line 1\n"]


def test_numpy_load(client, s3, bucket):
    array = np.random.default_rng(1).standard_normal((300, 257))
    buffer = io.BytesIO()
    np.save(buffer, array)
    s3.put_object(Bucket=bucket, Key="rw/array.npy", Body=buffer.getvalue())
    for mode in CONSTRUCTORS:
        assert np.array_equal(np.load(open_reader(client, "rw/array.npy", mode)), array)


def test_pil_open(client, s3, bucket):
    pixels = np.random.default_rng(2).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    s3.put_object(Bucket=bucket, Key="rw/image.png", Body=buffer.getvalue())
    for mode in CONSTRUCTORS:
        with Image.open(open_reader(client, "rw/image.png", mode)) as image:
            assert image.size == (48, 64)
            assert np.array_equal(np.asarray(image), pixels)


def test_torch_save_to_writer_and_load_from_each_reader(client, s3, bucket):
    state = {"weights": torch.randn(1000, 600), "step": 12, "ids": torch.arange(10)}
    with client.put_object(BUCKET, "rw/state.pt") as writer:
        assert isinstance(writer, S3Writer) and writer.writable()
        torch.save(state, writer)
        written = writer.tell()
    assert writer.etag
    body = s3.get_object(Bucket=bucket, Key="rw/state.pt")["Body"].read()
    assert len(body) == written
    assert torch.equal(torch.load(io.BytesIO(body))["weights"], state["weights"])
    for mode in CONSTRUCTORS:
        loaded = torch.load(open_reader(client, "rw/state.pt", mode))
        assert torch.equal(loaded["weights"], state["weights"]) and loaded["step"] == 12


def test_writer_streams_many_writes_of_all_sizes(client, s3, bucket):
    rng = random.Random(3)
    pieces = [rng.randbytes(rng.choice([1, 100, 5000, 300000, 3 * MiB])) for _ in range(60)]
    writer = client.put_object(BUCKET, "rw/streamed")
    for piece in pieces:
        assert writer.write(memoryview(piece)) == len(piece)
    writer.write(np.arange(1000, dtype=np.int32))  # any buffer, counted in bytes
    writer.close()
    expected = b"".join(pieces) + np.arange(1000, dtype=np.int32).tobytes()
    assert s3.get_object(Bucket=bucket, Key="rw/streamed")["Body"].read() == expected
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"more")


def test_failed_or_abandoned_writer_creates_no_object(client, s3, bucket):
    def exists(key):
        try:
            s3.head_object(Bucket=bucket, Key=key)
            return True
        except s3.exceptions.ClientError:
            return False

    with pytest.raises(RuntimeError):
        with client.put_object(BUCKET, "rw/aborted") as writer:
            writer.write(payload(4, 12 * MiB))
            raise RuntimeError("training crashed mid-save")
    assert not exists("rw/aborted")

    writer = client.put_object(BUCKET, "rw/dropped")
    writer.write(payload(5, 1000))
    del writer  # garbage-collected without close(): aborted, not committed
    assert not exists("rw/dropped")

    writer = client.put_object(BUCKET, "rw/explicit-abort")
    writer.write(b"abc")
    writer.abort()
    assert not exists("rw/explicit-abort")


def test_checkpoint_reader_fetches_whole_object_in_parallel(connect, objects):
    checkpoint = S3Checkpoint(**connect)
    reader = checkpoint.reader(f"s3://{BUCKET}/rw/large")
    assert isinstance(reader, SequentialS3Reader)
    assert reader.read(10) == objects["rw/large"][:10]
    assert reader.read() == objects["rw/large"][10:]


def test_blocking_calls_release_the_gil():
    """While one thread waits in a native GET on a server that never answers (a socket that
    listens but never accepts), other Python threads keep running; closing the socket then
    fails the GET with an exception naming the URI."""
    from trainload import _trainload
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    endpoint = "http://127.0.0.1:%d" % listener.getsockname()[1]
    native = _trainload.Client(endpoint=endpoint, region="us-east-1", max_attempts=1,
                               access_key_id="AKIAEXAMPLE000000000",
                               secret_access_key="secret0000000000000000000000000000000000")
    outcome = []

    def blocked_get():
        try:
            native.get(BUCKET, "never/answered")
        except Exception as error:  # expected once the socket closes
            outcome.append(error)

    thread = threading.Thread(target=blocked_get)
    thread.start()
    try:
        time.sleep(0.2)  # the GET is now waiting for a response
        steps = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            time.sleep(0.01)
            steps += 1
        assert thread.is_alive(), "the GET ended early: " + repr(outcome)
        assert steps >= 20, steps  # this thread ran all along
    finally:
        listener.close()
        thread.join(60)
    assert not thread.is_alive()
    assert len(outcome) == 1 and f"s3://{BUCKET}/never/answered" in str(outcome[0])


def test_client_survives_fork(client, objects):
    """A child forked after the parent used its client gets a fresh one; both keep working."""
    assert client.fetch(ObjectEntry(BUCKET, "rw/small")) == objects["rw/small"]
    parent_native = client.native
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        ok = False
        try:
            ok = (client.fetch(ObjectEntry(BUCKET, "rw/small")) == objects["rw/small"]
                  and client.native is not parent_native
                  and client.native.owner_pid == os.getpid())
            try:
                parent_native.head(BUCKET, "rw/small")
                ok = False
            except RuntimeError as error:
                ok = ok and "fork" in str(error)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert client.native is parent_native
    assert client.fetch(ObjectEntry(BUCKET, "rw/large")) == objects["rw/large"]


def test_ranged_reader_unbuffered_reads_land_in_caller_buffer(client, objects):
    reader = open_reader(client, "rw/large", "range_unbuffered")
    assert isinstance(reader, RangedS3Reader)
    target = np.empty(len(objects["rw/large"]), dtype=np.uint8)
    view = memoryview(target)
    done = 0
    while done < len(target):
        done += reader.readinto(view[done:done + 5 * MiB])
    assert target.tobytes() == objects["rw/large"]


def test_whole_object_get_into_a_buffer_of_the_listed_size(client, objects):
    native = client.native
    for key, source in objects.items():
        assert native.get(BUCKET, key, size=len(source)) == source
    # A listing that said less than the object holds: an error naming both sizes, never a
    # silently cut object; one that said more: exactly the object's bytes.
    small = objects["rw/small"]
    with pytest.raises(Exception) as raised:
        native.get(BUCKET, "rw/small", size=len(small) - 1)
    assert f"the object is {len(small)} bytes" in str(raised.value)
    assert native.get(BUCKET, "rw/small", size=len(small) + 100) == small
    # fetch() checks the listed size against what arrived.
    with pytest.raises(Exception, match="changed"):
        client.fetch(ObjectEntry(BUCKET, "rw/small", len(small) + 100))
