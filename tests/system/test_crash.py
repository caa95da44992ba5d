"""Crash safety of `trainload server --fsync on` under concurrent writes, with real SIGKILLs.

Worker threads overwrite a fixed set of keys with PUTs (0 B to 8 MiB) and multipart uploads
(several 5 MiB parts); every version's bytes are derived from (key, version), so the version a
key holds can be identified from its content and anything torn or mixed is detected. At a random
moment after some writes were acknowledged the server is SIGKILLed and restarted on the same data
directory; then:

  - every key holds one complete version, byte for byte; ETag = MD5 for single PUTs and
    MD5-of-part-MD5s for multipart objects;
  - a write acknowledged (200) before the kill is there, or a later version of that key
    (each key has one writer thread, so versions of a key are issued in order);
  - <data>/tmp/ is empty right after the restart;
  - once in-progress uploads are aborted and the background sweep has run, objects/ holds
    exactly the data files the listing implies (one per non-empty single-part object, one per
    part of a multipart object).

The kill/restart cycle runs several times over the same directory.
"""

import hashlib
import http.client
import os
import random
import threading
import time

from raw_s3 import RawS3
from trainload_server import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, TrainloadServer

BUCKET = "crash"
MIB = 1 << 20
CYCLES = 5
PUT_THREADS = 6
MPU_THREADS = 2
PUT_KEYS = 18          # PUT_THREADS owners, 3 keys each
MPU_KEYS = 4           # MPU_THREADS owners, 2 keys each
PUTS_PER_CYCLE = 100
PART_SIZE = 5 * MIB
SIZES = [0, 1, 17, 4096, 65536 + 7, MIB, 3 * MIB + 5, 8 * MIB]
SIZE_WEIGHTS = [2, 2, 2, 3, 3, 3, 2, 1]


def put_content(key, version):
    rng = random.Random(f"put:{key}:{version}")
    size = rng.choices(SIZES, SIZE_WEIGHTS)[0]
    return rng.randbytes(size)


def mpu_parts(key, version):
    rng = random.Random(f"mpu:{key}:{version}")
    count = rng.choice([2, 3])
    parts = [random.Random(f"mpu:{key}:{version}:{n}").randbytes(PART_SIZE)
             for n in range(1, count)]
    parts.append(rng.randbytes(rng.choice([1, 1000, MIB + 3])))
    return parts


def mpu_etag(parts):
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f"{hashlib.md5(digests).hexdigest()}-{len(parts)}"


class Ledger:
    """What the workers issued and what the server acknowledged, per key, over all cycles."""

    def __init__(self):
        self.lock = threading.Lock()
        self.issued = {}    # key -> highest version sent (complete or not)
        self.acked = {}     # key -> highest version acknowledged with 200
        self.expected = {}  # (key, version) -> (md5 hex, size, etag)
        self.uploads = {}   # upload id -> [key, version, acknowledged part numbers, completed]
        self.aborted = set()
        self.completions = 0

    def next_version(self, key):
        with self.lock:
            self.issued[key] = self.issued.get(key, 0) + 1
            return self.issued[key]

    def describe(self, key, version, md5, size, etag):
        with self.lock:
            self.expected[(key, version)] = (md5, size, etag)

    def ack(self, key, version):
        with self.lock:
            assert version > self.acked.get(key, 0), (key, version, self.acked.get(key))
            self.acked[key] = version
            self.completions += 1


NETWORK_ERRORS = (OSError, http.client.HTTPException)


def put_worker(s3, ledger, keys, budget, stop):
    rng = random.Random()
    while not stop.is_set():
        with budget["lock"]:
            if budget["left"] <= 0:
                return
            budget["left"] -= 1
        key = rng.choice(keys)
        version = ledger.next_version(key)
        body = put_content(key, version)
        md5 = hashlib.md5(body).hexdigest()
        ledger.describe(key, version, md5, len(body), md5)
        try:
            resp = s3.put(BUCKET, key, body)
        except NETWORK_ERRORS:
            return  # the server is gone
        if resp.status != 200:
            raise AssertionError(f"PUT {key} v{version} failed: {resp!r}")
        assert resp.header("etag") == f'"{md5}"', resp
        ledger.ack(key, version)


def mpu_worker(s3, ledger, keys, stop, errors):
    rng = random.Random()
    try:
        while not stop.is_set():
            key = rng.choice(keys)
            version = ledger.next_version(key)
            parts = mpu_parts(key, version)
            whole = hashlib.md5()
            for p in parts:
                whole.update(p)
            etag = mpu_etag(parts)
            ledger.describe(key, version, whole.hexdigest(), sum(map(len, parts)), etag)
            try:
                upload = s3.create_upload(BUCKET, key)
                state = ledger.uploads[upload] = [key, version, set(), False]
                etags = []
                for n, p in enumerate(parts, 1):
                    etags.append((n, s3.upload_part(BUCKET, key, upload, n, p)))
                    assert etags[-1][1] == f'"{hashlib.md5(p).hexdigest()}"'
                    state[2].add(n)
                resp = s3.complete_upload(BUCKET, key, upload, etags)
            except NETWORK_ERRORS:
                return
            except AssertionError:
                if stop.is_set():
                    return  # a request cut by the kill
                raise
            if resp.status != 200 or resp.error_code() is not None:
                raise AssertionError(f"CompleteMultipartUpload {key} v{version}: {resp!r}")
            assert resp.xml().find("{*}ETag").text == f'"{etag}"', resp
            state[3] = True
            ledger.ack(key, version)
    except BaseException as e:  # surfaced by the main thread
        errors.append(e)


def run_cycle_and_kill(server, ledger, put_keys, mpu_keys, rng):
    s3 = RawS3.for_server(server, timeout=30)
    stop = threading.Event()
    errors = []
    budget = {"left": PUTS_PER_CYCLE, "lock": threading.Lock()}

    def guarded(fn, *args):
        try:
            fn(*args)
        except BaseException as e:
            errors.append(e)

    threads = []
    for t in range(PUT_THREADS):
        owned = put_keys[t::PUT_THREADS]
        threads.append(threading.Thread(target=guarded,
                                        args=(put_worker, s3, ledger, owned, budget, stop)))
    for t in range(MPU_THREADS):
        owned = mpu_keys[t::MPU_THREADS]
        threads.append(threading.Thread(target=mpu_worker,
                                        args=(s3, ledger, owned, stop, errors)))
    start_completions = ledger.completions
    kill_after = rng.randint(15, 45)
    for th in threads:
        th.start()
    try:
        deadline = time.monotonic() + 300
        while ledger.completions - start_completions < kill_after:
            assert not errors, errors
            assert time.monotonic() < deadline, "workload made no progress"
            assert any(th.is_alive() for th in threads), "workers ended before the kill"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.3))
        server.kill()
    finally:
        stop.set()
        server.kill()
        for th in threads:
            th.join(60)
    assert not any(th.is_alive() for th in threads), "a worker thread hung after the kill"
    assert not errors, errors
    return ledger.completions - start_completions


def data_files(data_dir):
    out = []
    for dirpath, _, names in os.walk(os.path.join(data_dir, "objects")):
        out += [os.path.join(dirpath, n) for n in names]
    return out


def verify_after_restart(server, ledger):
    s3 = RawS3.for_server(server, timeout=60)
    tmp = os.path.join(server.data_dir, "tmp")
    assert os.listdir(tmp) == [], f"temp files survived the restart: {os.listdir(tmp)}"

    listing = s3.list_keys(BUCKET)
    holds = {}  # key -> version it holds now
    for key in sorted(ledger.issued):
        acked = ledger.acked.get(key, 0)
        resp = s3.get(BUCKET, key)
        if resp.status == 404:
            assert acked == 0, f"{key}: acknowledged v{acked} is gone"
            assert key not in listing, key
            continue
        assert resp.status == 200, resp
        md5 = hashlib.md5(resp.body).hexdigest()
        candidates = [v for v in range(1, ledger.issued[key] + 1)
                      if ledger.expected.get((key, v), (None,))[0] == md5]
        assert candidates, (f"{key}: torn or unknown content ({len(resp.body)} bytes, md5 {md5});"
                            f" issued up to v{ledger.issued[key]}, acked v{acked}")
        version = max(candidates)
        _, size, etag = ledger.expected[(key, version)]
        assert version >= acked, f"{key}: holds v{version} but v{acked} was acknowledged"
        holds[key] = version
        assert len(resp.body) == size
        assert resp.header("etag") == f'"{etag}"', (key, version, resp.headers)
        assert listing.get(key) == (size, etag), (key, listing.get(key), size, etag)

    # In-progress uploads (cut by the kill) keep every acknowledged part, intact; then they
    # are aborted.
    in_progress = s3.list_uploads(BUCKET)
    for key, upload in in_progress:
        if upload not in ledger.uploads:
            continue  # created, but the kill took the answer
        owner, version, acked_parts, completed = ledger.uploads[upload]
        assert owner == key and not completed, (key, upload, owner, completed)
        expected = mpu_parts(key, version)
        listed = s3.list_parts(BUCKET, key, upload)
        assert acked_parts <= set(listed), (key, upload, acked_parts, listed)
        for number, (size, etag) in listed.items():
            part = expected[number - 1]
            assert (size, etag) == (len(part), hashlib.md5(part).hexdigest()), (key, number)
    listed_ids = {upload for _, upload in in_progress}
    for upload, state in ledger.uploads.items():
        key, version, _, completed = state
        if completed:
            assert upload not in listed_ids, (key, upload)
        elif upload not in listed_ids and upload not in ledger.aborted:
            # Gone without an abort: the kill took the answer of a completion that committed.
            assert holds.get(key, 0) >= version, \
                f"{key}: upload {upload} of v{version} vanished, but the key holds {holds.get(key)}"
            state[3] = True
    for key, upload in in_progress:
        resp = s3.abort_upload(BUCKET, key, upload)
        assert resp.status == 204, resp
        ledger.aborted.add(upload)
    assert s3.list_uploads(BUCKET) == []

    files_at_restart = len(data_files(server.data_dir))
    expected_files = 0
    for size, etag in listing.values():
        if "-" in etag:
            expected_files += int(etag.rsplit("-", 1)[1])
        elif size > 0:
            expected_files += 1
    deadline = time.monotonic() + 120
    while True:
        count = len(data_files(server.data_dir))
        if count == expected_files:
            break
        assert count > expected_files, \
            f"objects/ has {count} files, fewer than the {expected_files} the index references"
        assert time.monotonic() < deadline, \
            f"objects/ still has {count} files, {expected_files} referenced (sweep did not run)"
        time.sleep(0.2)
    assert os.listdir(tmp) == []
    print(f"  objects/: {files_at_restart} files after restart and aborts, {expected_files} "
          f"after the sweep; {sum('-' in e for _, e in listing.values())} multipart objects, "
          f"{len(in_progress)} uploads were in progress")
    return len(listing)


def test_sigkill_during_concurrent_writes(trainload_bin, workdir):
    data_dir = os.path.join(workdir, "crash-data")
    put_keys = [f"put/{i:02d}" for i in range(PUT_KEYS)]
    mpu_keys = [f"mpu/{i}" for i in range(MPU_KEYS)]
    ledger = Ledger()
    rng = random.Random(int(os.environ.get("TRAINLOAD_CRASH_SEED", str(time.time_ns()))))

    def new_server():
        return TrainloadServer(trainload_bin, data_dir, access_key=DEFAULT_ACCESS_KEY,
                               secret_key=DEFAULT_SECRET_KEY, fsync="on")

    server = new_server().start()
    try:
        assert RawS3.for_server(server).create_bucket(BUCKET).status == 200
        for cycle in range(CYCLES):
            done = run_cycle_and_kill(server, ledger, put_keys, mpu_keys, rng)
            assert done > 0
            server = new_server().start()
            keys = verify_after_restart(server, ledger)
            print(f"cycle {cycle}: {done} writes acknowledged before the kill, {keys} keys "
                  f"verified, {sum(ledger.issued.values())} versions issued so far")
        # The store stays fully usable after the crashes.
        s3 = RawS3.for_server(server)
        assert s3.put(BUCKET, "after-crashes", b"still works").status == 200
        assert s3.get(BUCKET, "after-crashes").body == b"still works"
        assert sum(ledger.acked.values()) > 0
    finally:
        server.stop()
