#!/usr/bin/python3
"""Object server benchmark: `trainload server` side by side with its ceilings, on one disk.

Cases (the issue "general purpose buckets"; sizes of a default run, --quick scales them down):

  get    GET of a 1 GiB object with curl, 1 stream and 4 parallel ranged streams, against
         nginx serving the very same data file. Target: trainload >= 0.9x nginx.
  small  GET of 1,000 distinct 16 KiB objects, wrk -t2 -c64 -d10s cycling over presigned URLs,
         against nginx serving the same 1,000 data files. Target: >= 0.8x nginx requests/s.
  put    PUT of a 1 GiB object (curl), and of 1,000 x 1 MiB objects from 8 clients (8 curl
         processes, one keep-alive connection each), server with --fsync on, against fio
         writing the same bytes sequentially with one fsync per file. Target: >= 0.7x fio.
  rss    Server peak RSS (VmHWM, reset before the run) while 8 curl clients each GET a whole
         4 GiB object. Target: < 256 MiB.

Every measurement is repeated (--repeat, default 3; trainload and the peer alternate who goes
first) and the median is reported. Reads are measured on a warm page cache (every object is
read once before timing) unless --cold, which drops the page cache before each read run (root
only; it slows every other process on the machine). Everything listens on 127.0.0.1 on free
ports; the servers are stopped and the temporary directory removed at the end, also on
failure or Ctrl-C.

  /usr/bin/python3 bench/server_bench.py --trainload build/src/cli/trainload [--quick]
      [--cases get,small,put,rss] [--repeat N] [--workdir DIR] [--cold]
"""

import hashlib
import http.client
import os
import shutil
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from bench_support import (  # noqa: E402
    benchmark_parser, BenchmarkError, check_common_args, Children, cpu_seconds, format_table, GIB,
    KIB, median, memory_status, MemorySampler, MIB, raise_on_sigterm, report_header,
    reset_peak_rss, Row, run_benchmark)
from peers import (NginxServer, curl_get_all, curl_get_streams, curl_put_batch,  # noqa: E402
                   fio_write, run_wrk)
from trainload_server import REGION, TrainloadServer  # noqa: E402

ALL_CASES = ("get", "small", "put", "rss")
BUCKET = "bench"
PRESIGN_SECONDS = 12 * 3600


class Sizes:
    """The workload sizes: the issue's by default, scaled down for --quick."""

    def __init__(self, quick):
        self.big = 64 * MIB if quick else GIB              # get, put (one object)
        self.small_count = 200 if quick else 1000          # small
        self.small_size = 16 * KIB
        self.wrk_seconds = 3 if quick else 10
        self.wrk_threads = 2
        self.wrk_connections = 64
        self.many_count = 96 if quick else 1000            # put (many objects)
        self.many_size = MIB
        self.put_clients = 8
        self.rss_size = 256 * MIB if quick else 4 * GIB    # rss
        self.rss_clients = 8

    def describe(self):
        return (f"get: {self.big // MIB} MiB object; small: {self.small_count} x "
                f"{self.small_size // KIB} KiB, wrk -t{self.wrk_threads} "
                f"-c{self.wrk_connections} -d{self.wrk_seconds}s; put: {self.big // MIB} MiB "
                f"and {self.many_count} x {self.many_size // MIB} MiB from {self.put_clients} "
                f"clients; rss: {self.rss_size // MIB} MiB object x {self.rss_clients} clients")


def write_random_file(path, size, seed):
    """`size` pseudo-random bytes (incompressible, deterministic) written in 16 MiB pieces."""
    block = hashlib.shake_256(f"trainload-bench-{seed}".encode()).digest(min(size, 16 * MIB))
    with open(path, "wb") as f:
        written = 0
        piece = 0
        while written < size:
            # Vary each piece so that no two MiB of a big object are identical.
            head = hashlib.sha256(f"{seed}-{piece}".encode()).digest()
            chunk = (head + block[len(head):])[:size - written]
            f.write(chunk)
            written += len(chunk)
            piece += 1


def timeout_for(size, slowest_bytes_per_second=30e6):
    """A generous bound for moving `size` bytes: a stuck run fails instead of hanging."""
    return int(60 + size / slowest_bytes_per_second)


class ServerBench:
    """One benchmark run: a trainload server and an nginx over its data files in one temp dir."""

    def __init__(self, args):
        self.args = args
        self.sizes = Sizes(args.quick)
        self.children = Children()
        self.root = tempfile.mkdtemp(prefix="trainload-bench-", dir=args.workdir)
        self.data_dir = os.path.join(self.root, "data")
        self.src_dir = os.path.join(self.root, "src")
        self.fio_dir = os.path.join(self.root, "fio")
        os.makedirs(self.src_dir)
        os.makedirs(self.fio_dir)
        self.server = TrainloadServer(args.trainload, self.data_dir, fsync="on")
        self.nginx = NginxServer(os.path.join(self.data_dir, "objects"),
                                 os.path.join(self.root, "nginx"))
        self.s3 = None
        self.rows = []
        self.notes = []

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self):
        self.server.start()
        self.nginx.start()
        self.s3 = boto3.client(
            "s3", endpoint_url=self.server.endpoint, region_name=REGION,
            aws_access_key_id=self.server.access_key,
            aws_secret_access_key=self.server.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 1}, max_pool_connections=16))
        self.s3.create_bucket(Bucket=BUCKET)

    def close(self):
        self.children.kill_all()  # clients first, so that no server waits on a connection
        self.nginx.stop()
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- helpers ----------------------------------------------------------------------------

    def presign(self, method, key):
        operation = {"GET": "get_object", "PUT": "put_object"}[method]
        return self.s3.generate_presigned_url(
            operation, Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=PRESIGN_SECONDS)

    def server_pid(self):
        return self.server.process.pid

    def nginx_pid(self):
        return self.nginx.process.pid

    def data_files(self):
        """{path: size} of every committed data file of the server."""
        objects = os.path.join(self.data_dir, "objects")
        found = {}
        for shard in os.listdir(objects):
            shard_dir = os.path.join(objects, shard)
            for name in os.listdir(shard_dir):
                path = os.path.join(shard_dir, name)
                found[path] = os.path.getsize(path)
        return found

    def nginx_url_of(self, data_file):
        rel = os.path.relpath(data_file, os.path.join(self.data_dir, "objects"))
        return f"{self.nginx.url()}/{rel}"

    def put_file(self, key, source):
        curl_put_batch(self.children, [[(source, self.presign("PUT", key))]], self.root,
                       timeout_for(os.path.getsize(source)))

    def delete_prefix(self, prefix):
        """Deletes every object under `prefix` (outside any timing), 1,000 a request."""
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                done = self.s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys,
                                                                     "Quiet": True})
                if done.get("Errors"):
                    raise BenchmarkError(f"delete under {prefix}: {done['Errors'][:3]}")

    def before_read_run(self):
        if self.args.cold:
            os.sync()
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3")

    def alternate(self, rep, first, second):
        """Runs both measurements of one repetition, swapping their order every other time so
        that neither side always runs right after the other's page cache or CPU state."""
        if rep % 2 == 0:
            return first(), second()
        b = second()
        return first(), b

    def measure(self, fn, pid, with_children=False):
        """(fn's result, CPU seconds `pid` used meanwhile)."""
        before = cpu_seconds(pid, with_children)
        result = fn()
        return result, cpu_seconds(pid, with_children) - before

    def log(self, text):
        print(text, flush=True)

    # ---- case 1: one big GET, 1 and 4 streams ------------------------------------------------

    def big_source(self):
        path = os.path.join(self.src_dir, "big.bin")
        if not os.path.exists(path):
            write_random_file(path, self.sizes.big, "big")
        return path

    def case_get(self):
        size = self.sizes.big
        source = self.big_source()
        before = set(self.data_files())
        key = "get/big.bin"
        self.put_file(key, source)
        new_files = [p for p, s in self.data_files().items() if p not in before and s == size]
        if len(new_files) != 1:
            raise BenchmarkError(f"expected one new {size}-byte data file, found {new_files}")
        with open(new_files[0], "rb") as a, open(source, "rb") as b:
            if a.read(MIB) != b.read(MIB):
                raise BenchmarkError(f"{new_files[0]} does not hold the bytes of {key}")
        tl_url = self.presign("GET", key)
        ng_url = self.nginx_url_of(new_files[0])
        timeout = timeout_for(size)
        for url in (tl_url, ng_url):  # warm the page cache, check both answer
            curl_get_streams(self.children, url, size, 1, timeout)
        for streams in (1, 4):
            tl, ng, tl_cpu, ng_cpu = [], [], [], []
            for rep in range(self.args.repeat):
                def run_tl():
                    self.before_read_run()
                    return self.measure(lambda: curl_get_streams(
                        self.children, tl_url, size, streams, timeout), self.server_pid())

                def run_ng():
                    self.before_read_run()
                    return self.measure(lambda: curl_get_streams(
                        self.children, ng_url, size, streams, timeout), self.nginx_pid(), True)

                (t, tc), (n, nc) = self.alternate(rep, run_tl, run_ng)
                tl.append(t / 1e9)
                ng.append(n / 1e9)
                tl_cpu.append(tc)
                ng_cpu.append(nc)
                self.log(f"  get {streams} stream(s) run {rep + 1}: trainload {t / 1e9:.2f} "
                         f"GB/s ({tc:.2f} CPU s), nginx {n / 1e9:.2f} GB/s ({nc:.2f} CPU s)")
            self.rows.append(Row(f"GET {size // MIB} MiB, {streams} stream(s)", "throughput",
                                 "GB/s", tl, "nginx", ng, target_ratio=0.9))
            self.notes.append(
                f"GET {streams} stream(s): server CPU per run (median) trainload "
                f"{median(tl_cpu):.2f} s, nginx {median(ng_cpu):.2f} s")

    # ---- case 2: small GETs with wrk ---------------------------------------------------------

    def case_small(self):
        sz = self.sizes
        src = os.path.join(self.src_dir, "small")
        os.makedirs(src)
        digests = {}
        uploads = []
        for i in range(sz.small_count):
            key = f"small/{i:05d}"
            path = os.path.join(src, f"{i:05d}")
            body = hashlib.shake_256(f"small-{i}".encode()).digest(sz.small_size)
            with open(path, "wb") as f:
                f.write(body)
            digests[hashlib.md5(body).hexdigest()] = key
            uploads.append((path, self.presign("PUT", key)))
        jobs = [uploads[c::sz.put_clients] for c in range(sz.put_clients)]
        curl_put_batch(self.children, jobs, self.root, 600)

        # The data file of each key, found by content (every body is distinct).
        file_of = {}
        for path, size in self.data_files().items():
            if size == sz.small_size:
                with open(path, "rb") as f:
                    key = digests.get(hashlib.md5(f.read()).hexdigest())
                if key:
                    file_of[key] = path
        if len(file_of) != sz.small_count:
            raise BenchmarkError(f"found data files for {len(file_of)} of {sz.small_count} "
                                 "small objects")
        keys = sorted(file_of)
        tl_paths = []
        for key in keys:
            parts = urllib.parse.urlsplit(self.presign("GET", key))
            tl_paths.append(f"{parts.path}?{parts.query}")
        ng_paths = ["/" + os.path.relpath(file_of[k], os.path.join(self.data_dir, "objects"))
                    for k in keys]
        want = {k: hashlib.md5(open(file_of[k], "rb").read()).hexdigest() for k in keys}
        for port, paths in ((self.server.port, tl_paths), (self.nginx.port, ng_paths)):
            self.check_bodies(port, paths, [want[k] for k in keys])
        tl_file = os.path.join(self.root, "paths-trainload.txt")
        ng_file = os.path.join(self.root, "paths-nginx.txt")
        for name, paths in ((tl_file, tl_paths), (ng_file, ng_paths)):
            with open(name, "w") as f:
                f.write("\n".join(paths) + "\n")

        tl, ng, tl_cpu, ng_cpu, lat = [], [], [], [], []
        for rep in range(self.args.repeat):
            def run(base, paths_file, pid, children):
                return self.measure(lambda: run_wrk(
                    self.children, base, paths_file, sz.wrk_threads, sz.wrk_connections,
                    sz.wrk_seconds, sz.small_size), pid, children)

            (t, tc), (n, nc) = self.alternate(
                rep, lambda: run(self.server.endpoint, tl_file, self.server_pid(), False),
                lambda: run(self.nginx.url(), ng_file, self.nginx_pid(), True))
            tl.append(t.requests_per_second())
            ng.append(n.requests_per_second())
            tl_cpu.append(tc / t.requests * 1e6)
            ng_cpu.append(nc / n.requests * 1e6)
            lat.append((t.p50_ms, t.p99_ms, n.p50_ms, n.p99_ms))
            self.log(f"  small run {rep + 1}: trainload {tl[-1]:.0f} req/s (p50 {t.p50_ms:.2f} "
                     f"ms, p99 {t.p99_ms:.2f} ms), nginx {ng[-1]:.0f} req/s (p50 "
                     f"{n.p50_ms:.2f} ms, p99 {n.p99_ms:.2f} ms); all {t.requests + n.requests}"
                     " responses 2xx")
        self.rows.append(Row(f"GET {sz.small_count} x {sz.small_size // KIB} KiB, "
                             f"{sz.wrk_connections} conns", "requests", "req/s", tl, "nginx",
                             ng, target_ratio=0.8))
        self.notes.append(
            f"small GETs: server CPU per request (median) trainload {median(tl_cpu):.0f} us, "
            f"nginx {median(ng_cpu):.0f} us; latency p50/p99 trainload "
            f"{median([x[0] for x in lat]):.2f}/{median([x[1] for x in lat]):.2f} ms, nginx "
            f"{median([x[2] for x in lat]):.2f}/{median([x[3] for x in lat]):.2f} ms")

    def check_bodies(self, port, paths, digests):
        """Every path answers 200 with the expected body (one keep-alive connection)."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for path, digest in zip(paths, digests):
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or hashlib.md5(body).hexdigest() != digest:
                    raise BenchmarkError(f"GET {path.split('?')[0]} on port {port}: status "
                                         f"{response.status}, {len(body)} bytes, "
                                         f"{body[:200]!r}")
        finally:
            conn.close()

    # ---- case 3: PUTs against fio ------------------------------------------------------------

    def case_put(self):
        sz = self.sizes
        source = self.big_source()
        many_source = os.path.join(self.src_dir, "one-mib.bin")
        write_random_file(many_source, sz.many_size, "many")
        per_client = sz.many_count // sz.put_clients
        many_total = per_client * sz.put_clients

        big_tl, big_fio, many_tl, many_fio, big_cpu, many_cpu = [], [], [], [], [], []
        for rep in range(self.args.repeat):
            def put_big():
                key = f"put/big-{rep}"
                url = self.presign("PUT", key)
                os.sync()
                secs, cpu = self.measure(lambda: curl_put_batch(
                    self.children, [[(source, url)]], self.root, timeout_for(sz.big)),
                    self.server_pid())
                self.delete_prefix(key)
                return secs, cpu

            def fio_big():
                os.sync()
                return fio_write(self.children, self.fio_dir, f"big-{rep}", sz.big, 1, 1,
                                 timeout_for(sz.big)), 0.0

            (t, tc), (f, _) = self.alternate(rep, put_big, fio_big)
            big_tl.append(sz.big / t / 1e6)
            big_fio.append(sz.big / f / 1e6)
            big_cpu.append(tc)
            self.log(f"  put {sz.big // MIB} MiB run {rep + 1}: trainload {big_tl[-1]:.0f} MB/s "
                     f"({tc:.2f} CPU s), fio {big_fio[-1]:.0f} MB/s")

            def put_many():
                prefix = f"put/many-{rep}/"
                jobs = [[(many_source, self.presign("PUT", f"{prefix}{c}/{i:04d}"))
                         for i in range(per_client)] for c in range(sz.put_clients)]
                os.sync()
                secs, cpu = self.measure(lambda: curl_put_batch(
                    self.children, jobs, self.root, timeout_for(many_total * sz.many_size)),
                    self.server_pid())
                self.delete_prefix(prefix)
                return secs, cpu

            def fio_many():
                os.sync()
                return fio_write(self.children, self.fio_dir, f"many-{rep}", sz.many_size,
                                 per_client, sz.put_clients,
                                 timeout_for(many_total * sz.many_size)), 0.0

            (t, tc), (f, _) = self.alternate(rep, put_many, fio_many)
            many_tl.append(many_total * sz.many_size / t / 1e6)
            many_fio.append(many_total * sz.many_size / f / 1e6)
            many_cpu.append(tc)
            self.log(f"  put {many_total} x 1 MiB run {rep + 1}: trainload {many_tl[-1]:.0f} "
                     f"MB/s ({many_total / t:.0f} objects/s, {tc:.2f} CPU s), fio "
                     f"{many_fio[-1]:.0f} MB/s")
        self.rows.append(Row(f"PUT {sz.big // MIB} MiB, fsync", "throughput", "MB/s", big_tl,
                             "fio", big_fio, target_ratio=0.7))
        self.rows.append(Row(f"PUT {many_total} x 1 MiB, {sz.put_clients} clients, fsync",
                             "throughput", "MB/s", many_tl, "fio", many_fio, target_ratio=0.7))
        self.notes.append(
            f"PUT: server CPU per run (median) {median(big_cpu):.2f} s for "
            f"{sz.big // MIB} MiB, {median(many_cpu):.2f} s for {many_total} x 1 MiB")

    # ---- case 4: server memory under 8 big GETs ----------------------------------------------

    def put_repeated(self, key, source, times):
        """PUT of `times` concatenated copies of `source`, streamed (no big temp file)."""
        size = os.path.getsize(source) * times
        parts = urllib.parse.urlsplit(self.presign("PUT", key))
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=timeout_for(size))
        try:
            conn.putrequest("PUT", f"{parts.path}?{parts.query}", skip_accept_encoding=True)
            conn.putheader("Content-Length", str(size))
            conn.endheaders()
            for _ in range(times):
                with open(source, "rb") as f:
                    while chunk := f.read(4 * MIB):
                        conn.send(chunk)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise BenchmarkError(f"PUT {key} ({size} bytes): {response.status} {body[:300]!r}")
        finally:
            conn.close()

    def case_rss(self):
        sz = self.sizes
        pid = self.server_pid()
        self.notes.append(f"server VmHWM over the run before the rss case: "
                          f"{memory_status(pid)['VmHWM'] / MIB:.1f} MiB")
        source = self.big_source()
        times = sz.rss_size // os.path.getsize(source)
        key = "rss/huge.bin"
        self.put_repeated(key, source, times)
        size = times * os.path.getsize(source)
        url = self.presign("GET", key)
        timeout = timeout_for(size * sz.rss_clients)
        curl_get_all(self.children, [(url, None, 200, size)], timeout)  # warm the page cache
        peaks, rss_max, rates, threads = [], [], [], []
        for rep in range(self.args.repeat):
            self.before_read_run()
            reset_peak_rss(pid)
            with MemorySampler(pid) as sampler:
                secs = curl_get_all(self.children,
                                    [(url, None, 200, size)] * sz.rss_clients, timeout)
            peaks.append(sampler.peak_hwm / MIB)
            rss_max.append(sampler.max_rss() / MIB)
            rates.append(size * sz.rss_clients / secs / 1e9)
            threads.append(sampler.max_threads())
            self.log(f"  rss run {rep + 1}: VmHWM {peaks[-1]:.1f} MiB, max sampled VmRSS "
                     f"{rss_max[-1]:.1f} MiB, {rates[-1]:.2f} GB/s aggregate, "
                     f"{threads[-1]} threads")
        self.rows.append(Row(f"{sz.rss_clients} x GET {size // MIB} MiB", "server peak RSS",
                             "MiB", peaks, limit=256))
        self.notes.append(
            f"rss: {sz.rss_clients} full GETs moved {median(rates):.2f} GB/s aggregate "
            f"(median); max sampled VmRSS {median(rss_max):.1f} MiB; up to "
            f"{max(threads)} server threads")

    # ---- report -----------------------------------------------------------------------------

    def header(self):
        lines = report_header("## trainload object server benchmark", self.root, {
            "trainload": [self.args.trainload, "--version"],
            "nginx": ["nginx", "-v"],
            "curl": ["curl", "--version"],
            "wrk": ["wrk", "-v"],
            "fio": ["fio", "--version"],
            "python": [sys.executable, "--version"],
        })
        lines.append(f"- sizes: {self.sizes.describe()}")
        cache = ("cold (dropped before each read run)" if self.args.cold
                 else "warm (objects read once before timing)")
        load = float(open("/proc/loadavg").read().split()[0])
        if load > (os.cpu_count() or 1) * 0.5:
            lines.append(f"- WARNING: load average {load:.1f} on {os.cpu_count()} cores before "
                         "the run: other work shares the CPUs, so ratios are noisy (the server "
                         "CPU seconds per request / per run in the notes are steadier)")
        lines.append(f"- page cache: {cache}; trainload --fsync on; median of "
                     f"{self.args.repeat} runs; GB/s and MB/s are 10^9 and 10^6 bytes/s")
        return "\n".join(lines)


def parse_args():
    parser = benchmark_parser(__doc__, ALL_CASES, runs=False,
                              workdir_help="where the temporary data directory goes (the disk "
                              "measured)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (>= 3)")
    parser.add_argument("--cold", action="store_true",
                        help="drop the page cache before each read run (root)")
    args = parser.parse_args()
    check_common_args(parser, args, ALL_CASES)
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (the report is a median)")
    return args


def main():
    args = parse_args()
    raise_on_sigterm()
    bench = ServerBench(args)
    return run_benchmark(bench, args.cases, [("Results", lambda: format_table(bench.rows))])


if __name__ == "__main__":
    sys.exit(main())
