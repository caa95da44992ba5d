#!/usr/bin/python3
"""FUSE mount benchmark: `trainload mount` side by side with s3fs-fuse and rclone mount.

Every tool reads the same objects of the same `trainload server` (started here on 127.0.0.1,
a free port, --fsync off) in the same run; the issue "FUSE mount (Fast File mode)", section
Benchmark, is the spec. Cases (--quick scales the sizes down):

  seq     sequential read of a 2 GiB file with dd bs=1M, 1 reader, and 4 readers each reading
          one contiguous quarter. Tools: trainload mount, s3fs, rclone mount --vfs-cache-mode
          off and full, the same file on local disk, and `trainload cp` of the object to
          /dev/null and to a file. Targets: >= 3x s3fs, >= 0.7x `trainload cp` to /dev/null.
  small   10,000 x 64 KiB files read whole by 8 threads, cold (fresh mount every run).
          Target: >= 3x s3fs in files/s.
  random  4 threads reading 256 KiB at 4 KiB-aligned offsets of the 2 GiB file, the same
          offsets (fixed seed) for every tool. Target: >= 3x s3fs.
  list    `ls -lR` and `find` over 100,000 empty files in 100 directories, each on a fresh
          mount. Target: <= 1/3 of s3fs's time (>= 3x its files/s).
  cache   trainload mount --cache DIR, filled by one read, then read again on a fresh mount:
          >= 0.8x `cat` of the cache's block files. Both sides read from the disk (the pages of
          the block files are dropped before each run); a second row repeats both with the
          block files in the page cache. rclone's full cache, filled and read the same way, and
          the local file are shown for information.
  rss     peak RSS (VmHWM of the daemon) of trainload mount --max-memory 256MiB while 4
          sequential readers read the 2 GiB file: < --max-memory + 64 MiB. The seq case's
          4-reader runs (default budget, 1 GiB) are checked against the same rule.

Fairness: every run of every FUSE tool is a **fresh mount** (and rclone's full cache a fresh
cache directory), so no read is served by the kernel page cache or a tool's cache from an
earlier run; local files (and the cache's block files) are evicted from the page cache with
posix_fadvise(DONTNEED) before each run and are read from the disk. The server's own data
files stay in the page cache (they were just written; one unmeasured `trainload cp` reads the
big object first), the same for every tool. The measured time is the readers' wall time (dd,
or the reader threads' own clock), mount start-up and unmount not included. Tools run in a
different order every run; median of --runs (>= 3). Every read is checked: dd's byte counts,
sampled bytes of each file against the source, CRC32 of every random read and every small file
on each tool's first run (sizes on later runs), line counts of listings. Each mount is
unmounted in `finally` (fusermount3 -u, then -uz); the temporary directory
(/tmp/trainload-bench-*) and every process are removed at the end, also on failure or Ctrl-C.

  /usr/bin/python3 bench/mount_bench.py --trainload build/src/cli/trainload [--quick]
      [--cases seq,small,random,list,cache,rss] [--runs N] [--peers s3fs,rclone,rclone-full]
      [--max-memory N] [--rss-max-memory N] [--mount-read-ahead-kb N] [--perf DIR]
      [--workdir DIR]
"""

import argparse
import contextlib
import glob
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

from bench_support import (  # noqa: E402
    benchmark_parser, BenchmarkError, check_common_args, Children, cpu_seconds, drop_file_pages,
    file_pages_cached, format_detail_table, format_number, format_table, GIB, KIB, median,
    memory_status, MIB, parse_size, raise_on_sigterm, report_header, Row, run_benchmark, run_timed)

ALL_CASES = ("seq", "small", "random", "list", "cache", "rss")
ALL_PEERS = ("s3fs", "rclone", "rclone-full")
BUCKET = "bench"
BIG_KEY = "big/big.bin"
RSS_OVERHEAD = 64 * MIB  # the allowance over --max-memory
DEFAULT_BUDGET = GIB     # trainload's --max-memory when not given


class Sizes:
    """The workload sizes: the issue's by default, scaled down for --quick."""

    def __init__(self, quick):
        self.big = 256 * MIB if quick else 2 * GIB
        self.small_count = 1000 if quick else 10_000
        self.small_size = 64 * KIB
        self.small_dirs = 10
        self.small_threads = 8
        self.random_reads = 128 if quick else 1024
        self.random_size = 256 * KIB
        self.random_threads = 4
        self.list_dirs = 10 if quick else 100
        self.list_per_dir = 500 if quick else 1000

    def describe(self):
        return (f"seq/random/cache/rss: one {self.big // MIB} MiB object; small: "
                f"{self.small_count} x {self.small_size // KIB} KiB in {self.small_dirs} "
                f"directories, {self.small_threads} threads; random: {self.random_reads} reads "
                f"of {self.random_size // KIB} KiB, {self.random_threads} threads; list: "
                f"{self.list_dirs * self.list_per_dir} empty files in {self.list_dirs} "
                "directories")


def timeout_for(size, files=0):
    """A generous bound (slowest tool ~10 MB/s, 50 ms per file): a stuck run fails."""
    return int(120 + size / 10e6 + files * 0.05)


def write_random_file(path, size, seed):
    """`size` pseudo-random bytes (incompressible, deterministic), every MiB different."""
    import hashlib
    block = hashlib.shake_256(f"trainload-mount-bench-{seed}".encode()).digest(16 * MIB)
    with open(path, "wb") as f:
        written = 0
        piece = 0
        while written < size:
            head = hashlib.sha256(f"{seed}-{piece}".encode()).digest()
            chunk = (head + block[len(head):])[:size - written]
            f.write(chunk)
            written += len(chunk)
            piece += 1


# ---- reader workers (run as `mount_bench.py --worker ...` in their own process) --------------

def worker_random(args):
    """Reads (offset, length[, crc32]) jobs from a JSON file, split round-robin over threads,
    each thread with its own descriptor; prints {"seconds", "bytes", "reads"}."""
    with open(args.jobs) as f:
        jobs = json.load(f)
    errors = []
    done = [0]
    lock = threading.Lock()

    def run(share):
        fd = os.open(args.path, os.O_RDONLY)
        try:
            for job in share:
                data = os.pread(fd, job[1], job[0])
                if len(data) != job[1]:
                    raise BenchmarkError(f"pread {args.path} at {job[0]}: {len(data)} bytes, "
                                         f"expected {job[1]}")
                if args.verify and zlib.crc32(data) != job[2]:
                    raise BenchmarkError(f"pread {args.path} at {job[0]}: wrong bytes "
                                         "(CRC32 differs from the source)")
                with lock:
                    done[0] += len(data)
        except BaseException as e:  # noqa: BLE001 - reported below, the run fails
            errors.append(str(e))
        finally:
            os.close(fd)

    return run_threads(args.threads, jobs, run, errors, done, len(jobs))


def worker_files(args):
    """Reads whole files [(path, size[, crc32])] from a JSON file, split round-robin over
    threads; prints {"seconds", "bytes", "reads"}."""
    with open(args.jobs) as f:
        jobs = json.load(f)
    errors = []
    done = [0]
    lock = threading.Lock()

    def run(share):
        try:
            for job in share:
                fd = os.open(job[0], os.O_RDONLY)
                try:
                    parts = []
                    while True:
                        piece = os.read(fd, 1 << 20)
                        if not piece:
                            break
                        parts.append(piece)
                finally:
                    os.close(fd)
                data = b"".join(parts)
                if len(data) != job[1]:
                    raise BenchmarkError(f"read {job[0]}: {len(data)} bytes, expected {job[1]}")
                if args.verify and zlib.crc32(data) != job[2]:
                    raise BenchmarkError(f"read {job[0]}: wrong bytes (CRC32 differs)")
                with lock:
                    done[0] += len(data)
        except BaseException as e:  # noqa: BLE001 - reported below, the run fails
            errors.append(str(e))

    return run_threads(args.threads, jobs, run, errors, done, len(jobs))


def run_threads(count, jobs, fn, errors, done, reads):
    shares = [jobs[i::count] for i in range(count)]
    threads = [threading.Thread(target=fn, args=(share,)) for share in shares]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start
    if errors:
        print("\n".join(errors[:5]), file=sys.stderr)
        return 1
    print(json.dumps({"seconds": seconds, "bytes": done[0], "reads": reads}))
    return 0


def worker_main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=("random", "files"), required=True)
    parser.add_argument("--jobs", required=True)
    parser.add_argument("--path", default="")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args(argv)
    return worker_random(args) if args.worker == "random" else worker_files(args)


# ---- the benchmark ---------------------------------------------------------------------------

class Sample:
    """One run of one tool."""

    def __init__(self, rate, seconds, reader_cpu, mount_cpu, server_cpu, mount_hwm):
        self.rate = rate
        self.seconds = seconds
        self.reader_cpu = reader_cpu
        self.mount_cpu = mount_cpu    # None for tools without a mount process
        self.server_cpu = server_cpu
        self.mount_hwm = mount_hwm    # bytes, None without a mount process


class Operation:
    """One measured operation and every tool's samples of it."""

    def __init__(self, title, unit, amount):
        self.title = title
        self.unit = unit          # of rate
        self.amount = amount      # rate = amount / seconds
        self.samples = {}         # tool -> [Sample]

    def add(self, tool, sample):
        self.samples.setdefault(tool, []).append(sample)

    def rates(self, tool):
        return [s.rate for s in self.samples.get(tool, [])]


class TrainloadMount:
    """`trainload mount` in its default background mode: the command returns once the mount is
    live; the daemon's pid is found in /proc by its command line."""

    def __init__(self, children, argv, mountpoint, env):
        self.children = children
        self.argv = argv
        self.mountpoint = mountpoint
        self.env = env
        self.pid = None

    def start(self, timeout=60):
        from mount_support import daemon_pids
        os.makedirs(self.mountpoint, exist_ok=True)
        done = self.children.run(self.argv, timeout=timeout, env=self.env,
                                 stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise BenchmarkError(f"trainload mount failed ({done.returncode}): "
                                 f"{shlex.join(self.argv)}\n{done.stderr.strip()[-2000:]}")
        if not os.path.ismount(self.mountpoint):
            self.stop()
            raise BenchmarkError(f"trainload mount returned 0 but {self.mountpoint} is not a "
                                 "mount point")
        pids = daemon_pids(self.mountpoint)
        if len(pids) != 1:
            self.stop()
            raise BenchmarkError(f"expected one trainload mount daemon for {self.mountpoint}, "
                                 f"found pids {pids}")
        self.pid = pids[0]
        return self

    def stop(self, timeout=60):
        from mount_support import daemon_pids
        from peers import unmount_fuse
        unmount_fuse(self.mountpoint)
        deadline = time.monotonic() + timeout
        while daemon_pids(self.mountpoint) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in daemon_pids(self.mountpoint):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        unmount_fuse(self.mountpoint)
        self.pid = None


class MountBench:
    """One benchmark run: a trainload server, its data, and the mount points, in one temp dir."""

    def __init__(self, args):
        from trainload_server import TrainloadServer
        self.args = args
        self.sizes = Sizes(args.quick)
        self.children = Children()
        self.root = tempfile.mkdtemp(prefix="trainload-bench-", dir=args.workdir)
        self.src = os.path.join(self.root, "src")       # the bucket's contents, as local files
        self.mnt = os.path.join(self.root, "mnt")
        self.out = os.path.join(self.root, "out")
        self.err_dir = os.path.join(self.root, "stderr")
        self.jobs_dir = os.path.join(self.root, "jobs")
        for d in (self.src, self.mnt, self.out, self.err_dir, self.jobs_dir):
            os.makedirs(d)
        self.server = TrainloadServer(args.trainload, os.path.join(self.root, "data"),
                                      fsync="off")
        self.env = None
        self.mounts = []           # live mounts, stopped in close()
        self.operations = []
        self.rss_rows = []
        self.notes = []
        self.checked = set()       # (tool, op title) whose bytes were fully checked
        self.read_ahead = {}       # tool -> its mounts' bdi read_ahead_kb
        self.counter = 0

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self):
        from peer_support import tool_env
        from peers import write_rclone_config
        self.server.start()
        self.env = self.server.client_env(base=tool_env())
        done = self.children.run(self.trainload("mb", f"s3://{BUCKET}"), timeout=60,
                                 env=self.env)
        if done.returncode != 0:
            raise BenchmarkError(f"trainload mb: {done.stderr}")
        self.passwd = os.path.join(self.root, "s3fs-passwd")
        with open(self.passwd, "w") as f:
            f.write(f"{self.server.access_key}:{self.server.secret_key}\n")
        os.chmod(self.passwd, 0o600)
        self.rclone_config = write_rclone_config(os.path.join(self.root, "rclone.conf"),
                                                 self.server.endpoint, self.server.access_key,
                                                 self.server.secret_key)

    def close(self):
        for m in list(self.mounts):
            try:
                m.stop()
            except Exception as e:  # noqa: BLE001 - keep cleaning up
                print(f"unmounting {m.mountpoint}: {e}", file=sys.stderr)
        self.children.kill_all()
        self.server.stop()
        from peers import unmount_fuse
        for path in glob.glob(os.path.join(self.mnt, "*")):
            unmount_fuse(path)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self, text):
        print(text, flush=True)

    # ---- commands and mounts ----------------------------------------------------------------

    def trainload(self, *args):
        return [self.args.trainload, *args, "--endpoint-url", self.server.endpoint]

    def uri(self, key):
        return f"s3://{BUCKET}/{key}"

    def peers(self):
        return [p for p in ALL_PEERS if p in self.args.peers]

    def new_dir(self, name):
        self.counter += 1
        path = os.path.join(self.root, f"{name}-{self.counter}")
        os.makedirs(path)
        return path

    def mount(self, tool, cache_dir=None, extra=()):
        """A fresh mount of the bucket by `tool`; the caller stops it (in `finally`)."""
        from peers import ForegroundMount, rclone_mount_command, s3fs_mount_command
        self.counter += 1
        mountpoint = os.path.join(self.mnt, f"{tool}-{self.counter}")
        os.makedirs(mountpoint)
        log = os.path.join(self.err_dir, f"{tool}-{self.counter}.log")
        if tool == "trainload":
            argv = self.trainload("mount", f"s3://{BUCKET}", mountpoint, *extra)
            if self.args.max_memory and "--max-memory" not in extra:
                argv += ["--max-memory", self.args.max_memory]
            if cache_dir:
                argv += ["--cache", cache_dir]
            m = TrainloadMount(self.children, argv, mountpoint, self.env)
        elif tool == "s3fs":
            argv = s3fs_mount_command(BUCKET, mountpoint, self.server.endpoint, self.passwd)
            m = ForegroundMount(self.children, argv, mountpoint, log, self.env)
        elif tool in ("rclone", "rclone-full"):
            mode = "full" if tool == "rclone-full" else "off"
            if mode == "full" and not cache_dir:
                raise BenchmarkError("rclone-full needs a cache directory")
            argv = rclone_mount_command(self.rclone_config, f"tl:{BUCKET}", mountpoint, mode,
                                        cache_dir)
            m = ForegroundMount(self.children, argv, mountpoint, log, self.env)
        else:
            raise BenchmarkError(f"unknown mount tool {tool}")
        self.mounts.append(m)
        try:
            m.start()
            self.tune_read_ahead(tool, mountpoint)
        except BaseException:
            self.unmount(m)
            raise
        return m

    def tune_read_ahead(self, tool, mountpoint):
        """Records the kernel read-ahead of the mount's backing device (FUSE takes the smaller
        of the bdi default, 128 KiB, and what the file system asked for at init) and, with
        --mount-read-ahead-kb, sets it, the same for every tool."""
        st = os.stat(mountpoint)
        path = f"/sys/class/bdi/{os.major(st.st_dev)}:{os.minor(st.st_dev)}/read_ahead_kb"
        if self.args.mount_read_ahead_kb:
            with open(path, "w") as f:
                f.write(str(self.args.mount_read_ahead_kb))
        with open(path) as f:
            value = f.read().strip()
        if tool not in self.read_ahead:
            self.read_ahead[tool] = value
            self.notes.append(f"{tool}: kernel read-ahead of the mount (bdi read_ahead_kb) "
                              f"{value} KiB")

    def unmount(self, m):
        try:
            m.stop()
        finally:
            if m in self.mounts:
                self.mounts.remove(m)

    @contextlib.contextmanager
    def fresh_mount(self, tool):
        """A new mount of `tool` (rclone-full with a new, empty cache directory): no read is
        served by an earlier run. Unmounted, and the cache removed, on leaving."""
        cache = self.new_dir("rclone-cache") if tool == "rclone-full" else None
        m = self.mount(tool, cache_dir=cache)
        try:
            yield m
        finally:
            self.unmount(m)
            if cache:
                shutil.rmtree(cache, ignore_errors=True)

    def tools_on_fresh_mounts(self, read, local, peers=None):
        """(name, fn(rep)) for trainload and each peer, where fn calls read(tool, mount, rep)
        on a fresh mount, then ("local disk", local)."""
        def on_fresh_mount(tool):
            def fn(rep):
                with self.fresh_mount(tool) as m:
                    read(tool, m, rep)
            return fn
        names = ["trainload"] + list(self.peers() if peers is None else peers)
        return [(name, on_fresh_mount(name)) for name in names] + [("local disk", local)]

    def run_worker(self, op, tool, args, timeout, mount_pid, perf_name):
        """One sample of `op`: this program's `--worker` mode with `args`, timed by itself."""
        out = tempfile.TemporaryFile(dir=self.root)
        try:
            argv = [sys.executable, os.path.abspath(__file__), "--worker"] + args
            self.measure(op, tool, [self.spawn(argv, out)], timeout, mount_pid, worker=True,
                         perf_name=perf_name if tool == "trainload" else None)
        finally:
            out.close()

    # ---- measuring --------------------------------------------------------------------------

    def measure(self, op, tool, commands, timeout, mount_pid=None, after=None, worker=False,
                perf_name=None):
        """Runs `commands` (all at once) as one sample of `tool` in `op`. `after(run)` checks
        the result. With `worker`, the rate comes from the reader's own clock (its JSON line on
        stdout), else from the wall time of the commands."""
        server_pid = self.server.process.pid
        server_before = cpu_seconds(server_pid)
        mount_before = cpu_seconds(mount_pid) if mount_pid else None
        perf = self.start_perf(mount_pid, perf_name) if perf_name else None
        try:
            run = run_timed(self.children, commands, timeout, self.err_dir)
        finally:
            if perf:
                self.stop_perf(perf)
        server_cpu = cpu_seconds(server_pid) - server_before
        mount_cpu = cpu_seconds(mount_pid) - mount_before if mount_pid else None
        try:
            hwm = memory_status(mount_pid)["VmHWM"] if mount_pid else None
        except OSError:
            raise BenchmarkError(f"{tool} ({op.title}): the mount process {mount_pid} is gone "
                                 "after the run") from None
        for (argv, _), code, err in zip(commands, run.returncodes, run.stderr):
            if code != 0:
                raise BenchmarkError(f"{tool} ({op.title}) exited with {code}: "
                                     f"{shlex.join(argv)[:300]}\n{err.strip()[-2000:]}")
        seconds = run.seconds
        if worker:
            seconds = 0.0
            for (argv, kwargs) in commands:
                kwargs["stdout"].seek(0)
                report = json.loads(kwargs["stdout"].read().decode().strip().splitlines()[-1])
                seconds = max(seconds, report["seconds"])
        if after:
            after(run)
        sample = Sample(op.amount / seconds, seconds, run.total_cpu(), mount_cpu, server_cpu,
                        hwm)
        op.add(tool, sample)
        extra = ""
        if mount_cpu is not None:
            extra = f", mount CPU {mount_cpu:.2f} s, mount VmHWM {hwm / MIB:.0f} MiB"
        self.log(f"  {op.title} | {tool}: {sample.rate:.4g} {op.unit} ({seconds:.2f} s, "
                 f"reader CPU {sample.reader_cpu:.2f} s, server CPU {server_cpu:.2f} s{extra})")
        return sample

    def start_perf(self, pid, name):
        if not self.args.perf or not pid:
            return None
        os.makedirs(self.args.perf, exist_ok=True)
        data = os.path.join(self.args.perf, f"{name}.data")
        # cpu-clock: VMs often have no hardware counters; dwarf: the binary keeps no frame
        # pointers, so -g alone loses the callers of libc and libcurl functions.
        proc = self.children.popen(["perf", "record", "-e", "cpu-clock", "-F", "499",
                                    "--call-graph", "dwarf,16384", "-p", str(pid), "-o", data],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # perf attaches before the readers start
        return proc, data, name

    def stop_perf(self, perf):
        proc, data, name = perf
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        report = os.path.join(self.args.perf, f"{name}.txt")
        with open(report, "w") as out:
            subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                            "--percent-limit", "0.5", "--sort", "dso,symbol", "-g", "none"],
                           stdout=out, stderr=subprocess.DEVNULL, timeout=600)
        self.log(f"  perf profile of trainload mount: {report}")

    def rotated(self, tools, rep):
        k = rep % len(tools)
        return tools[k:] + tools[:k]

    def run_operation(self, ops, tools):
        """`tools`: [(name, fn(rep))]; each fn measures one sample of its tool for every op in
        `ops` (an op may share one mount per run, e.g. 1 then 4 readers)."""
        self.operations.extend(ops)
        for rep in range(self.args.runs):
            for name, fn in self.rotated(tools, rep):
                fn(rep)

    def spawn(self, argv, stdout=subprocess.DEVNULL):
        return argv, {"stdout": stdout, "stdin": subprocess.DEVNULL, "env": self.env}

    def first_check(self, tool, op):
        key = (tool, op.title)
        if key in self.checked:
            return False
        self.checked.add(key)
        return True

    # ---- data -------------------------------------------------------------------------------

    def upload(self, local, key, recursive=False, count=1):
        argv = self.trainload("cp", "-q", *(["-r"] if recursive else []), local, self.uri(key))
        start = time.monotonic()
        done = self.children.run(argv, timeout=timeout_for(GIB, count), env=self.env)
        if done.returncode != 0:
            raise BenchmarkError(f"{shlex.join(argv)}: {done.stderr[-2000:]}")
        seconds = time.monotonic() - start
        listed = self.children.run(self.trainload("ls", "-r", self.uri(key)), timeout=600,
                                   env=self.env)
        found = len([line for line in listed.stdout.splitlines() if line.strip()])
        if listed.returncode != 0 or found != count:
            raise BenchmarkError(f"uploaded {count} objects under {key}, listed {found}: "
                                 f"{listed.stderr[-500:]}")
        return seconds

    def big_source(self):
        path = os.path.join(self.src, BIG_KEY)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_random_file(path, self.sizes.big, "big")
            seconds = self.upload(path, BIG_KEY)
            self.notes.append(f"setup: `trainload cp` uploaded the {self.sizes.big // MIB} MiB "
                              f"object in {seconds:.1f} s")
        # The server's data file into the page cache, for every tool alike (not measured).
        done = self.children.run(self.trainload("cp", "-q", self.uri(BIG_KEY), "/dev/null"),
                                 timeout=timeout_for(self.sizes.big), env=self.env)
        if done.returncode != 0:
            raise BenchmarkError(f"trainload cp {BIG_KEY} /dev/null: {done.stderr}")
        return path

    def check_ranges(self, path, source, tool):
        """Compares 8 MiB-sized samples (start, end, 6 inside) of `path` with `source`."""
        size = os.path.getsize(source)
        if os.path.getsize(path) != size:
            raise BenchmarkError(f"{tool}: {path} has {os.path.getsize(path)} bytes, expected "
                                 f"{size}")
        offsets = sorted({0, max(0, size - MIB)} |
                         {(size // 7) * i // MIB * MIB for i in range(1, 7)})
        with open(path, "rb") as a, open(source, "rb") as b:
            for offset in offsets:
                a.seek(offset)
                b.seek(offset)
                if a.read(MIB) != b.read(MIB):
                    raise BenchmarkError(f"{tool}: {path} differs from the source in the MiB at "
                                         f"offset {offset}")

    # ---- case: sequential -------------------------------------------------------------------

    def dd_commands(self, path, size, readers):
        from peers import byte_ranges
        cmds = []
        for first, last in byte_ranges(size, readers):
            argv = ["dd", f"if={path}", "of=/dev/null", "bs=1M", f"skip={first}",
                    f"count={last - first + 1}", "iflag=skip_bytes,count_bytes"]
            cmds.append(self.spawn(argv))
        return cmds

    @staticmethod
    def check_dd(run, size, readers, tool):
        from peers import byte_ranges
        for (first, last), err in zip(byte_ranges(size, readers), run.stderr):
            m = re.search(r"^(\d+) bytes", err, re.M)
            if not m or int(m.group(1)) != last - first + 1:
                raise BenchmarkError(f"{tool}: dd read {m.group(1) if m else '?'} bytes, "
                                     f"expected {last - first + 1}: {err.strip()[-300:]}")

    def case_seq(self):
        size = self.sizes.big
        source = self.big_source()
        gib = f"{size / GIB:g} GiB" if size >= GIB else f"{size // MIB} MiB"
        ops = {n: Operation(f"seq read {gib}, {n} reader{'s' if n > 1 else ''}", "MB/s",
                            size / 1e6) for n in (1, 4)}
        timeout = timeout_for(size)

        def read(tool, m, rep, readers):
            path = os.path.join(m.mountpoint, BIG_KEY)
            sample = self.measure(
                ops[readers], tool, self.dd_commands(path, size, readers), timeout, m.pid,
                lambda run: self.check_dd(run, size, readers, tool),
                perf_name=f"seq-{readers}-run{rep}" if tool == "trainload" else None)
            if tool == "trainload" and readers == 4:
                self.seq4_hwm.append(sample.mount_hwm / MIB)
            self.check_ranges(path, source, tool)

        def mounted(tool):
            def fn(rep):
                for readers in (1, 4):  # a fresh mount each: nothing read by the 1-reader run
                    with self.fresh_mount(tool) as m:
                        read(tool, m, rep, readers)
            return fn

        def local(rep):
            for readers in (1, 4):
                drop_file_pages([source])
                self.measure(ops[readers], "local disk", self.dd_commands(source, size, readers),
                             timeout, after=lambda run: self.check_dd(run, size, readers,
                                                                      "local"))

        cp_null = Operation(f"seq read {gib}: trainload cp", "MB/s", size / 1e6)
        self.cp_null_op = cp_null

        def cp(rep):
            self.measure(cp_null, "trainload cp to /dev/null",
                         [self.spawn(self.trainload("cp", "-q", self.uri(BIG_KEY),
                                                    "/dev/null"))], timeout)
            dest = os.path.join(self.out, "big.bin")
            try:
                self.measure(cp_null, "trainload cp to a file",
                             [self.spawn(self.trainload("cp", "-q", self.uri(BIG_KEY), dest))],
                             timeout, after=lambda run: self.check_ranges(dest, source, "cp"))
            finally:
                if os.path.exists(dest):
                    os.unlink(dest)
                os.sync()  # its writeback is not charged to the next tool

        self.seq4_hwm = []
        tools = [("trainload", mounted("trainload"))]
        tools += [(p, mounted(p)) for p in self.peers()]
        tools += [("local disk", local), ("trainload cp", cp)]
        self.run_operation([ops[1], ops[4], cp_null], tools)
        self.seq_ops = ops
        budget = parse_size(self.args.max_memory) if self.args.max_memory else DEFAULT_BUDGET
        self.rss_row(f"{ops[4].title}, --max-memory {budget // MIB} MiB", self.seq4_hwm,
                     budget)

    # ---- case: small files ------------------------------------------------------------------

    def case_small(self):
        sz = self.sizes
        import hashlib
        root = os.path.join(self.src, "small")
        jobs = []
        for i in range(sz.small_count):
            rel = f"small/d{i % sz.small_dirs:02d}/f{i:06d}.bin"
            path = os.path.join(self.src, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = hashlib.shake_256(f"small-{i}".encode()).digest(sz.small_size)
            with open(path, "wb") as f:
                f.write(data)
            jobs.append((rel, sz.small_size, zlib.crc32(data)))
        seconds = self.upload(root, "small/", recursive=True, count=sz.small_count)
        self.notes.append(f"setup: `trainload cp -r` uploaded {sz.small_count} x "
                          f"{sz.small_size // KIB} KiB in {seconds:.1f} s")
        op = Operation(f"{sz.small_count} x {sz.small_size // KIB} KiB files, "
                       f"{sz.small_threads} threads, cold", "files/s", sz.small_count)
        timeout = timeout_for(sz.small_count * sz.small_size, sz.small_count)

        def run_reader(tool, base, mount_pid, rep):
            job_file = os.path.join(self.jobs_dir, "small.json")
            with open(job_file, "w") as f:
                json.dump([(os.path.join(base, rel), size, crc) for rel, size, crc in jobs], f)
            args = ["files", "--jobs", job_file, "--threads", str(sz.small_threads)]
            if self.first_check(tool, op):
                args.append("--verify")
            self.run_worker(op, tool, args, timeout, mount_pid, f"small-run{rep}")

        def local(rep):
            drop_file_pages([os.path.join(self.src, rel) for rel, _, _ in jobs])
            run_reader("local disk", self.src, None, rep)

        self.run_operation([op], self.tools_on_fresh_mounts(
            lambda tool, m, rep: run_reader(tool, m.mountpoint, m.pid, rep), local))

    # ---- case: random reads -----------------------------------------------------------------

    def case_random(self):
        sz = self.sizes
        size = self.sizes.big
        source = self.big_source()
        rng = random.Random(4)  # the same offsets for every tool and every run
        pages = (size - sz.random_size) // (4 * KIB)
        offsets = [rng.randrange(pages + 1) * 4 * KIB for _ in range(sz.random_reads)]
        jobs = []
        with open(source, "rb") as f:
            for offset in offsets:
                f.seek(offset)
                jobs.append((offset, sz.random_size, zlib.crc32(f.read(sz.random_size))))
        job_file = os.path.join(self.jobs_dir, "random.json")
        with open(job_file, "w") as f:
            json.dump(jobs, f)
        op = Operation(f"random {sz.random_size // KIB} KiB reads, {sz.random_threads} threads",
                       "reads/s", sz.random_reads)
        timeout = timeout_for(sz.random_reads * sz.random_size * 8, sz.random_reads)

        def run_reader(tool, path, mount_pid, rep):
            args = ["random", "--jobs", job_file, "--path", path, "--threads",
                    str(sz.random_threads)]
            if self.first_check(tool, op):
                args.append("--verify")
            self.run_worker(op, tool, args, timeout, mount_pid, f"random-run{rep}")

        def local(rep):
            drop_file_pages([source])
            run_reader("local disk", source, None, rep)

        self.run_operation([op], self.tools_on_fresh_mounts(
            lambda tool, m, rep: run_reader(tool, os.path.join(m.mountpoint, BIG_KEY), m.pid,
                                            rep), local))

    # ---- case: listing ----------------------------------------------------------------------

    def case_list(self):
        sz = self.sizes
        root = os.path.join(self.src, "list")
        count = sz.list_dirs * sz.list_per_dir
        for d in range(sz.list_dirs):
            directory = os.path.join(root, f"shard-{d:03d}")
            os.makedirs(directory)
            for i in range(sz.list_per_dir):
                # Empty objects: the listing, not the data, is measured.
                open(os.path.join(directory, f"sample-{d * sz.list_per_dir + i:07d}.jpg"),
                     "wb").close()
        seconds = self.upload(root, "list/", recursive=True, count=count)
        self.notes.append(f"setup: `trainload cp -r` created {count} empty objects in "
                          f"{seconds:.1f} s ({count / seconds:.0f} objects/s)")
        ops = {
            "ls": Operation(f"`ls -lR` of {count} files", "files/s", count),
            "find": Operation(f"`find` over {count} files", "files/s", count),
        }
        listing = os.path.join(self.out, "listing.txt")
        timeout = 900

        def run_list(tool, kind, base, mount_pid, rep):
            target = os.path.join(base, "list")
            argv = ["ls", "-lR", target] if kind == "ls" else ["find", target]

            def after(run):
                with open(listing, "rb") as f:
                    lines = f.read().splitlines()
                if kind == "ls":
                    found = len([line for line in lines if b" sample-" in line])
                    want = count
                else:
                    found = len(lines)
                    want = count + sz.list_dirs + 1
                if found != want:
                    raise BenchmarkError(f"{tool}: {shlex.join(argv)} gave {found} lines, "
                                         f"expected {want}")
            try:
                with open(listing, "wb") as out:
                    self.measure(ops[kind], tool, [self.spawn(argv, out)], timeout, mount_pid,
                                 after, perf_name=(f"{kind}-run{rep}" if tool == "trainload"
                                                   else None))
            finally:
                os.unlink(listing)

        def mounted(tool):
            def fn(rep):
                for kind in ("ls", "find"):  # a fresh mount each: no listing cached
                    with self.fresh_mount(tool) as m:
                        run_list(tool, kind, m.mountpoint, m.pid, rep)
            return fn

        def local(rep):
            for kind in ("ls", "find"):
                run_list("local disk (dentries cached)", kind, self.src, None, rep)

        # rclone's full cache keeps data, not listings: its listing is that of cache mode off.
        tools = [("trainload", mounted("trainload"))]
        tools += [(p, mounted(p)) for p in self.peers() if p != "rclone-full"]
        tools.append(("local disk", local))
        self.run_operation([ops["ls"], ops["find"]], tools)

    # ---- case: warm local cache -------------------------------------------------------------

    def case_cache(self):
        size = self.sizes.big
        source = self.big_source()
        gib = f"{size / GIB:g} GiB" if size >= GIB else f"{size // MIB} MiB"
        timeout = timeout_for(size)
        cache_dir = self.new_dir("trainload-cache")
        max_cache = f"{(size + GIB) // MIB}MiB"
        extra = ("--max-cache-size", max_cache)

        # Fill: one read through a fresh mount with an empty cache.
        m = self.mount("trainload", cache_dir=cache_dir, extra=extra)
        try:
            path = os.path.join(m.mountpoint, BIG_KEY)
            done = self.children.run(["dd", f"if={path}", "of=/dev/null", "bs=1M"],
                                     timeout=timeout)
            if done.returncode != 0:
                raise BenchmarkError(f"filling the cache: {done.stderr}")
        finally:
            self.unmount(m)
        blocks = sorted(glob.glob(os.path.join(cache_dir, "v1", "??", "*", "[0-9]*")),
                        key=lambda p: int(os.path.basename(p)))
        want_blocks = -(-size // MIB)
        if len(blocks) != want_blocks:
            raise BenchmarkError(f"the trainload cache holds {len(blocks)} block files after a "
                                 f"full read, expected {want_blocks} (1 MiB blocks)")
        cache_bytes = sum(os.path.getsize(b) for b in blocks)
        self.notes.append(f"cache: {len(blocks)} block files, {cache_bytes} bytes "
                          f"({cache_bytes - size} bytes of headers)")

        ops = {warm: Operation(f"warm cache read {gib}, block files "
                               f"{'in page cache' if warm else 'on disk'}", "MB/s", size / 1e6)
               for warm in (False, True)}

        def prepare(paths, warm):
            if warm:
                for p in paths:  # into the page cache
                    with open(p, "rb") as f:
                        while f.read(16 * MIB):
                            pass
            else:
                drop_file_pages(paths)
                cached = sum(file_pages_cached(p) for p in paths)
                if cached > 0.01 * sum(os.path.getsize(p) for p in paths):
                    raise BenchmarkError(f"{cached} bytes still in the page cache after "
                                         "posix_fadvise(DONTNEED)")

        def trainload(rep):
            for warm in (False, True):
                prepare(blocks, warm)
                m = self.mount("trainload", cache_dir=cache_dir, extra=extra)
                try:
                    path = os.path.join(m.mountpoint, BIG_KEY)
                    self.measure(ops[warm], "trainload (--cache)",
                                 self.dd_commands(path, size, 1), timeout, m.pid,
                                 lambda run: self.check_dd(run, size, 1, "trainload"),
                                 perf_name=f"cache-{'warm' if warm else 'disk'}-run{rep}")
                    self.check_ranges(path, source, "trainload --cache")
                finally:
                    self.unmount(m)

        def cat_blocks(rep):
            for warm in (False, True):
                prepare(blocks, warm)

                # To /dev/null, as dd writes what it reads through the mount (the block
                # files' sizes were checked above).
                self.measure(ops[warm], "cat of the block files", [self.spawn(["cat", *blocks])],
                             timeout)

        def local(rep):
            for warm in (False, True):
                prepare([source], warm)
                self.measure(ops[warm], "local file", self.dd_commands(source, size, 1),
                             timeout, after=lambda run: self.check_dd(run, size, 1, "local"))

        tools = [("trainload", trainload), ("cat", cat_blocks), ("local", local)]
        rclone_files = []
        if "rclone-full" in self.peers():
            rclone_cache = self.new_dir("rclone-warm-cache")
            m = self.mount("rclone-full", cache_dir=rclone_cache)
            try:
                path = os.path.join(m.mountpoint, BIG_KEY)
                done = self.children.run(["dd", f"if={path}", "of=/dev/null", "bs=1M"],
                                         timeout=timeout)
                if done.returncode != 0:
                    raise BenchmarkError(f"filling rclone's cache: {done.stderr}")
            finally:
                self.unmount(m)
            rclone_files = [p for p in glob.glob(os.path.join(rclone_cache, "vfs", "**"),
                                                 recursive=True) if os.path.isfile(p)]

            def rclone_warm(rep):
                for warm in (False, True):
                    prepare(rclone_files, warm)
                    m = self.mount("rclone-full", cache_dir=rclone_cache)
                    try:
                        path = os.path.join(m.mountpoint, BIG_KEY)
                        self.measure(ops[warm], "rclone-full (cache filled)",
                                     self.dd_commands(path, size, 1), timeout, m.pid,
                                     lambda run: self.check_dd(run, size, 1, "rclone-full"))
                    finally:
                        self.unmount(m)
            tools.append(("rclone-full", rclone_warm))
        self.run_operation([ops[False], ops[True]], tools)
        self.cache_ops = ops

    # ---- case: memory under 4 readers -------------------------------------------------------

    def case_rss(self):
        size = self.sizes.big
        source = self.big_source()
        budget_text = self.args.rss_max_memory
        budget = parse_size(budget_text)
        op = Operation(f"rss: 4 sequential readers, --max-memory {budget_text}", "MB/s",
                       size / 1e6)
        hwm = []

        def fn(rep):
            m = self.mount("trainload", extra=("--max-memory", budget_text))
            try:
                path = os.path.join(m.mountpoint, BIG_KEY)
                sample = self.measure(op, "trainload", self.dd_commands(path, size, 4),
                                      timeout_for(size), m.pid,
                                      lambda run: self.check_dd(run, size, 4, "trainload"))
                hwm.append(sample.mount_hwm / MIB)
                self.check_ranges(path, source, "trainload")
            finally:
                self.unmount(m)

        self.run_operation([op], [("trainload", fn)])
        self.rss_row(op.title, hwm, budget)

    def rss_row(self, title, hwm, budget):
        """The target is on the peak: the largest VmHWM of the runs (each listed in a note)."""
        self.rss_rows.append(Row(f"{title} (max of {len(hwm)} runs)", "mount VmHWM", "MiB",
                                 [max(hwm)], limit=(budget + RSS_OVERHEAD) / MIB))
        self.notes.append(f"{title}: trainload mount VmHWM per run " +
                          ", ".join(f"{v:.0f}" for v in hwm) + " MiB")

    # ---- report -------------------------------------------------------------------------------

    def target_rows(self):
        rows = []
        for op in self.operations:
            tl = op.rates("trainload")
            if tl and op.rates("s3fs"):
                rows.append(Row(op.title, "rate", op.unit, tl, "s3fs", op.rates("s3fs"),
                                target_ratio=3.0))
            if tl and op.title.startswith("seq read") and hasattr(self, "cp_null_op"):
                cp = self.cp_null_op.rates("trainload cp to /dev/null")
                if cp:
                    rows.append(Row(op.title, "rate", op.unit, tl, "trainload cp to /dev/null",
                                    cp, target_ratio=0.7))
        for op in getattr(self, "cache_ops", {}).values():
            rows.append(Row(op.title, "rate", op.unit, op.rates("trainload (--cache)"),
                            "cat of the block files", op.rates("cat of the block files"),
                            target_ratio=0.8))
        return rows + self.rss_rows

    def detail_table(self):
        header = ["operation", "tool", "median", "runs", "trainload / tool", "reader CPU s",
                  "mount CPU s", "server CPU s", "mount VmHWM MiB"]
        rows = []
        for op in self.operations:
            ref = op.rates("trainload") or op.rates("trainload (--cache)")
            for name in sorted(op.samples, key=lambda n: -median(op.rates(n))):
                samples = op.samples[name]
                m = median(op.rates(name))
                mount_cpu = [s.mount_cpu for s in samples if s.mount_cpu is not None]
                hwm = [s.mount_hwm for s in samples if s.mount_hwm is not None]
                rows.append([
                    op.title, name, f"{format_number(m)} {op.unit}",
                    ", ".join(format_number(r) for r in op.rates(name)),
                    f"{median(ref) / m:.2f}x" if ref and name not in ("trainload",
                                                                      "trainload (--cache)")
                    else "",
                    format_number(median([s.reader_cpu for s in samples])),
                    format_number(median(mount_cpu)) if mount_cpu else "",
                    format_number(median([s.server_cpu for s in samples])),
                    format_number(max(hwm) / MIB) if hwm else "",
                ])
        return format_detail_table(header, rows)

    def header(self):
        lines = report_header("## trainload mount benchmark", self.root, {
            "trainload": [self.args.trainload, "--version"],
            "s3fs": ["s3fs", "--version"],
            "rclone": ["rclone", "version"],
            "fuse3": ["fusermount3", "--version"],
            "dd": ["dd", "--version"],
        })
        lines.append(f"- sizes: {self.sizes.describe()}")
        lines.append(f"- peers: {', '.join(self.peers())}; s3fs and rclone with their default "
                     "settings (rclone --vfs-cache-mode off / full); trainload mount with its "
                     "defaults" + (f" and --max-memory {self.args.max_memory}"
                                   if self.args.max_memory else ""))
        load = float(open("/proc/loadavg").read().split()[0])
        if load > (os.cpu_count() or 1) * 0.5:
            lines.append(f"- WARNING: load average {load:.1f} on {os.cpu_count()} cores before "
                         "the run: other work shares the CPUs, so ratios are noisy")
        if self.args.mount_read_ahead_kb:
            lines.append(f"- every FUSE mount's bdi read_ahead_kb set to "
                         f"{self.args.mount_read_ahead_kb} after mounting (all tools alike)")
        lines.append(f"- median of {self.args.runs} runs; MB/s = 10^6 bytes/s; fresh mount "
                     "per run; local files read from disk (pages dropped), server data files "
                     "in the page cache")
        if self.args.runs < 3:
            lines.append(f"- NOTE: {self.args.runs} run(s) only: not a median of >= 3")
        return "\n".join(lines)


def parse_args():
    parser = benchmark_parser(__doc__, ALL_CASES, peers=ALL_PEERS)
    parser.add_argument("--max-memory", default="",
                        help="trainload mount's --max-memory in every case but rss "
                             "(default: its own, 1 GiB)")
    parser.add_argument("--rss-max-memory", default="256MiB",
                        help="trainload mount's --max-memory in the rss case")
    parser.add_argument("--perf", default="",
                        help="directory for `perf record -g` profiles of the trainload mount "
                             "daemon during its measured runs (slows them down)")
    parser.add_argument("--mount-read-ahead-kb", type=int, default=0,
                        help="set every FUSE mount's kernel read-ahead (/sys/class/bdi/<dev>/"
                             "read_ahead_kb) to this many KiB after mounting, for every tool "
                             "alike (default: leave the kernel's value)")
    args = parser.parse_args()
    check_common_args(parser, args, ALL_CASES, peers=ALL_PEERS)
    for flag, value in (("--max-memory", args.max_memory),
                        ("--rss-max-memory", args.rss_max_memory)):
        if value:
            try:
                parse_size(value)
            except ValueError as e:
                parser.error(f"{flag}: {e}")
    if args.perf:
        args.perf = os.path.abspath(args.perf)
    for tool in ["dd", "ls", "find", "fusermount3"] + (["perf"] if args.perf else []) + [
            {"s3fs": "s3fs", "rclone": "rclone", "rclone-full": "rclone"}[p] for p in args.peers]:
        if not shutil.which(tool):
            parser.error(f"{tool} not found on PATH")
    if not os.path.exists("/dev/fuse"):
        parser.error("/dev/fuse is missing: the mounts need FUSE")
    return args


def main():
    if "--worker" in sys.argv[1:]:
        return worker_main(sys.argv[1:])
    args = parse_args()
    raise_on_sigterm()
    bench = MountBench(args)
    if args.max_memory:
        bench.notes.append(f"trainload mount --max-memory {args.max_memory}")
    return run_benchmark(bench, args.cases,
                         [("Targets", lambda: format_table(bench.target_rows())),
                          ("Every tool", bench.detail_table)])


if __name__ == "__main__":
    sys.exit(main())
