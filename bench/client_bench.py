#!/usr/bin/python3
"""Client and CLI benchmark: the `trainload` CLI side by side with the S3 tools people use.

Every tool talks to the same `trainload server` (started here on 127.0.0.1, a free port,
--fsync off: the server's disk flushes are not what is measured), moves the same data, in the
same run. Cases (the issue "client library, CLI and File mode"; --quick scales them down):

  big    one 2 GiB object: download to /dev/null, download to a file, upload.
         trainload cp  vs  aws s3 cp (CLI v2, CLI v1), boto3 download_file / download_fileobj /
         upload_file (Debian's 1.26 and the image's 1.43), s3cmd get/put, rclone copyto
         (rclone cat for /dev/null), and the ceiling: 4 and 8 curl processes with parallel
         ranged GETs of a presigned URL (to /dev/null, or each into its range of the file),
         or parallel UploadPart PUTs of presigned URLs.
         Targets: trainload >= 0.9x the ceiling and >= 2x the fastest peer.
  stage  `trainload stage` of 2,000 x 256 KiB objects, and of 20 x 100 MiB, into an empty
         directory  vs  aws s3 sync (v2, v1), rclone copy, s3cmd sync.
         Target: >= 2x the fastest peer on the small objects.
  list   listing 100,000 keys: `trainload ls -r`  vs  `aws s3 ls --recursive` (v2, v1), and
         for information rclone ls and s3cmd ls -r. Target: >= 2x the faster aws.
  Every case also records each tool's peak RSS (wait4 ru_maxrss; for curl the sum over its
  processes), and checks trainload's against its memory budget (--max-memory, 1 GiB default).

Each measurement is the wall time of the whole command (process start-up included, as a user
sees it), repeated --runs times (median reported), the tools' order rotated every run. Every
result is checked: exit codes, curl statuses and byte counts, sizes of what was written (and the
bytes themselves on the first run of each tool, sampled after), object sizes after uploads,
file counts after staging, line counts of listings. Peers run with their default settings and
a scrubbed environment (no AWS_* from the machine). The temporary directory
(/tmp/trainload-bench-*) and every process are removed at the end, also on failure or Ctrl-C.

  /usr/bin/python3 bench/client_bench.py --trainload build/src/cli/trainload [--quick]
      [--cases big,stage,list] [--runs N] [--peers aws-v2,aws-v1,...] [--workdir DIR]
"""

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from bench_support import (  # noqa: E402
    benchmark_parser, BenchmarkError, check_common_args, Children, cpu_seconds,
    format_detail_table, format_number, format_table, GIB, KIB, median, MIB, parse_size,
    raise_on_sigterm, report_header, Row, run_benchmark, run_timed)
from peers import (byte_ranges, check_curl_results, curl_put_command,  # noqa: E402
                   curl_range_command, require_tool, write_rclone_config, write_s3cmd_config)
from peer_support import tool_env  # noqa: E402
from server_bench import write_random_file  # noqa: E402
from trainload_server import REGION, TrainloadServer  # noqa: E402

ALL_CASES = ("big", "stage", "list")
AWS_V2 = "/usr/bin/aws"
PYENV = "/root/.pyenv/versions/3.11.7/bin"
ALL_PEERS = {
    # name: what runs it
    "aws-v2": AWS_V2,
    "aws-v1": os.path.join(PYENV, "aws"),
    "boto3-1.26": "/usr/bin/python3",
    "boto3-1.43": os.path.join(PYENV, "python3"),
    "s3cmd": "s3cmd",
    "rclone": "rclone",
}
CEILING_STREAMS = (4, 8)
BUCKET = "bench"
DEFAULT_BUDGET = GIB  # ClientOptions::max_memory when --max-memory is not given


class Sizes:
    """The workload sizes: the issue's by default, scaled down for --quick."""

    def __init__(self, quick):
        self.big = 256 * MIB if quick else 2 * GIB
        self.small_count = 200 if quick else 2000
        self.small_size = 256 * KIB
        self.large_count = 4 if quick else 20
        self.large_size = 40 * MIB if quick else 100 * MIB
        self.list_count = 5000 if quick else 100_000
        self.list_dirs = 10 if quick else 100

    def describe(self):
        return (f"big: {self.big // MIB} MiB; stage: {self.small_count} x "
                f"{self.small_size // KIB} KiB and {self.large_count} x "
                f"{self.large_size // MIB} MiB; list: {self.list_count} keys in "
                f"{self.list_dirs} prefixes")


def timeout_for(size, objects=0):
    """A generous bound (slowest peer ~10 MB/s, 0.2 s per object): a stuck run fails."""
    return int(120 + size / 10e6 + objects * 0.2)


class Sample:
    """One run of one tool: rate (higher is better), wall seconds, peak RSS, client CPU,
    server CPU."""

    def __init__(self, rate, run, server_cpu):
        self.rate = rate
        self.seconds = run.seconds
        self.rss = run.total_rss()
        self.cpu = run.total_cpu()
        self.server_cpu = server_cpu


class Operation:
    """One measured operation (e.g. "2 GiB to /dev/null") and every tool's samples of it."""

    def __init__(self, title, unit, amount, target_ceiling=None, target_peer=None):
        self.title = title
        self.unit = unit          # of rate, e.g. "GB/s"
        self.amount = amount      # rate = amount / seconds
        self.target_ceiling = target_ceiling
        self.target_peer = target_peer
        self.samples = {}         # tool name -> [Sample]
        self.kinds = {}           # tool name -> "trainload" | "peer" | "ceiling"

    def add(self, tool, kind, sample):
        self.samples.setdefault(tool, []).append(sample)
        self.kinds[tool] = kind

    def rates(self, tool):
        return [s.rate for s in self.samples[tool]]

    def best(self, kind):
        """(name, median rate) of the fastest tool of `kind`, or (None, None)."""
        names = [n for n, k in self.kinds.items() if k == kind]
        if not names:
            return None, None
        name = max(names, key=lambda n: median(self.rates(n)))
        return name, median(self.rates(name))


class ClientBench:
    """One benchmark run: a trainload server, the tools' configs and data in one temp dir."""

    def __init__(self, args):
        self.args = args
        self.sizes = Sizes(args.quick)
        self.children = Children()
        self.root = tempfile.mkdtemp(prefix="trainload-bench-", dir=args.workdir)
        self.data_dir = os.path.join(self.root, "data")
        self.src_dir = os.path.join(self.root, "src")
        self.out_dir = os.path.join(self.root, "out")
        self.err_dir = os.path.join(self.root, "stderr")
        for d in (self.src_dir, self.out_dir, self.err_dir):
            os.makedirs(d)
        self.server = TrainloadServer(args.trainload, self.data_dir, fsync="off")
        self.s3 = None
        self.env = None
        self.operations = []
        self.notes = []
        self.verified_once = set()

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self):
        self.server.start()
        self.env = self.server.client_env(base=tool_env())
        self.s3 = boto3.client(
            "s3", endpoint_url=self.server.endpoint, region_name=REGION,
            aws_access_key_id=self.server.access_key,
            aws_secret_access_key=self.server.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 1}, max_pool_connections=16))
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3cmd_config = write_s3cmd_config(os.path.join(self.root, "s3cmd.cfg"),
                                               self.server.endpoint, self.server.access_key,
                                               self.server.secret_key)
        self.rclone_config = write_rclone_config(os.path.join(self.root, "rclone.conf"),
                                                 self.server.endpoint, self.server.access_key,
                                                 self.server.secret_key)

    def close(self):
        self.children.kill_all()  # clients first, so that no server waits on a connection
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self, text):
        print(text, flush=True)

    # ---- command lines ----------------------------------------------------------------------

    def uri(self, key):
        return f"s3://{BUCKET}/{key}"

    def trainload(self, *args):
        """A trainload CLI command line (default client settings unless --max-memory)."""
        cmd = [self.args.trainload, *args, "--endpoint-url", self.server.endpoint]
        if self.args.max_memory:
            cmd += ["--max-memory", self.args.max_memory]
        return cmd

    def aws(self, peer, *args):
        return [ALL_PEERS[peer], "--endpoint-url", self.server.endpoint, *args]

    def s3cmd(self, *args):
        return [require_tool("s3cmd", "s3cmd"), "-c", self.s3cmd_config, "--no-progress", *args]

    def rclone(self, *args):
        return [require_tool("rclone", "rclone"), "--config", self.rclone_config, *args]

    def boto3(self, peer, op, key, path=None):
        cmd = [ALL_PEERS[peer], os.path.join(HERE, "boto3_transfer.py"), op,
               self.server.endpoint, BUCKET, key]
        return cmd + ([path] if path else [])

    def spawn(self, argv, stdout=subprocess.DEVNULL):
        """(argv, Popen arguments) with the scrubbed peer environment."""
        return argv, {"stdout": stdout, "env": self.env, "stdin": subprocess.DEVNULL}

    def presign(self, method, key, params=None):
        operation = {"GET": "get_object", "PUT": "upload_part"}[method]
        return self.s3.generate_presigned_url(
            operation, Params={"Bucket": BUCKET, "Key": key, **(params or {})},
            ExpiresIn=12 * 3600)

    def peers(self):
        return [p for p in ALL_PEERS if p in self.args.peers]

    # ---- measuring --------------------------------------------------------------------------

    def measure(self, op, tool, kind, commands, timeout, after=None):
        """Runs `commands` (all at once) as one sample of `tool` in `op`; `after(run)` checks
        the result (raising BenchmarkError) and returns nothing. The page cache's dirty data is
        flushed first, so that no run pays for the previous one's writeback."""
        os.sync()
        server_pid = self.server.process.pid
        before = cpu_seconds(server_pid)
        run = run_timed(self.children, commands, timeout, self.err_dir)
        server_cpu = cpu_seconds(server_pid) - before
        for (argv, _), code, err in zip(commands, run.returncodes, run.stderr):
            if code != 0:
                raise BenchmarkError(f"{tool} ({op.title}) exited with {code}: "
                                     f"{shlex.join(argv)[:300]}\n{err.strip()[-2000:]}")
        if after:
            after(run)
        sample = Sample(op.amount / run.seconds, run, server_cpu)
        op.add(tool, kind, sample)
        self.log(f"  {op.title} | {tool}: {sample.rate:.3g} {op.unit} ({run.seconds:.2f} s, "
                 f"peak RSS {sample.rss / MIB:.0f} MiB, CPU {sample.cpu:.2f} s, server CPU "
                 f"{server_cpu:.2f} s)")
        return sample

    def rotated(self, tools, rep):
        """The tools in a different order each run, so that none always goes first."""
        k = rep % len(tools)
        return tools[k:] + tools[:k]

    def run_operation(self, op, tools):
        """`tools`: [(name, kind, fn)] where fn(rep) measures one sample of that tool."""
        self.operations.append(op)
        for rep in range(self.args.runs):
            for name, kind, fn in self.rotated(tools, rep):
                fn(rep)

    # ---- data and checks --------------------------------------------------------------------

    def first_check(self, tool, op):
        """True the first time `tool` is checked in `op`: check every byte then; samples of
        the file later (reading 2 GiB after every run would double the case's time)."""
        key = (tool, op.title)
        if key in self.verified_once:
            return False
        self.verified_once.add(key)
        return True

    def compare_files(self, path, expected, full):
        size = os.path.getsize(expected)
        if not os.path.exists(path):
            raise BenchmarkError(f"{path} was not written")
        if os.path.getsize(path) != size:
            raise BenchmarkError(f"{path}: {os.path.getsize(path)} bytes, expected {size}")
        block = MIB
        offsets = (range(0, size, block) if full else
                   sorted({0, max(0, size - block)} |
                          {(size // 7) * i // block * block for i in range(1, 7)}))
        with open(path, "rb") as a, open(expected, "rb") as b:
            for offset in offsets:
                a.seek(offset)
                b.seek(offset)
                if a.read(block) != b.read(block):
                    raise BenchmarkError(f"{path} differs from {expected} in the MiB at "
                                         f"offset {offset}")

    def check_object(self, key, size):
        head = self.s3.head_object(Bucket=BUCKET, Key=key)
        if head["ContentLength"] != size:
            raise BenchmarkError(f"{self.uri(key)}: {head['ContentLength']} bytes after the "
                                 f"upload, expected {size}")

    def delete_key(self, key):
        self.s3.delete_object(Bucket=BUCKET, Key=key)

    def upload_tree(self, local, prefix, count, total_bytes):
        """Uploads a local tree with `trainload cp -r` (setup, not measured) and checks that
        `count` keys arrived."""
        start = time.monotonic()
        # Bounded by bytes (10 MB/s) and by objects (100/s): far slower than it ever ran.
        done = self.children.run(self.trainload("cp", "-r", "-q", local, self.uri(prefix)),
                                 timeout=timeout_for(total_bytes) + count // 100, env=self.env)
        if done.returncode != 0:
            raise BenchmarkError(f"trainload cp -r {local}: {done.stderr[-2000:]}")
        seconds = time.monotonic() - start
        found = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                      Prefix=prefix):
            found += page.get("KeyCount", 0)
        if found != count:
            raise BenchmarkError(f"{count} files uploaded under {prefix}, {found} listed")
        return seconds

    # ---- case 1: one big object ---------------------------------------------------------------

    def case_big(self):
        size = self.sizes.big
        source = os.path.join(self.src_dir, "big.bin")
        write_random_file(source, size, "client-big")
        key = "big/object.bin"
        done = self.children.run(self.trainload("cp", "-q", source, self.uri(key)),
                                 timeout=timeout_for(size), env=self.env)
        if done.returncode != 0:
            raise BenchmarkError(f"uploading {key}: {done.stderr}")
        self.check_object(key, size)
        url = self.presign("GET", key)
        timeout = timeout_for(size)
        gib = f"{size / GIB:g} GiB" if size >= GIB else f"{size // MIB} MiB"

        # Download to /dev/null.
        op = Operation(f"{gib} download to /dev/null", "GB/s", size / 1e9, 0.9, 2.0)

        def null_ceiling(streams):
            def fn(rep):
                ranges = byte_ranges(size, streams)
                cmds = [self.spawn(curl_range_command(url, a, b, timeout)) for a, b in ranges]

                def check(run):
                    for (a, b), err in zip(ranges, run.stderr):
                        check_curl_results(err, [(206, b - a + 1, None)], "curl ranged GET")
                self.measure(op, f"curl x{streams}", "ceiling", cmds, timeout, check)
            return fn

        def null_tool(name, argv):
            return lambda rep: self.measure(op, name, "peer", [self.spawn(argv)], timeout)

        tools = [("trainload", "trainload", lambda rep: self.measure(
            op, "trainload", "trainload", [self.spawn(self.trainload("cp", self.uri(key), "-"))],
            timeout))]
        tools += [(f"curl x{n}", "ceiling", null_ceiling(n)) for n in CEILING_STREAMS]
        null_cmds = {
            "aws-v2": self.aws("aws-v2", "s3", "cp", "--only-show-errors", self.uri(key), "-"),
            "aws-v1": self.aws("aws-v1", "s3", "cp", "--only-show-errors", self.uri(key), "-"),
            "boto3-1.26": self.boto3("boto3-1.26", "download-null", key),
            "boto3-1.43": self.boto3("boto3-1.43", "download-null", key),
            "s3cmd": self.s3cmd("get", self.uri(key), "-"),
            "rclone": self.rclone("cat", f"tl:{BUCKET}/{key}"),
        }
        tools += [(p, "peer", null_tool(p, null_cmds[p])) for p in self.peers()]
        # Warm the page cache and check the URL before anything is timed.
        null_ceiling(4)(0)
        op.samples.clear()
        op.kinds.clear()
        self.run_operation(op, tools)

        # Download to a file.
        op = Operation(f"{gib} download to a file", "GB/s", size / 1e9, 0.9, 2.0)
        dest = os.path.join(self.out_dir, "big.bin")

        def file_measure(name, kind, cmds, check_curl=None):
            def after(run):
                if check_curl:
                    check_curl(run)
                self.compare_files(dest, source, self.first_check(name, op))
            try:
                self.measure(op, name, kind, cmds, timeout, after)
            finally:
                if os.path.exists(dest):
                    os.unlink(dest)

        def file_ceiling(streams):
            def fn(rep):
                ranges = byte_ranges(size, streams)
                with open(dest, "wb") as f:
                    f.truncate(size)
                cmds, fds = [], []
                try:
                    for a, b in ranges:
                        fd = os.open(dest, os.O_WRONLY)
                        fds.append(fd)
                        os.lseek(fd, a, os.SEEK_SET)
                        cmds.append(self.spawn(curl_range_command(url, a, b, timeout), fd))

                    def check(run):
                        for (a, b), err in zip(ranges, run.stderr):
                            check_curl_results(err, [(206, b - a + 1, None)],
                                               "curl ranged GET into the file")
                    # The fds are inherited at spawn; the parent's copies close after the run.
                    file_measure(f"curl x{streams}", "ceiling", cmds, check)
                finally:
                    for fd in fds:
                        os.close(fd)
            return fn

        file_cmds = {
            "aws-v2": self.aws("aws-v2", "s3", "cp", "--only-show-errors", self.uri(key), dest),
            "aws-v1": self.aws("aws-v1", "s3", "cp", "--only-show-errors", self.uri(key), dest),
            "boto3-1.26": self.boto3("boto3-1.26", "download", key, dest),
            "boto3-1.43": self.boto3("boto3-1.43", "download", key, dest),
            "s3cmd": self.s3cmd("get", self.uri(key), dest),
            "rclone": self.rclone("copyto", f"tl:{BUCKET}/{key}", dest),
        }
        tools = [("trainload", "trainload", lambda rep: file_measure(
            "trainload", "trainload", [self.spawn(self.trainload("cp", "-q", self.uri(key),
                                                                 dest))]))]
        tools += [(f"curl x{n}", "ceiling", file_ceiling(n)) for n in CEILING_STREAMS]
        tools += [(p, "peer", (lambda p: lambda rep: file_measure(
            p, "peer", [self.spawn(file_cmds[p])]))(p)) for p in self.peers()]
        self.run_operation(op, tools)

        # Upload.
        op = Operation(f"{gib} upload", "GB/s", size / 1e9, 0.9, 2.0)
        part_dir = os.path.join(self.src_dir, "parts")
        os.makedirs(part_dir)
        parts = []  # the 8 parts as files: the curl ceiling PUTs them (4 curls: 2 parts each)
        with open(source, "rb") as f:
            for n, (a, b) in enumerate(byte_ranges(size, max(CEILING_STREAMS))):
                path = os.path.join(part_dir, f"part-{n + 1}")
                with open(path, "wb") as out:
                    left = b - a + 1
                    while left:
                        chunk = f.read(min(left, 16 * MIB))
                        out.write(chunk)
                        left -= len(chunk)
                parts.append((path, b - a + 1))

        def upload_measure(name, kind, key, cmds, check_curl=None, complete=None):
            def after(run):
                if check_curl:
                    check_curl(run)
                if complete:
                    complete()
                self.check_object(key, size)
            try:
                self.measure(op, name, kind, cmds, timeout, after)
            finally:
                self.delete_key(key)

        def upload_ceiling(streams):
            def fn(rep):
                key = f"up/curl-x{streams}-{rep}"
                upload_id = self.s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
                urls = [self.presign("PUT", key, {"UploadId": upload_id, "PartNumber": n + 1})
                        for n in range(len(parts))]
                per = len(parts) // streams
                groups = [list(range(i * per, (i + 1) * per)) for i in range(streams)]
                cmds = [self.spawn(curl_put_command([(parts[n][0], urls[n]) for n in g],
                                                    timeout)) for g in groups]

                def check(run):
                    for g, err in zip(groups, run.stderr):
                        check_curl_results(err, [(200, None, parts[n][1]) for n in g],
                                           "curl UploadPart")

                def complete():
                    # Outside the timing would be fairer to the ceiling; it is one small
                    # request (the server links the parts, it does not copy them).
                    listed = self.s3.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id)
                    self.s3.complete_multipart_upload(
                        Bucket=BUCKET, Key=key, UploadId=upload_id,
                        MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"],
                                                    "ETag": p["ETag"]}
                                                   for p in listed["Parts"]]})
                upload_measure(f"curl x{streams}", "ceiling", key, cmds, check, complete)
            return fn

        def upload_cmd(peer, key):
            return {
                "aws-v2": lambda: self.aws("aws-v2", "s3", "cp", "--only-show-errors", source,
                                           self.uri(key)),
                "aws-v1": lambda: self.aws("aws-v1", "s3", "cp", "--only-show-errors", source,
                                           self.uri(key)),
                "boto3-1.26": lambda: self.boto3("boto3-1.26", "upload", key, source),
                "boto3-1.43": lambda: self.boto3("boto3-1.43", "upload", key, source),
                "s3cmd": lambda: self.s3cmd("put", source, self.uri(key)),
                "rclone": lambda: self.rclone("copyto", source, f"tl:{BUCKET}/{key}"),
            }[peer]()

        tools = [("trainload", "trainload", lambda rep: upload_measure(
            "trainload", "trainload", f"up/trainload-{rep}",
            [self.spawn(self.trainload("cp", "-q", source, self.uri(f"up/trainload-{rep}")))]))]
        tools += [(f"curl x{n}", "ceiling", upload_ceiling(n)) for n in CEILING_STREAMS]
        tools += [(p, "peer", (lambda p: lambda rep: upload_measure(
            p, "peer", f"up/{p}-{rep}", [self.spawn(upload_cmd(p, f"up/{p}-{rep}"))]))(p))
            for p in self.peers()]
        try:
            self.run_operation(op, tools)
        finally:
            shutil.rmtree(part_dir, ignore_errors=True)
            os.unlink(source)
            self.delete_key(key)

    # ---- case 2: stage a prefix ---------------------------------------------------------------

    def make_stage_source(self, name, count, size, random_big):
        """A local tree of `count` files of `size` bytes in a few subdirectories."""
        root = os.path.join(self.src_dir, name)
        files = {}
        for i in range(count):
            rel = f"part-{i % 10:02d}/sample-{i:06d}.bin"
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if random_big:
                write_random_file(path, size, f"{name}-{i}")
            else:
                with open(path, "wb") as f:
                    f.write(hashlib.shake_256(f"{name}-{i}".encode()).digest(size))
            files[rel] = path
        return root, files

    def stage_prefix(self, name, count, size, random_big):
        total = count * size
        root, files = self.make_stage_source(name, count, size, random_big)
        prefix = f"stage-{name}/"
        upload_s = self.upload_tree(root, prefix, count, total)
        label = (f"{count} x {size // KIB} KiB" if size < MIB
                 else f"{count} x {size // MIB} MiB")
        self.notes.append(f"setup: `trainload cp -r` uploaded {label} in {upload_s:.1f} s "
                          f"({count / upload_s:.0f} objects/s, {total / upload_s / 1e6:.0f} MB/s)")
        label = "stage " + label
        op = Operation(label, "MB/s", total / 1e6, None, 2.0 if size < MIB else None)
        dest = os.path.join(self.out_dir, "stage")
        timeout = timeout_for(total, count)
        sample_rels = sorted(files)[:: max(1, count // 16)]

        def check_tree(tool):
            def after(run):
                found = {}
                for dirpath, _, names in os.walk(dest):
                    for n in names:
                        if n.startswith(".trainload-stage"):
                            continue  # stage's manifest, where xattrs are missing
                        path = os.path.join(dirpath, n)
                        found[os.path.relpath(path, dest)] = os.path.getsize(path)
                if sorted(found) != sorted(files):
                    missing = sorted(set(files) - set(found))[:5]
                    extra = sorted(set(found) - set(files))[:5]
                    raise BenchmarkError(f"{tool} staged {len(found)} of {count} files "
                                         f"(missing {missing}, unexpected {extra})")
                wrong = [r for r, s in found.items() if s != size]
                if wrong:
                    raise BenchmarkError(f"{tool}: wrong sizes of {wrong[:5]}")
                full = self.first_check(tool, op)
                for rel in (sorted(files) if full and size < MIB else sample_rels):
                    self.compare_files(os.path.join(dest, rel), files[rel], full)
            return after

        def stage_measure(name, kind, argv):
            os.makedirs(dest)
            try:
                self.measure(op, name, kind, [self.spawn(argv)], timeout, check_tree(name))
            finally:
                shutil.rmtree(dest, ignore_errors=True)

        cmds = {
            "aws-v2": self.aws("aws-v2", "s3", "sync", "--only-show-errors", self.uri(prefix),
                               dest),
            "aws-v1": self.aws("aws-v1", "s3", "sync", "--only-show-errors", self.uri(prefix),
                               dest),
            "rclone": self.rclone("copy", f"tl:{BUCKET}/{prefix}", dest),
            "s3cmd": self.s3cmd("sync", self.uri(prefix), dest + "/"),
        }
        tools = [("trainload", "trainload", lambda rep: stage_measure(
            "trainload", "trainload", self.trainload("stage", "-q", self.uri(prefix), dest)))]
        tools += [(p, "peer", (lambda p: lambda rep: stage_measure(p, "peer", cmds[p]))(p))
                  for p in self.peers() if p in cmds]
        try:
            self.run_operation(op, tools)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def case_stage(self):
        sz = self.sizes
        self.stage_prefix("small", sz.small_count, sz.small_size, False)
        self.stage_prefix("large", sz.large_count, sz.large_size, True)

    # ---- case 3: listing ----------------------------------------------------------------------

    def case_list(self):
        sz = self.sizes
        root = os.path.join(self.src_dir, "list")
        per_dir = sz.list_count // sz.list_dirs
        for d in range(sz.list_dirs):
            directory = os.path.join(root, f"shard-{d:03d}")
            os.makedirs(directory)
            for i in range(per_dir):
                # Empty objects: the listing, not the data, is measured.
                open(os.path.join(directory, f"sample-{d * per_dir + i:07d}.jpg"), "wb").close()
        count = per_dir * sz.list_dirs
        prefix = "list/"
        upload_s = self.upload_tree(root, prefix, count, 0)
        shutil.rmtree(root, ignore_errors=True)
        self.notes.append(f"setup: `trainload cp -r` created {count} empty objects in "
                          f"{upload_s:.1f} s ({count / upload_s:.0f} objects/s)")
        op = Operation(f"list {count} keys", "keys/s", count, None, None)
        listing = os.path.join(self.out_dir, "listing.txt")
        timeout = 600

        def list_measure(name, kind, argv):
            def after(run):
                with open(listing, "rb") as f:
                    lines = [line for line in f.read().splitlines() if b"sample-" in line]
                if len(lines) != count:
                    raise BenchmarkError(f"{name} listed {len(lines)} keys, expected {count}")
            try:
                with open(listing, "wb") as out:
                    self.measure(op, name, kind, [self.spawn(argv, out)], timeout, after)
            finally:
                os.unlink(listing)

        cmds = {
            "aws-v2": self.aws("aws-v2", "s3", "ls", "--recursive", self.uri(prefix)),
            "aws-v1": self.aws("aws-v1", "s3", "ls", "--recursive", self.uri(prefix)),
            "rclone": self.rclone("ls", f"tl:{BUCKET}/{prefix}"),
            "s3cmd": self.s3cmd("ls", "-r", self.uri(prefix)),
        }
        tools = [("trainload", "trainload", lambda rep: list_measure(
            "trainload", "trainload", self.trainload("ls", "-r", self.uri(prefix))))]
        tools += [(p, "peer", (lambda p: lambda rep: list_measure(p, "peer", cmds[p]))(p))
                  for p in self.peers() if p in cmds]
        self.run_operation(op, tools)

    # ---- report -------------------------------------------------------------------------------

    def budget(self):
        if not self.args.max_memory:
            return DEFAULT_BUDGET
        return parse_size(self.args.max_memory)

    def target_rows(self):
        rows = []
        for op in self.operations:
            tl = op.rates("trainload")
            if op.target_ceiling:
                name, _ = op.best("ceiling")
                if name:
                    rows.append(Row(op.title, "rate", op.unit, tl, f"ceiling ({name})",
                                    op.rates(name), target_ratio=op.target_ceiling))
            peer, _ = op.best("peer")
            if op.title.startswith("list"):
                # The target is against `aws s3 ls --recursive`: the faster CLI.
                aws = [n for n in op.kinds if n.startswith("aws")]
                if aws:
                    peer = max(aws, key=lambda n: median(op.rates(n)))
                    rows.append(Row(op.title, "rate", op.unit, tl, f"fastest aws ({peer})",
                                    op.rates(peer), target_ratio=2.0))
                    continue
            if peer:
                rows.append(Row(op.title, "rate", op.unit, tl, f"fastest peer ({peer})",
                                op.rates(peer), target_ratio=op.target_peer))
        for op in self.operations:
            # A peer target above the ceiling cannot be met by any client: say so.
            ceiling_name, ceiling = op.best("ceiling")
            peer, peer_rate = op.best("peer")
            if op.target_peer and ceiling and peer and ceiling < op.target_peer * peer_rate:
                self.notes.append(
                    f"{op.title}: the ceiling ({ceiling_name}, {format_number(ceiling)} "
                    f"{op.unit}) is only {ceiling / peer_rate:.2f}x the fastest peer ({peer}): "
                    f">= {op.target_peer:g}x that peer is above the ceiling on this machine")
        budget = self.budget()
        for op in self.operations:
            peak = max(s.rss for s in op.samples["trainload"]) / MIB
            rows.append(Row(op.title, "trainload peak RSS (max of runs)", "MiB", [peak],
                            limit=budget / MIB))
        return rows

    def detail_table(self):
        header = ["operation", "tool", "median", "runs", "trainload / tool", "peak RSS MiB",
                  "client CPU s", "server CPU s"]
        rows = []
        for op in self.operations:
            tl = median(op.rates("trainload"))
            order = sorted(op.samples, key=lambda n: -median(op.rates(n)))
            for name in order:
                samples = op.samples[name]
                m = median(op.rates(name))
                rows.append([
                    op.title, name + (" (ceiling)" if op.kinds[name] == "ceiling" else ""),
                    f"{format_number(m)} {op.unit}",
                    ", ".join(format_number(r) for r in op.rates(name)),
                    "" if name == "trainload" else f"{tl / m:.2f}x",
                    format_number(max(s.rss for s in samples) / MIB),
                    format_number(median([s.cpu for s in samples])),
                    format_number(median([s.server_cpu for s in samples])),
                ])
        return format_detail_table(header, rows)

    def header(self):
        lines = report_header("## trainload client and CLI benchmark", self.root, {
            "trainload": [self.args.trainload, "--version"],
            "aws-v2": [AWS_V2, "--version"],
            "aws-v1": [ALL_PEERS["aws-v1"], "--version"],
            "boto3-1.26": ["/usr/bin/python3", "-c", "import boto3; print(boto3.__version__)"],
            "boto3-1.43": [ALL_PEERS["boto3-1.43"], "-c",
                           "import boto3; print(boto3.__version__)"],
            "s3cmd": ["s3cmd", "--version"],
            "rclone": ["rclone", "version"],
            "curl": ["curl", "--version"],
        })
        lines.append(f"- sizes: {self.sizes.describe()}")
        lines.append(f"- peers: {', '.join(self.peers())} (default settings); ceiling: curl x"
                     f"{' and x'.join(str(n) for n in CEILING_STREAMS)} parallel ranges/parts")
        load = float(open("/proc/loadavg").read().split()[0])
        if load > (os.cpu_count() or 1) * 0.5:
            lines.append(f"- WARNING: load average {load:.1f} on {os.cpu_count()} cores before "
                         "the run: other work shares the CPUs, so ratios are noisy")
        lines.append(f"- server: trainload server --fsync off on 127.0.0.1; page cache warm; "
                     f"trainload client budget {self.budget() // MIB} MiB; median of "
                     f"{self.args.runs} runs; GB/s and MB/s are 10^9 and 10^6 bytes/s; times "
                     "are whole commands (start-up included)")
        if self.args.runs < 3:
            lines.append(f"- NOTE: {self.args.runs} run(s) only: not a median of >= 3")
        return "\n".join(lines)


def parse_args():
    parser = benchmark_parser(__doc__, ALL_CASES, peers=ALL_PEERS)
    parser.add_argument("--max-memory", default="",
                        help="trainload's --max-memory (default: the client's, 1 GiB)")
    args = parser.parse_args()
    check_common_args(parser, args, ALL_CASES, peers=ALL_PEERS)
    if args.max_memory:
        try:
            parse_size(args.max_memory)
        except ValueError as e:
            parser.error(f"--max-memory: {e}")
    for peer in args.peers:
        tool = ALL_PEERS[peer]
        if not (os.path.exists(tool) or shutil.which(tool)):
            parser.error(f"peer {peer}: {tool} not found (drop it with --peers)")
    return args


def main():
    args = parse_args()
    raise_on_sigterm()
    bench = ClientBench(args)
    return run_benchmark(bench, args.cases,
                         [("Targets", lambda: format_table(bench.target_rows())),
                          ("Every tool", bench.detail_table)])


if __name__ == "__main__":
    sys.exit(main())
