"""The peers and load generators bench/server_bench.py runs trainload against.

- `NginxServer`: nginx serving a directory (trainload's data files) on a free 127.0.0.1 port,
  from bench/nginx.conf.template, in the foreground in its own process group, so that
  stopping it ends the master and every worker;
- `curl_get` / `curl_put_batch`: curl processes whose own timings (`-w`) are the measurement,
  with every status and byte count checked;
- `run_wrk`: wrk with bench/wrk_cycle.lua, parsed from the script's WRK_RESULT line;
- `fio_write`: fio sequential writes with fsync, timed by fio itself.

Every function raises BenchmarkError when the result cannot be trusted (a 403 measured as
throughput is worse than no number).
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess

from bench_support import BenchmarkError, free_port, wait_for_port

HERE = os.path.dirname(os.path.abspath(__file__))
CURL_WRITE_OUT = r"%{http_code} %{size_download} %{size_upload} %{time_total}\n"


def require_tool(name, package):
    path = shutil.which(name)
    if not path:
        raise BenchmarkError(f"{name} not found on PATH: install the Debian package '{package}'")
    return path


class NginxServer:
    """nginx serving `root` read-only on 127.0.0.1; start() returns its base URL."""

    def __init__(self, root, run_dir, workers="auto"):
        self.root = root
        self.run_dir = run_dir
        self.workers = workers
        self.process = None
        self.port = None

    def start(self, timeout=15):
        os.makedirs(self.run_dir, exist_ok=True)
        with open(os.path.join(HERE, "nginx.conf.template")) as f:
            template = f.read()
        self.port = free_port()
        config = (template.replace("@WORKERS@", str(self.workers))
                  .replace("@RUN_DIR@", self.run_dir)
                  .replace("@PORT@", str(self.port))
                  .replace("@ROOT@", self.root))
        config_path = os.path.join(self.run_dir, "nginx.conf")
        with open(config_path, "w") as f:
            f.write(config)
        log_path = os.path.join(self.run_dir, "error.log")
        cmd = [require_tool("nginx", "nginx"), "-p", self.run_dir, "-c", config_path,
               "-e", log_path]
        # Its own process group (master and workers), so that stop() can end exactly these.
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_for_port(self.port, timeout, self.process):
            self.stop()
            with open(log_path, errors="replace") as f:
                raise BenchmarkError(f"nginx did not start on port {self.port}:\n{f.read()}")
        return self.url()

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout=10):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # fast shutdown: master stops its workers
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # A worker must never outlive the benchmark (a killed master leaves its workers behind).
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process = None


class CurlResult:
    def __init__(self, status, downloaded, uploaded, seconds):
        self.status = status
        self.downloaded = downloaded
        self.uploaded = uploaded
        self.seconds = seconds


def _parse_write_out(text, cmd):
    results = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 4:
            raise BenchmarkError(f"unexpected curl output {line!r} from {shlex.join(cmd)}")
        results.append(CurlResult(int(fields[0]), int(fields[1]), int(fields[2]),
                                  float(fields[3])))
    return results


def curl_get_all(children, requests, timeout):
    """Runs one curl process per (url, byte range or None, expected status, expected bytes) in
    `requests`, all at once, bodies to /dev/null. Returns the slowest curl's time_total in
    seconds (process start-up is not counted); any other status or byte count is an error."""
    curl = require_tool("curl", "curl")
    procs = []
    for url, byte_range, want_status, want_bytes in requests:
        cmd = [curl, "-sS", "--max-time", str(timeout), "-o", "/dev/null",
               "-w", CURL_WRITE_OUT]
        if byte_range is not None:
            cmd += ["-r", f"{byte_range[0]}-{byte_range[1]}"]
        cmd.append(url)
        procs.append((cmd, url, want_status, want_bytes,
                      children.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)))
    slowest = 0.0
    for cmd, url, want_status, want_bytes, proc in procs:
        out, err = proc.communicate(timeout=timeout + 10)
        if proc.returncode != 0:
            raise BenchmarkError(f"curl GET {url.split('?')[0]} failed ({proc.returncode}): "
                                 f"{err.strip()}")
        (result,) = _parse_write_out(out, cmd)
        if result.status != want_status or result.downloaded != want_bytes:
            raise BenchmarkError(f"GET {url.split('?')[0]}: status {result.status}, "
                                 f"{result.downloaded} bytes; expected {want_status}, "
                                 f"{want_bytes} bytes")
        slowest = max(slowest, result.seconds)
    return slowest


def curl_get_streams(children, url, size, streams, timeout):
    """GETs `url` (an object of `size` bytes) as `streams` parallel curl processes, each with a
    Range of one contiguous share (no Range when streams == 1). Returns the aggregate bytes/s:
    size / the slowest stream's time."""
    if streams == 1:
        return size / curl_get_all(children, [(url, None, 200, size)], timeout)
    share = -(-size // streams)
    requests = []
    for i in range(streams):
        first, last = i * share, min(size, (i + 1) * share) - 1
        requests.append((url, (first, last), 206, last - first + 1))
    return size / curl_get_all(children, requests, timeout)


def curl_put_batch(children, jobs, work_dir, timeout):
    """Uploads with one curl process per client, each reusing one keep-alive connection over
    its list of (source file, presigned PUT URL). `jobs` is a list of such lists, one per
    client, all started at once. Returns the seconds from start until the last client is done
    (the slowest client's sum of curl time_total). Every response must be 200."""
    curl = require_tool("curl", "curl")
    procs = []
    for n, uploads in enumerate(jobs):
        config = os.path.join(work_dir, f"curl-put-{n}.conf")
        with open(config, "w") as f:
            for source, url in uploads:
                # curl's config syntax: a quoted string, with \ and " escaped.
                f.write(f'url = "{url}"\nupload-file = "{source}"\noutput = "/dev/null"\n')
        # "Expect:" (empty) turns off 100-continue for bodies over 1 MiB: one round trip
        # less, the same on every request.
        cmd = [curl, "-sS", "--max-time", str(timeout), "-H", "Expect:", "-w",
               CURL_WRITE_OUT, "-K", config]
        procs.append((cmd, uploads, children.popen(cmd, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE, text=True)))
    slowest = 0.0
    for cmd, uploads, proc in procs:
        out, err = proc.communicate(timeout=timeout + 10)
        if proc.returncode != 0:
            raise BenchmarkError(f"curl PUT failed ({proc.returncode}): {err.strip()}")
        results = _parse_write_out(out, cmd)
        if len(results) != len(uploads):
            raise BenchmarkError(f"curl reported {len(results)} of {len(uploads)} uploads")
        for (source, url), r in zip(uploads, results):
            if r.status != 200 or r.uploaded != os.path.getsize(source):
                raise BenchmarkError(f"PUT {url.split('?')[0]}: status {r.status}, "
                                     f"{r.uploaded} bytes sent")
        slowest = max(slowest, sum(r.seconds for r in results))
    return slowest


class WrkResult:
    def __init__(self, fields):
        self.requests = fields["requests"]
        self.seconds = fields["duration_us"] / 1e6
        self.bytes = fields["bytes"]
        self.status_errors = fields["status_errors"]
        self.socket_errors = (fields["connect"] + fields["read"] + fields["write"] +
                              fields["timeout"])
        self.p50_ms = fields["p50_us"] / 1000
        self.p99_ms = fields["p99_us"] / 1000

    def requests_per_second(self):
        return self.requests / self.seconds


def run_wrk(children, base_url, paths_file, threads, connections, seconds, expected_size):
    """wrk over the paths in `paths_file` (relative to `base_url`); returns a WrkResult after
    checking there was no error status, no socket error and every body had `expected_size`."""
    wrk = require_tool("wrk", "wrk")
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
           "-s", os.path.join(HERE, "wrk_cycle.lua"), base_url, "--", paths_file]
    done = children.run(cmd, timeout=seconds + 60)
    m = re.search(r"^WRK_RESULT (.*)$", done.stdout, re.M)
    if done.returncode != 0 or not m:
        raise BenchmarkError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    fields = {k: int(v) for k, v in (item.split("=") for item in m.group(1).split())}
    result = WrkResult(fields)
    if result.status_errors or result.socket_errors:
        raise BenchmarkError(
            f"wrk against {base_url}: {result.status_errors} error statuses, "
            f"{result.socket_errors} socket errors in {result.requests} requests:\n"
            f"{done.stdout}")
    # Bytes include the response heads, so each response is at least the body.
    if result.requests == 0 or result.bytes < result.requests * expected_size:
        raise BenchmarkError(f"wrk against {base_url}: {result.bytes} bytes for "
                             f"{result.requests} responses of {expected_size}-byte bodies")
    return result


def fio_write(children, directory, name, file_size, files_per_job, jobs, timeout):
    """Sequential 1 MiB writes of `jobs` x `files_per_job` new files of `file_size` bytes in
    `directory`, each file fsync'd once when written (end_fsync for one file per job,
    fsync_on_close and one open file at a time otherwise), as a server that fsyncs each object
    once does. Returns fio's own run time in seconds (setup excluded, the fsyncs included);
    the files are removed afterwards."""
    fio = require_tool("fio", "fio")
    job_dir = os.path.join(directory, name)
    os.makedirs(job_dir)
    cmd = [fio, f"--name={name}", f"--directory={job_dir}", "--rw=write", "--bs=1M",
           "--ioengine=psync", "--fallocate=none", "--create_on_open=1",
           f"--filesize={file_size}", f"--nrfiles={files_per_job}",
           f"--size={file_size * files_per_job}", f"--numjobs={jobs}", "--group_reporting",
           "--output-format=json"]
    if files_per_job == 1:
        cmd.append("--end_fsync=1")
    else:
        cmd += ["--fsync_on_close=1", "--openfiles=1", "--file_service_type=sequential"]
    try:
        done = children.run(cmd, timeout=timeout)
        if done.returncode != 0:
            raise BenchmarkError(f"fio failed ({done.returncode}): {done.stderr}")
        report = json.loads(done.stdout[done.stdout.index("{"):])
        job = report["jobs"][0]
        written = job["write"]["io_bytes"]
        if written != file_size * files_per_job * jobs:
            raise BenchmarkError(f"fio wrote {written} bytes, expected "
                                 f"{file_size * files_per_job * jobs}")
        return job["write"]["runtime"] / 1000.0
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


# ---- S3 client peers (bench/client_bench.py) ---------------------------------------------------

def write_s3cmd_config(path, endpoint, access_key, secret_key):
    """An s3cmd config for a plain-HTTP S3 endpoint (path-style, SigV4, no progress meter)."""
    host = endpoint.split("://", 1)[1].rstrip("/")
    lines = ["[default]", f"access_key = {access_key}", f"secret_key = {secret_key}",
             f"host_base = {host}", f"host_bucket = {host}", "use_https = False",
             "signature_v2 = False", "bucket_location = us-east-1", "progress_meter = False"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path


def write_rclone_config(path, endpoint, access_key, secret_key, remote="tl"):
    """An rclone config whose remote `remote:` is the S3 endpoint (provider Other, path style)."""
    lines = [f"[{remote}]", "type = s3", "provider = Other", f"access_key_id = {access_key}",
             f"secret_access_key = {secret_key}", f"endpoint = {endpoint}", "region = us-east-1",
             "force_path_style = true"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path


# curl writes its status and byte counts to stderr (%{stderr}), so that stdout can carry the
# body (into a file at an offset) and the caller can still check every response.
CURL_CHECK_OUT = r"%{stderr}CURL_RESULT %{http_code} %{size_download} %{size_upload}\n"


def byte_ranges(size, streams):
    """`streams` contiguous (first, last) byte ranges covering `size` bytes."""
    share = -(-size // streams)
    return [(i * share, min(size, (i + 1) * share) - 1) for i in range(streams)
            if i * share < size]


def curl_range_command(url, first, last, timeout):
    """argv of one curl GET of bytes first..last of `url` with its body on stdout."""
    return [require_tool("curl", "curl"), "-sS", "--max-time", str(timeout), "-r",
            f"{first}-{last}", "-w", CURL_CHECK_OUT, url]


def curl_put_command(uploads, timeout):
    """argv of one curl process PUTting each (local file, presigned URL) of `uploads` in turn
    on one keep-alive connection (no 100-continue round trip)."""
    cmd = [require_tool("curl", "curl"), "-sS", "--max-time", str(timeout), "-H", "Expect:",
           "-w", CURL_CHECK_OUT]
    for n, (source, url) in enumerate(uploads):
        if n:
            cmd.append("--next")
            cmd += ["-sS", "--max-time", str(timeout), "-H", "Expect:", "-w", CURL_CHECK_OUT]
        cmd += ["-o", "/dev/null", "-T", source, url]
    return cmd


def check_curl_results(stderr, expected, what):
    """Checks the CURL_RESULT lines of one curl process against [(status, downloaded bytes or
    None, uploaded bytes or None)]."""
    results = [line.split()[1:] for line in stderr.splitlines()
               if line.startswith("CURL_RESULT ")]
    if len(results) != len(expected):
        raise BenchmarkError(f"{what}: {len(results)} curl results, expected {len(expected)}: "
                             f"{stderr.strip()[-500:]}")
    for (status, down, up), (want_status, want_down, want_up) in zip(results, expected):
        if (int(status) != want_status or (want_down is not None and int(down) != want_down)
                or (want_up is not None and int(up) != want_up)):
            raise BenchmarkError(f"{what}: status {status}, {down} bytes down, {up} up; "
                                 f"expected {want_status}, {want_down}, {want_up}")


# ---- FUSE mounts (bench/mount_bench.py) --------------------------------------------------------

def unmount_fuse(mountpoint, timeout=60):
    """`fusermount3 -u`; if the mount is still there (busy, hung file system), `-u -z` (lazy).
    Returns True when `mountpoint` is no longer a mount point. Never raises: it runs in
    `finally` blocks."""
    tool = shutil.which("fusermount3") or shutil.which("fusermount") or "fusermount3"
    for flags in (["-u"], ["-u", "-z"]):
        if not os.path.ismount(mountpoint):
            return True
        try:
            subprocess.run([tool, *flags, mountpoint], capture_output=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            pass
    return not os.path.ismount(mountpoint)


def wait_for_mount(mountpoint, timeout, proc=None):
    """Waits until `mountpoint` is a mount point; False on timeout or when `proc` exits."""
    import time
    deadline = time.monotonic() + timeout
    while not os.path.ismount(mountpoint):
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class ForegroundMount:
    """A FUSE file system that runs in the foreground as our child (s3fs -f, rclone mount):
    start() returns once `mountpoint` is mounted; stop() unmounts (fusermount3 -u, then -uz),
    waits a bounded time for the process to exit, and kills it as the last resort."""

    def __init__(self, children, argv, mountpoint, log_path, env=None):
        self.children = children
        self.argv = argv
        self.mountpoint = mountpoint
        self.log_path = log_path
        self.env = env
        self.process = None

    @property
    def pid(self):
        return self.process.pid

    def start(self, timeout=30):
        os.makedirs(self.mountpoint, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = self.children.popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, env=self.env)
        if not wait_for_mount(self.mountpoint, timeout, self.process):
            self.stop()
            raise BenchmarkError(f"{shlex.join(self.argv)[:300]} did not mount within "
                                 f"{timeout}s:\n{self.log()}")
        return self

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self, timeout=60):
        if self.process is None:
            return
        unmount_fuse(self.mountpoint)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            unmount_fuse(self.mountpoint)
            self.process.kill()
            self.process.wait()
        self.process = None


def s3fs_mount_command(bucket, mountpoint, endpoint, passwd_file, extra_options=()):
    """s3fs-fuse in the foreground against a plain-HTTP S3 endpoint (path style, SigV4), as
    tests/system/peer_s3fs_mount.py runs it; other settings are s3fs's defaults."""
    options = [f"url={endpoint}", "use_path_request_style", f"passwd_file={passwd_file}",
               "endpoint=us-east-1", "dbglevel=warn", *extra_options]
    return [require_tool("s3fs", "s3fs"), bucket, mountpoint, "-f", "-o", ",".join(options)]


def rclone_mount_command(config, remote_path, mountpoint, cache_mode="off", cache_dir=None,
                         extra=()):
    """`rclone mount` in the foreground with --vfs-cache-mode `cache_mode` (off, full, ...);
    `cache_dir` is its --cache-dir (for the full cache)."""
    cmd = [require_tool("rclone", "rclone"), "--config", config, "mount", remote_path,
           mountpoint, "--vfs-cache-mode", cache_mode]
    if cache_dir:
        cmd += ["--cache-dir", cache_dir]
    return cmd + list(extra)
