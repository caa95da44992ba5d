#!/usr/bin/python3
"""PyTorch connector benchmark: trainload.torch datasets and checkpoints side by side with boto3,
the trainload FUSE mount and local disk (issue 5, "Benchmark").

One `trainload server` (started here on 127.0.0.1, a free port, --fsync off) holds the data;
every column reads the same objects, through the same DataLoader settings, in the same run.
Cases (--quick scales them down):

  samples     20,000 objects of 100 KiB, one sample each.
  shards      200 tar shards of ~16 MiB (WebDataset layout: 161 samples of a 100 KiB `.bin`
              and a small `.cls` each).
              Columns of both cases, each a torch DataLoader with 4 workers:
                trainload-iterable  S3IterableDataset.from_prefix(enable_sharding=True; shards:
                                    tar_samples=True, i.e. sample by sample), batch_size 32
                trainload-map       S3MapDataset.from_prefix
                boto3-map           the usual baseline: a map-style Dataset whose __getitem__
                                    calls boto3 get_object (one client per worker process)
                mount               `trainload mount --read-only --immutable` (mounted afresh
                                    for every run) and a map-style Dataset of plain files
                                    (open/read)
                local               the same files staged first to local disk with
                                    `trainload stage` (File mode), same file Dataset
              Map-style datasets read one object per item; with samples, batch_size 32; with
              shards, one whole shard per item (batch_size None), split into a [161, 102400]
              tensor of its samples. Every item becomes a uint8 tensor of the sample's bytes,
              collated by the DataLoader, as an image pipeline before decoding.
              Targets: >= 3x boto3-map, >= 0.8x local (samples/s).
  checkpoint  state dicts of 1 GiB and 4 GiB (float32 tensors of 64 MiB): save with
              S3Checkpoint.writer + torch.save vs torch.save to io.BytesIO + boto3
              upload_fileobj; load with torch.load(S3Checkpoint.reader) vs boto3
              download_fileobj into io.BytesIO + torch.load. Target: >= 2x boto3 both ways.
              One state dict in memory at a time; each size is skipped (with the reason) when
              the machine lacks the free memory for it.

Measurement: the wall time of one DataLoader epoch (a fresh DataLoader, so worker start-up is
included; the datasets are built and listed before the clock starts) or of one save / load,
repeated --runs times (median), the columns' order rotated every run. The page cache is warm
for every column (the server's data files and the staged files were just written; nothing is
dropped). Every run is checked: each sample carries its index in its first 8 bytes, every
index must arrive exactly once, and every 64th sample is compared byte for byte with its
source; loaded state dicts are compared with the saved one. CPU seconds of the server, the
client (main process + DataLoader workers) and the mount daemon are recorded per run, and their
sum per sample: on a shared machine that figure is much steadier than the throughput.
Everything (server, mounts, /tmp/trainload-bench-*) is removed at the end, also on failure,
Ctrl-C or SIGTERM.

  PYTHONPATH=build/python /usr/bin/python3 bench/torch_bench.py --trainload build/src/cli/trainload
      [--quick] [--cases samples,shards,checkpoint] [--columns trainload-iterable,...]
      [--runs N] [--workers 4] [--batch-size 32] [--prefetch N] [--workdir DIR]
"""

import gc
import io
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import boto3  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.utils.data  # noqa: E402
from botocore.config import Config  # noqa: E402

from bench_support import (  # noqa: E402
    benchmark_parser, BenchmarkError, check_common_args, Children, cpu_seconds,
    format_detail_table, format_number, format_table, GIB, KIB, machine_description, median,
    MemorySampler, MIB, raise_on_sigterm, reset_peak_rss, Row, run_benchmark, subset, tool_versions)
from peers import require_tool  # noqa: E402
from trainload_server import REGION, TrainloadServer  # noqa: E402

try:
    import trainload.torch as tlt  # noqa: E402
except ImportError as error:
    raise SystemExit(f"trainload.torch is not importable ({error}): build the _trainload target "
                     "and run with PYTHONPATH=<build>/python") from error

ALL_CASES = ("samples", "shards", "checkpoint")
ALL_COLUMNS = ("trainload-iterable", "trainload-map", "boto3-map", "mount", "local")
TRAINLOAD_COLUMNS = ("trainload-iterable", "trainload-map")
BUCKET = "bench"
SAMPLE_SIZE = 100 * KIB
SAMPLES_PER_SHARD = 161  # 161 x (100 KiB + headers + .cls) ~ 16 MiB
CHECK_EVERY = 64  # every 64th sample is compared byte for byte
TENSOR_BYTES = 64 * MIB  # checkpoint tensors
POOL_SIZE = 64 * MIB

# Immutable bytes become tensors without a copy; torch warns once per process that the buffer
# is read-only (nothing writes to it). Set before DataLoader workers fork, so they inherit it.
warnings.filterwarnings("ignore", message="The given buffer is not writable")
# 4 workers on a 2-core machine is the setting, chosen on purpose.
warnings.filterwarnings("ignore", message="This DataLoader will create")


class Sizes:
    """The workload sizes: the issue's by default, scaled down for --quick."""

    def __init__(self, quick):
        self.samples = 2_000 if quick else 20_000
        self.shards = 16 if quick else 200
        self.checkpoints = [64 * MIB, 256 * MIB] if quick else [1 * GIB, 4 * GIB]


# ---- the data: every sample is its index (8 bytes, little endian) + a slice of a random pool --

class SampleSource:
    """Deterministic sample contents: sample i is its index followed by SAMPLE_SIZE - 8 bytes of
    a 64 MiB random pool at an offset that depends on i (every sample differs)."""

    def __init__(self, seed=5):
        self.pool = np.frombuffer(np.random.default_rng(seed).bytes(POOL_SIZE), dtype=np.uint8)

    def offset(self, index):
        return (index * 40_993 * 8) % (POOL_SIZE - SAMPLE_SIZE)

    def sample(self, index):
        start = self.offset(index)
        return (index.to_bytes(8, "little")
                + self.pool[start:start + SAMPLE_SIZE - 8].tobytes())

    def check_row(self, index, row):
        """True when `row` (a numpy uint8 array) is sample `index`'s bytes."""
        start = self.offset(index)
        return (row.shape[0] == SAMPLE_SIZE
                and np.array_equal(row[8:], self.pool[start:start + SAMPLE_SIZE - 8]))


def make_shard(source, shard):
    """A WebDataset tar: samples shard*161 .. of `source` as NNNNNNNN.bin + NNNNNNNN.cls."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for index in range(shard * SAMPLES_PER_SHARD, (shard + 1) * SAMPLES_PER_SHARD):
            for extension, data in (("bin", source.sample(index)),
                                    ("cls", str(index % 1000).encode())):
                info = tarfile.TarInfo(f"{index:08d}.{extension}")
                info.size = len(data)
                info.mtime = 1_700_000_000
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


# ---- what every column's items become (module level: DataLoader workers are forked) -----------

def as_tensor(data):
    """A uint8 tensor over `data` (bytes: no copy)."""
    return torch.frombuffer(data, dtype=torch.uint8)


def reader_to_tensor(reader):
    """trainload transform of one object: its bytes as a tensor."""
    return as_tensor(reader.read())


def sample_to_tensor(sample):
    """trainload tar_samples transform: the sample's .bin as a tensor."""
    return as_tensor(sample["bin"])


def shard_to_tensor(data):
    """A whole shard's .bin members as one [samples, SAMPLE_SIZE] tensor (one copy)."""
    rows = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".bin"):
                rows.append(as_tensor(memoryview(data)[member.offset_data:
                                                       member.offset_data + member.size]))
    return torch.stack(rows)


def shard_reader_to_tensor(reader):
    """trainload transform of one shard object (S3MapDataset)."""
    return shard_to_tensor(reader.read())


class Boto3MapDataset(torch.utils.data.Dataset):
    """The usual baseline: __getitem__ is one boto3 get_object; one client per process."""

    def __init__(self, endpoint, keys, whole_shards):
        self.endpoint = endpoint
        self.keys = keys
        self.whole_shards = whole_shards
        self._client = None
        self._pid = None

    def _s3(self):
        if self._pid != os.getpid():
            self._client = boto3.session.Session().client(
                "s3", endpoint_url=self.endpoint, region_name=REGION,
                config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
            self._pid = os.getpid()
        return self._client

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, index):
        data = self._s3().get_object(Bucket=BUCKET, Key=self.keys[index])["Body"].read()
        return shard_to_tensor(data) if self.whole_shards else as_tensor(data)


class FileMapDataset(torch.utils.data.Dataset):
    """Plain files (a mount or a local directory): __getitem__ is open + read."""

    def __init__(self, paths, whole_shards):
        self.paths = paths
        self.whole_shards = whole_shards

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        with open(self.paths[index], "rb") as f:
            data = f.read()
        return shard_to_tensor(data) if self.whole_shards else as_tensor(data)


# ---- results ----------------------------------------------------------------------------------

class LoaderRun:
    def __init__(self, seconds, samples, nbytes, server_cpu, client_cpu, extra_cpu, note=""):
        self.seconds = seconds
        self.samples = samples
        self.nbytes = nbytes
        self.server_cpu = server_cpu
        self.client_cpu = client_cpu
        self.extra_cpu = extra_cpu  # the mount daemon's CPU, or None
        self.note = note

    @property
    def rate(self):
        return self.samples / self.seconds

    @property
    def mbps(self):
        return self.nbytes / self.seconds / 1e6

    @property
    def cpu_per_sample(self):
        """Microseconds of CPU per sample, every process together (server, client, mount)."""
        return (self.server_cpu + self.client_cpu + (self.extra_cpu or 0)) / self.samples * 1e6


class CheckpointRun:
    def __init__(self, seconds, nbytes, server_cpu, client_cpu, peak_rss):
        self.seconds = seconds
        self.nbytes = nbytes
        self.server_cpu = server_cpu
        self.client_cpu = client_cpu
        self.peak_rss = peak_rss

    @property
    def rate(self):
        return self.nbytes / self.seconds / 1e6


def own_cpu():
    """CPU seconds of this process plus its reaped children (the DataLoader workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * KIB
    return 0


# ---- the benchmark ----------------------------------------------------------------------------

class TorchBench:
    def __init__(self, args):
        self.args = args
        self.sizes = Sizes(args.quick)
        self.children = Children()
        self.root = tempfile.mkdtemp(prefix="trainload-bench-", dir=args.workdir)
        self.data_dir = os.path.join(self.root, "data")
        self.stage_dir = os.path.join(self.root, "staged")
        self.mount_dir = os.path.join(self.root, "mnt")
        os.makedirs(self.mount_dir)
        self.server = TrainloadServer(args.trainload, self.data_dir, fsync="off")
        self.source = SampleSource()
        self.s3 = None
        self.tl_client = None
        self.mount_proc = None
        self.loader_results = {}   # case -> {column: [LoaderRun] or "not measured (why)"}
        self.checkpoint_results = {}  # (size, op) -> {side: [CheckpointRun]}
        self.notes = []

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self):
        self.server.start()
        env = self.server.client_env()
        # Empty AWS config files of our own (as tests/python does), so that nothing on the
        # machine leaks into either client; DataLoader workers and the CLI inherit all this.
        for variable in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            path = os.path.join(self.root, variable.lower())
            open(path, "w").close()
            env[variable] = path
        os.environ.clear()
        os.environ.update(env)
        self.s3 = boto3.client(
            "s3", endpoint_url=self.server.endpoint, region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        self.s3.create_bucket(Bucket=BUCKET)
        self.tl_client = tlt.S3Client(REGION, self.server.endpoint)

    def close(self):
        self.unmount()
        self.children.kill_all()
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self, text):
        print(text, flush=True)

    def header(self):
        lines = ["## PyTorch connector benchmark", ""]
        lines += [f"- {name}: {value}" for name, value in machine_description(self.root)]
        versions = tool_versions({"trainload": [self.args.trainload, "--version"]})
        versions += [("python", sys.version.split()[0]), ("torch", torch.__version__),
                     ("boto3", boto3.__version__), ("numpy", np.__version__)]
        lines += [f"- {name}: {value}" for name, value in versions]
        lines.append(f"- samples: {self.sizes.samples} x {SAMPLE_SIZE // KIB} KiB; shards: "
                     f"{self.sizes.shards} x {SAMPLES_PER_SHARD} samples; checkpoints: "
                     + ", ".join(f"{s // MIB} MiB" for s in self.sizes.checkpoints))
        lines.append(f"- DataLoader: {self.args.workers} workers, batch_size "
                     f"{self.args.batch_size} (whole shards: None), runs: {self.args.runs}, "
                     f"S3IterableDataset prefetch: {self.args.prefetch or 'default'}")
        return "\n".join(lines)

    # ---- data -------------------------------------------------------------------------------

    def upload(self, items, what):
        """Puts (key, bytes producer) pairs with trainload's native client on 8 threads."""
        native = self.tl_client.native
        start = time.monotonic()
        total = 0

        def put(item):
            key, produce = item
            data = produce()
            native.put(BUCKET, key, data)
            return len(data)

        with ThreadPoolExecutor(8) as pool:
            for n in pool.map(put, items):
                total += n
        seconds = time.monotonic() - start
        self.log(f"  uploaded {what}: {total / 1e6:.0f} MB in {seconds:.1f} s")
        return total

    def delete_prefix(self, prefix):
        keys = [e.key for e in self.tl_client.list_objects(BUCKET, prefix)]
        for start in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=BUCKET, Delete={
                "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})

    def stage(self, prefix, expected):
        """`trainload stage` of the prefix into a fresh local directory (File mode)."""
        target = os.path.join(self.stage_dir, prefix)
        shutil.rmtree(target, ignore_errors=True)
        cmd = [self.args.trainload, "stage", f"s3://{BUCKET}/{prefix}/", target, "-q",
               "--endpoint-url", self.server.endpoint, "--region", REGION]
        start = time.monotonic()
        done = self.children.run(cmd, timeout=600)
        seconds = time.monotonic() - start
        if done.returncode != 0:
            raise BenchmarkError(f"trainload stage failed ({done.returncode}): {done.stderr}")
        files = sorted(os.listdir(target))
        if len(files) != expected:
            raise BenchmarkError(f"trainload stage: {len(files)} files in {target}, expected "
                                 f"{expected}")
        os.sync()
        self.notes.append(f"{prefix}: `trainload stage` of the prefix took {seconds:.1f} s "
                          "(File mode's up-front cost, not in the local column's time)")
        return target

    # ---- the mount --------------------------------------------------------------------------

    def mount(self, prefix):
        """`trainload mount` of s3://bench/<prefix>/ in the foreground (its pid is ours to
        measure and stop); returns once the mount point is live."""
        require_tool("fusermount3", "fuse3")
        if not os.path.exists("/dev/fuse"):
            raise BenchmarkError("/dev/fuse does not exist")
        log = open(os.path.join(self.root, "mount.log"), "w+")
        cmd = [self.args.trainload, "mount", f"s3://{BUCKET}/{prefix}/", self.mount_dir, "-f",
               "--read-only", "--immutable", "--endpoint-url", self.server.endpoint,
               "--region", REGION]
        self.mount_proc = self.children.popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL)
        self.mount_log = log
        deadline = time.monotonic() + 30
        while not os.path.ismount(self.mount_dir):
            if self.mount_proc.poll() is not None or time.monotonic() > deadline:
                self.unmount()
                log.seek(0)
                raise BenchmarkError(f"trainload mount did not come up: {log.read()[-1000:]}")
            time.sleep(0.05)

    def unmount(self):
        """fusermount3 -u, then the mount process must exit (killed after 20 s); returns its
        last line of output (the summary)."""
        proc, self.mount_proc = self.mount_proc, None
        if proc is None:
            return ""
        if os.path.ismount(self.mount_dir):
            subprocess.run(["fusermount3", "-u", self.mount_dir], capture_output=True, timeout=30)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            if os.path.ismount(self.mount_dir):
                subprocess.run(["fusermount3", "-uz", self.mount_dir], capture_output=True,
                               timeout=30)
        self.mount_log.seek(0)
        lines = [line for line in self.mount_log.read().splitlines() if line.strip()]
        self.mount_log.close()
        return lines[-1] if lines else ""

    # ---- DataLoader cases -------------------------------------------------------------------

    def case_samples(self):
        count = self.sizes.samples
        prefix = "samples"
        self.upload(((f"{prefix}/{i:06d}.bin", lambda i=i: self.source.sample(i))
                     for i in range(count)), f"{count} samples")
        self.loader_case("samples", prefix, count, count, whole_shards=False)
        self.cleanup_case(prefix)

    def case_shards(self):
        count = self.sizes.shards
        prefix = "shards"
        self.upload(((f"{prefix}/shard-{j:04d}.tar", lambda j=j: make_shard(self.source, j))
                     for j in range(count)), f"{count} shards")
        self.loader_case("shards", prefix, count, count * SAMPLES_PER_SHARD, whole_shards=True)
        self.cleanup_case(prefix)

    def cleanup_case(self, prefix):
        shutil.rmtree(os.path.join(self.stage_dir, prefix), ignore_errors=True)
        self.delete_prefix(prefix + "/")

    def loader_case(self, case, prefix, objects, samples, whole_shards):
        uri = f"s3://{BUCKET}/{prefix}/"
        keys = sorted(e.key for e in self.tl_client.list_objects(BUCKET, prefix + "/"))
        if len(keys) != objects:
            raise BenchmarkError(f"{uri}: {len(keys)} objects listed, expected {objects}")
        columns = [c for c in ALL_COLUMNS if c in self.args.columns]
        results = {c: [] for c in columns}
        staged = self.stage(prefix, objects) if "local" in columns else None
        for run in range(self.args.runs):
            shift = run % len(columns)
            for column in columns[shift:] + columns[:shift]:
                if isinstance(results[column], str):
                    continue  # not measurable (said why once)
                try:
                    result = self.loader_run(case, column, uri, prefix, keys, staged, samples,
                                             whole_shards)
                except BenchmarkError as e:
                    if column != "mount":
                        raise
                    results[column] = f"not measured ({e})"
                    self.log(f"  {column}: {results[column]}")
                    continue
                results[column].append(result)
                self.log(f"  run {run + 1} {column:<19} {result.rate:9.0f} samples/s "
                         f"{result.mbps:7.0f} MB/s  {result.seconds:6.2f} s  server CPU "
                         f"{result.server_cpu:5.2f} s  client CPU {result.client_cpu:5.2f} s"
                         + (f"  mount CPU {result.extra_cpu:5.2f} s"
                            if result.extra_cpu is not None else "")
                         + (f"  [{result.note}]" if result.note else ""))
        self.loader_results[case] = results

    def make_dataset(self, column, uri, prefix, keys, staged, whole_shards):
        """(dataset, DataLoader batch_size) of a column; lists what it needs now."""
        batch = self.args.batch_size
        endpoint = self.server.endpoint
        if column == "trainload-iterable":
            return tlt.S3IterableDataset.from_prefix(
                uri, region=REGION, endpoint=endpoint,
                transform=sample_to_tensor if whole_shards else reader_to_tensor,
                enable_sharding=True, batch_size=batch, tar_samples=whole_shards,
                prefetch=self.args.prefetch), batch
        per_item = None if whole_shards else batch
        if column == "trainload-map":
            return tlt.S3MapDataset.from_prefix(
                uri, region=REGION, endpoint=endpoint,
                transform=shard_reader_to_tensor if whole_shards else reader_to_tensor), per_item
        if column == "boto3-map":
            return Boto3MapDataset(endpoint, keys, whole_shards), per_item
        directory = self.mount_dir if column == "mount" else staged
        names = sorted(os.listdir(directory))
        if len(names) != len(keys):
            raise BenchmarkError(f"{column}: {len(names)} files in {directory}, expected "
                                 f"{len(keys)}")
        return FileMapDataset([os.path.join(directory, n) for n in names], whole_shards), per_item

    def loader_run(self, case, column, uri, prefix, keys, staged, samples, whole_shards):
        if column != "mount":
            return self.measure_loader(case, column, uri, prefix, keys, staged, samples,
                                       whole_shards)
        try:
            return self.measure_loader(case, column, uri, prefix, keys, staged, samples,
                                       whole_shards)
        except (OSError, RuntimeError) as e:  # a file error inside the mount, from any worker
            raise BenchmarkError(f"{type(e).__name__}: {e}") from e

    def measure_loader(self, case, column, uri, prefix, keys, staged, samples, whole_shards):
        if column == "mount":
            self.mount(prefix)
        try:
            dataset, batch_size = self.make_dataset(column, uri, prefix, keys, staged,
                                                    whole_shards)
            os.sync()
            gc.collect()
            timeout = 120 + samples * SAMPLE_SIZE / 20e6
            server_pid = self.server.process.pid
            server_before = cpu_seconds(server_pid)
            client_before = own_cpu()
            mount_before = cpu_seconds(self.mount_proc.pid) if self.mount_proc else None
            seen, nbytes, seconds = self.iterate(dataset, batch_size, samples, timeout,
                                                 f"{case}/{column}")
            server_cpu = cpu_seconds(server_pid) - server_before
            client_cpu = own_cpu() - client_before
            mount_cpu = (cpu_seconds(self.mount_proc.pid) - mount_before
                         if self.mount_proc else None)
            del dataset
        finally:
            note = self.unmount() if column == "mount" else ""
        if seen != samples:
            raise BenchmarkError(f"{case}/{column}: {seen} samples, expected {samples}")
        return LoaderRun(seconds, seen, nbytes, server_cpu, client_cpu, mount_cpu, note)

    def iterate(self, dataset, batch_size, samples, timeout, what):
        """One epoch through a fresh DataLoader; checks that every sample index arrives exactly
        once and that every CHECK_EVERY-th sample has its source's bytes."""
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size,
                                             num_workers=self.args.workers, timeout=timeout)
        counts = np.zeros(samples, dtype=np.int32)
        nbytes = 0
        deadline = time.monotonic() + timeout
        start = time.monotonic()
        for batch in loader:
            if batch.dim() != 2 or batch.shape[1] != SAMPLE_SIZE:
                raise BenchmarkError(f"{what}: a batch of shape {tuple(batch.shape)}")
            rows = batch.numpy()
            ids = rows[:, :8].copy().view(np.int64).ravel()
            if ids.min() < 0 or ids.max() >= samples:
                raise BenchmarkError(f"{what}: sample index {ids.max()} out of range")
            np.add.at(counts, ids, 1)
            for n in np.nonzero(ids % CHECK_EVERY == 0)[0]:
                if not self.source.check_row(int(ids[n]), rows[n]):
                    raise BenchmarkError(f"{what}: sample {ids[n]} differs from its source")
            nbytes += rows.nbytes
            if time.monotonic() > deadline:
                raise BenchmarkError(f"{what}: still running after {timeout:.0f} s")
        seconds = time.monotonic() - start
        if not (counts == 1).all():
            missing = int((counts == 0).sum())
            twice = int((counts > 1).sum())
            raise BenchmarkError(f"{what}: {missing} samples missing, {twice} seen twice")
        return int(counts.sum()), nbytes, seconds

    # ---- checkpoints ------------------------------------------------------------------------

    def case_checkpoint(self):
        for size in self.sizes.checkpoints:
            needed = 3 * size + 2 * GIB
            available = mem_available()
            if available < needed:
                self.notes.append(f"checkpoint {size // MIB} MiB: not measured (needs "
                                  f"{needed / GIB:.1f} GiB of free memory, "
                                  f"{available / GIB:.1f} GiB available)")
                self.log(self.notes[-1])
                continue
            self.checkpoint_size(size)

    def state_dict(self, size):
        per_tensor = min(TENSOR_BYTES, size)
        generator = torch.Generator().manual_seed(size)
        return {f"layer{n}.weight": torch.rand(per_tensor // 4, generator=generator)
                for n in range(size // per_tensor)}

    @staticmethod
    def fingerprint(state):
        return {name: (tuple(t.shape), float(t.double().sum()), float(t[:16].sum()))
                for name, t in state.items()}

    def checkpoint_size(self, size):
        key = {"trainload": f"ckpt/trainload-{size}.pt", "boto3": f"ckpt/boto3-{size}.pt"}
        uri = {side: f"s3://{BUCKET}/{k}" for side, k in key.items()}
        checkpoint = tlt.S3Checkpoint(region=REGION, endpoint=self.server.endpoint)
        # The only reference to the state dict, so that clearing it frees the memory before
        # the loads (each of which builds a second one).
        saved = [self.state_dict(size)]
        expected = self.fingerprint(saved[0])
        sides = ["trainload", "boto3"]

        def save(side):
            if side == "trainload":
                with checkpoint.writer(uri[side]) as f:
                    torch.save(saved[0], f)
            else:
                buffer = io.BytesIO()
                torch.save(saved[0], buffer)
                buffer.seek(0)
                self.s3.upload_fileobj(buffer, BUCKET, key[side])
                del buffer

        def load(side):
            if side == "trainload":
                loaded = torch.load(checkpoint.reader(uri[side]))
            else:
                buffer = io.BytesIO()
                self.s3.download_fileobj(BUCKET, key[side], buffer)
                buffer.seek(0)
                loaded = torch.load(buffer)
                del buffer
            return loaded

        try:
            for run in range(self.args.runs):
                for side in sides if run % 2 == 0 else sides[::-1]:
                    result = self.timed(lambda: save(side))
                    stored = self.s3.head_object(Bucket=BUCKET, Key=key[side])["ContentLength"]
                    result.nbytes = stored
                    self.record_checkpoint(size, "save", side, run, result)
            saved.clear()
            gc.collect()
            for run in range(self.args.runs):
                for side in sides if run % 2 == 0 else sides[::-1]:
                    holder = []
                    result = self.timed(lambda: holder.append(load(side)))
                    loaded = holder.pop()
                    if self.fingerprint(loaded) != expected:
                        raise BenchmarkError(f"checkpoint {size} via {side}: the loaded state "
                                             "dict differs from the saved one")
                    result.nbytes = self.s3.head_object(Bucket=BUCKET,
                                                        Key=key[side])["ContentLength"]
                    del loaded
                    gc.collect()
                    self.record_checkpoint(size, "load", side, run, result)
        finally:
            for k in key.values():
                self.s3.delete_object(Bucket=BUCKET, Key=k)

    def timed(self, action):
        os.sync()
        gc.collect()
        reset_peak_rss(os.getpid())
        server_pid = self.server.process.pid
        server_before = cpu_seconds(server_pid)
        client_before = own_cpu()
        with MemorySampler(os.getpid(), interval=0.05) as sampler:
            start = time.monotonic()
            action()
            seconds = time.monotonic() - start
        return CheckpointRun(seconds, 0, cpu_seconds(server_pid) - server_before,
                             own_cpu() - client_before, sampler.peak_hwm)

    def record_checkpoint(self, size, op, side, run, result):
        self.checkpoint_results.setdefault((size, op), {}).setdefault(side, []).append(result)
        self.log(f"  run {run + 1} {op} {size // MIB} MiB {side:<9} {result.rate:7.0f} MB/s "
                 f"{result.seconds:6.2f} s  server CPU {result.server_cpu:5.2f} s  client CPU "
                 f"{result.client_cpu:5.2f} s  peak RSS {result.peak_rss / MIB:6.0f} MiB")

    # ---- report -----------------------------------------------------------------------------

    def target_rows(self):
        rows = []
        for case, results in self.loader_results.items():
            for column in TRAINLOAD_COLUMNS:
                mine = results.get(column)
                if not isinstance(mine, list) or not mine:
                    continue
                for peer, target in (("boto3-map", 3.0), ("local", 0.8)):
                    theirs = results.get(peer)
                    if isinstance(theirs, list) and theirs:
                        rows.append(Row(f"{case}: {column}", "samples/s", "samples/s",
                                        [r.rate for r in mine], peer, [r.rate for r in theirs],
                                        target_ratio=target))
        for (size, op), results in self.checkpoint_results.items():
            if "trainload" in results and "boto3" in results:
                rows.append(Row(f"checkpoint {op} {size // MIB} MiB", "throughput", "MB/s",
                                [r.rate for r in results["trainload"]], "boto3",
                                [r.rate for r in results["boto3"]], target_ratio=2.0))
        return rows

    def detail_table(self):
        header = ["case", "column", "samples/s", "MB/s", "seconds", "server CPU s",
                  "client CPU s", "mount CPU s", "CPU us/sample", "runs (samples/s)"]
        rows = []
        for case, results in self.loader_results.items():
            for column, runs in results.items():
                if isinstance(runs, str):
                    rows.append([case, column, runs, "", "", "", "", "", "", ""])
                    continue
                if not runs:
                    continue
                mount_cpu = [r.extra_cpu for r in runs if r.extra_cpu is not None]
                rows.append([
                    case, column, format_number(median([r.rate for r in runs])),
                    format_number(median([r.mbps for r in runs])),
                    format_number(median([r.seconds for r in runs])),
                    format_number(median([r.server_cpu for r in runs])),
                    format_number(median([r.client_cpu for r in runs])),
                    format_number(median(mount_cpu)) if mount_cpu else "",
                    format_number(median([r.cpu_per_sample for r in runs])),
                    ", ".join(format_number(r.rate) for r in runs)])
        return format_detail_table(header, rows)

    def checkpoint_table(self):
        header = ["size", "operation", "side", "MB/s", "seconds", "server CPU s", "client CPU s",
                  "client peak RSS MiB", "runs (MB/s)"]
        rows = []
        for (size, op), results in self.checkpoint_results.items():
            for side, runs in results.items():
                rows.append([
                    f"{size // MIB} MiB", op, side, format_number(median([r.rate for r in runs])),
                    format_number(median([r.seconds for r in runs])),
                    format_number(median([r.server_cpu for r in runs])),
                    format_number(median([r.client_cpu for r in runs])),
                    format_number(max(r.peak_rss for r in runs) / MIB),
                    ", ".join(format_number(r.rate) for r in runs)])
        return format_detail_table(header, rows)


def parse_args():
    parser = benchmark_parser(__doc__, ALL_CASES)
    parser.add_argument("--columns", default=",".join(ALL_COLUMNS),
                        help=f"comma-separated subset of {','.join(ALL_COLUMNS)}")
    parser.add_argument("--workers", type=int, default=4, help="DataLoader workers")
    parser.add_argument("--batch-size", type=int, default=32, help="DataLoader batch size")
    parser.add_argument("--prefetch", type=int, default=None,
                        help="S3IterableDataset prefetch depth per worker (default: the "
                             "connector's, 8 objects or 2 shards)")
    args = parser.parse_args()
    check_common_args(parser, args, ALL_CASES)
    args.columns = subset(parser, args.columns, ALL_COLUMNS, "column")
    if args.workers < 1 or args.batch_size < 1:
        parser.error("--workers and --batch-size must be at least 1")
    return args


def main():
    args = parse_args()
    raise_on_sigterm()
    bench = TorchBench(args)
    return run_benchmark(
        bench, args.cases,
        [("Targets", lambda: format_table(bench.target_rows())),
         ("Every column (medians)", lambda: bench.detail_table() if bench.loader_results else None),
         ("Checkpoints (medians)",
          lambda: bench.checkpoint_table() if bench.checkpoint_results else None)])


if __name__ == "__main__":
    sys.exit(main())
