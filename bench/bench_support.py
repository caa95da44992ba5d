"""Generic pieces of the whole-system benchmarks in bench/ (not specific to one server).

- `Children`: every subprocess a benchmark starts, so that Ctrl-C, SIGTERM or an exception
  kills whatever is still running (by its own pid, never by name);
- process probes read from /proc: CPU seconds of a process and its children, peak and current
  resident memory, and a background sampler of VmRSS/VmHWM;
- a description of the machine (cores, kernel, memory, the disk under a directory) and of the
  tools' versions, printed at the top of every report;
- the statistics and the result table (median of the repetitions, ratio, target, verdict);
- the command-line flags every program takes, and the main loop they share.
"""

import argparse
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchmarkError(RuntimeError):
    """A measurement that cannot be trusted (wrong status, short body, tool failure)."""


class Children:
    """Tracks the subprocesses a benchmark starts; kill_all() ends the ones still running."""

    def __init__(self):
        self._lock = threading.Lock()
        self._procs = []

    def popen(self, cmd, **kwargs):
        proc = subprocess.Popen(cmd, **kwargs)
        with self._lock:
            self._procs = [p for p in self._procs if p.poll() is None]
            self._procs.append(proc)
        return proc

    def run(self, cmd, timeout, **kwargs):
        """Runs `cmd` to completion (stdout/stderr captured as text); kills it past `timeout`."""
        proc = self.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          **kwargs)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise BenchmarkError(f"timed out after {timeout}s: {shlex.join(cmd)}")
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)

    def kill_all(self):
        with self._lock:
            procs, self._procs = self._procs, []
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass


def raise_on_sigterm():
    """Turns SIGTERM into KeyboardInterrupt so that `finally` blocks clean up as on Ctrl-C."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot take 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# ---- /proc probes -----------------------------------------------------------------------------

def _child_pids(pid):
    pids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return pids


def cpu_seconds(pid, with_children=False):
    """User + system CPU seconds used so far by `pid` (and its live child processes)."""
    total = 0.0
    pids = [pid] + (_child_pids(pid) if with_children else [])
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return total


def memory_status(pid):
    """{'VmRSS': bytes, 'VmHWM': bytes, 'Threads': n} from /proc/<pid>/status."""
    result = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                result[name] = int(value.split()[0]) * KIB
            elif name == "Threads":
                result[name] = int(value)
    return result


def reset_peak_rss(pid):
    """Resets VmHWM to the current VmRSS (Linux >= 4.0, `echo 5 > clear_refs`)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


class MemorySampler:
    """Samples VmRSS/VmHWM/Threads of `pid` every `interval` seconds on a background thread."""

    def __init__(self, pid, interval=0.02):
        self.pid = pid
        self.interval = interval
        self.samples = []  # (seconds since start, VmRSS, Threads)
        self.peak_hwm = 0
        self._stop = threading.Event()
        self._thread = None
        self._start = 0.0

    def __enter__(self):
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self):
        try:
            status = memory_status(self.pid)
        except OSError:
            return
        self.samples.append((time.monotonic() - self._start, status["VmRSS"], status["Threads"]))
        self.peak_hwm = max(self.peak_hwm, status["VmHWM"])

    def _loop(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def max_rss(self):
        return max((s[1] for s in self.samples), default=0)

    def max_threads(self):
        return max((s[2] for s in self.samples), default=0)


# ---- machine and versions ---------------------------------------------------------------------

def _first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    text = (out.stdout + out.stderr).strip()
    return text.splitlines()[0] if text else "?"


def _read(path, default="?"):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def disk_of(directory):
    """'<device> (<fstype>, <model>, rotational=<0|1>)' of the file system holding `directory`."""
    out = subprocess.run(["findmnt", "-n", "-o", "SOURCE,FSTYPE", "--target", directory],
                         capture_output=True, text=True)
    fields = out.stdout.split()
    if len(fields) < 2:
        return "?"
    source, fstype = fields[0], fields[1]
    name = os.path.basename(source)
    base = name.rstrip("0123456789") if not name.startswith("nvme") else name.split("p")[0]
    model = _read(f"/sys/block/{base}/device/model", "")
    rotational = _read(f"/sys/block/{base}/queue/rotational")
    described = f"{source} ({fstype}"
    if model:
        described += f", model {model}"
    return described + f", rotational={rotational})"


def machine_description(directory):
    cpu = "?"
    for line in _read("/proc/cpuinfo", "").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in _read("/proc/meminfo", "").splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    load = _read("/proc/loadavg").split()[:3]
    return [
        ("cores (nproc)", str(os.cpu_count())),
        ("cpu", cpu),
        ("memory", f"{mem_kib / (1 << 20):.1f} GiB"),
        ("kernel", platform.release()),
        ("data dir", f"{directory} on {disk_of(directory)}"),
        ("load average at start", " ".join(load)),
    ]


def tool_versions(tools):
    """[(name, the first words of its version output)] for {name: version command}."""
    def short(line):
        words = []
        for word in line.split()[:4]:
            if word in ("Copyright", "(C)"):
                break
            words.append(word)
        return " ".join(words)
    return [(name, short(_first_line(cmd))) for name, cmd in tools.items()]


# ---- statistics and report --------------------------------------------------------------------

def median(values):
    return statistics.median(values) if values else float("nan")


class Row:
    """One comparison: trainload's samples against a peer's, with a target on their ratio.

    `higher_is_better` decides the ratio's direction: throughput rows use trainload/peer,
    rows where less is better (RSS) compare trainload's value against an absolute `limit`.
    """

    def __init__(self, case, metric, unit, trainload, peer_name=None, peer=None,
                 target_ratio=None, limit=None, note=""):
        self.case = case
        self.metric = metric
        self.unit = unit
        self.trainload = trainload
        self.peer_name = peer_name
        self.peer = peer or []
        self.target_ratio = target_ratio
        self.limit = limit
        self.note = note

    def ratio(self):
        if not self.peer:
            return None
        return median(self.trainload) / median(self.peer)

    def verdict(self):
        if self.target_ratio is not None:
            return "PASS" if self.ratio() >= self.target_ratio else "SHORT"
        if self.limit is not None:
            return "PASS" if median(self.trainload) < self.limit else "SHORT"
        return ""

    def target_text(self):
        if self.target_ratio is not None:
            return f">= {self.target_ratio:g}x {self.peer_name}"
        if self.limit is not None:
            return f"< {self.limit:g} {self.unit}"
        return ""


def _fmt(value):
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows):
    """A Markdown table (readable as plain text too) of medians, ratios and verdicts."""
    header = ["case", "metric", "trainload", "peer", "peer value", "ratio", "target", "result",
              "runs (trainload / peer)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        ratio = r.ratio()
        runs = ", ".join(_fmt(v) for v in r.trainload)
        if r.peer:
            runs += " / " + ", ".join(_fmt(v) for v in r.peer)
        cells = [
            r.case, f"{r.metric} ({r.unit})", _fmt(median(r.trainload)),
            r.peer_name or "", _fmt(median(r.peer)) if r.peer else "",
            f"{ratio:.2f}x" if ratio is not None else "", r.target_text(), r.verdict(), runs,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---- timed runs of whole commands -------------------------------------------------------------

class TimedRun:
    """What run_timed measured: wall seconds from the first start to the last exit, and per
    command its exit code, peak RSS (ru_maxrss) and CPU seconds (user + system, including
    children it waited for), as GNU time reports them."""

    def __init__(self, seconds, returncodes, peak_rss, cpu, stderr):
        self.seconds = seconds
        self.returncodes = returncodes
        self.peak_rss = peak_rss      # bytes, one per process
        self.cpu = cpu                # seconds, one per process
        self.stderr = stderr          # text, one per process

    def total_rss(self):
        """Sum of the processes' peaks: an upper bound of what they held together."""
        return sum(self.peak_rss)

    def total_cpu(self):
        return sum(self.cpu)


def _reap(proc, deadline):
    """Waits for `proc` until `deadline` (time.monotonic()) with a pidfd, then reaps it with
    wait4(). Returns (exit code, rusage, time.monotonic() at exit) or None on timeout."""
    import select
    if proc.returncode is not None:  # already reaped by a Popen.poll() elsewhere: no rusage
        return proc.returncode, None, time.monotonic()
    fd = os.pidfd_open(proc.pid)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if poller.poll(int(left * 1000) + 1):
                break
        ended = time.monotonic()
    finally:
        os.close(fd)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here: Popen must never wait for (or kill) this pid again
    return code, usage, ended


TIME_BINARY = "/usr/bin/time"


def _read_time_report(path):
    """(peak RSS bytes, CPU seconds) from a GNU time -f '%M %U %S' report (its last line; a
    killed command has a 'Command terminated by signal' line before it)."""
    try:
        with open(path) as f:
            fields = f.read().split("\n")
    except OSError:
        return None
    lines = [line for line in fields if line.strip()]
    try:
        rss_kib, user, system = lines[-1].split()
        return int(rss_kib) * KIB, float(user) + float(system)
    except (IndexError, ValueError):
        return None


def run_timed(children, commands, timeout, work_dir):
    """Starts every (argv, Popen keyword arguments) in `commands` at once and waits for all of
    them, at most `timeout` seconds (then every one is killed and BenchmarkError raised).
    stderr of each goes to a file in `work_dir` and is returned as text. A non-zero exit code
    is not an error here: the caller decides (it has the stderr to say why).

    Each command runs under GNU time, which reports the command's own peak RSS and CPU. The
    wait4() figures of a direct child of this process would be wrong: Python starts children
    with vfork(), and exec() folds the parent's (this benchmark's, ~100 MiB with boto3) peak
    RSS into the child's ru_maxrss. GNU time is a small process that uses fork()."""
    err_files, procs, reports = [], [], []
    start = time.monotonic()
    try:
        for n, (argv, kwargs) in enumerate(commands):
            err = open(os.path.join(work_dir, f"stderr-{n}.txt"), "w+")
            err_files.append(err)
            report = os.path.join(work_dir, f"time-{n}.txt")
            if os.path.exists(report):
                os.unlink(report)
            reports.append(report)
            wrapped = [TIME_BINARY, "-f", "%M %U %S", "-o", report, *argv]
            procs.append(children.popen(wrapped, stderr=err, **kwargs))
        deadline = start + timeout
        reaped = []
        for proc, (argv, _) in zip(procs, commands):
            got = _reap(proc, deadline)
            if got is None:
                raise BenchmarkError(f"timed out after {timeout}s: {shlex.join(argv)}")
            reaped.append(got)
    except BaseException:
        for proc in procs:
            if proc.returncode is None:
                for pid in _child_pids(proc.pid):  # the command under GNU time, then time
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                proc.kill()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        raise
    finally:
        texts = []
        for err in err_files:
            err.seek(0)
            texts.append(err.read())
            err.close()
    seconds = max(ended for _, _, ended in reaped) - start
    measured = [_read_time_report(r) or (0, 0.0) for r in reports]
    return TimedRun(seconds, [code for code, _, _ in reaped], [m[0] for m in measured],
                    [m[1] for m in measured], texts)


def format_detail_table(header, rows):
    """A Markdown table of already formatted cells (`rows`: lists of strings)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def format_number(value):
    """Three significant-ish digits, as in format_table."""
    return _fmt(value)


# ---- page cache -------------------------------------------------------------------------------

def drop_file_pages(paths):
    """Evicts the page cache of each file in `paths` (os.sync() first, so that no dirty page
    stays behind; posix_fadvise(DONTNEED) drops clean pages only). Unlike
    /proc/sys/vm/drop_caches this touches only the named files, not other work on the machine.
    A local file read next comes from the disk."""
    os.sync()
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def file_pages_cached(path):
    """Bytes of `path` in the page cache now (mincore over a read-only mapping)."""
    import ctypes
    import mmap
    size = os.path.getsize(path)
    if size == 0:
        return 0
    page = mmap.PAGESIZE
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), f"mmap {path}")
        try:
            pages = (size + page - 1) // page
            vec = ctypes.create_string_buffer(pages)
            if libc.mincore(addr, size, vec) != 0:
                raise OSError(ctypes.get_errno(), f"mincore {path}")
            return sum(b & 1 for b in vec.raw) * page
        finally:
            libc.munmap(addr, size)
    finally:
        os.close(fd)


def report_header(title, directory, tools):
    """The first lines of every report: `title`, the command line, the machine (with the disk
    under `directory`) and the versions of `tools` ({name: version command})."""
    lines = [title, "", "command: " + shlex.join([sys.executable] + sys.argv), ""]
    lines += [f"- {name}: {value}" for name, value in machine_description(directory)]
    versions = tool_versions(tools)
    lines.append("- versions: " + "; ".join(f"{n}: {v}" for n, v in versions))
    return lines


def parse_size(text):
    """Bytes of a size flag such as 256MiB, 1G or 4096."""
    units = {"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20,
             "G": 30, "GB": 30, "GIB": 30}
    digits = text.rstrip("BbIiKkMmGg")
    unit = text[len(digits):].upper()
    if not digits.isdigit() or unit not in units:
        raise ValueError(f"size {text!r}: use e.g. 256MiB or 1G")
    return int(digits) << units[unit]


def benchmark_parser(doc, cases, peers=None, runs=True,
                     workdir_help="where the temporary directory goes (the disk measured)"):
    """An argument parser with the flags every benchmark takes: --trainload, --quick, --cases
    (a comma-separated subset of `cases`), --workdir, and --runs (when `runs`) and --peers (a
    subset of `peers`, when given). Finish with check_common_args()."""
    from trainload_server import find_trainload  # tests/system is on the programs' path
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainload", default=find_trainload(),
                        help="the trainload binary (default: $TRAINLOAD_BIN or build/)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for a fast check of the program itself")
    parser.add_argument("--cases", default=",".join(cases),
                        help=f"comma-separated subset of {','.join(cases)}")
    parser.add_argument("--workdir", default=tempfile.gettempdir(), help=workdir_help)
    if runs:
        parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    if peers is not None:
        parser.add_argument("--peers", default=",".join(peers),
                            help=f"comma-separated subset of {','.join(peers)}")
    return parser


def subset(parser, text, allowed, what):
    """The comma-separated names in `text`, each one of `allowed`; a usage error otherwise."""
    chosen = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in allowed]
    if unknown or not chosen:
        parser.error(f"unknown {what}(s) {unknown}; choose from {list(allowed)}")
    return chosen


def check_common_args(parser, args, cases, peers=None):
    """Checks and normalizes the flags of benchmark_parser(): --cases (and --peers) become
    lists, --runs is at least 1, and --trainload an absolute path to a binary that exists."""
    args.cases = subset(parser, args.cases, cases, "case")
    if peers is not None:
        args.peers = subset(parser, args.peers, peers, "peer")
    if getattr(args, "runs", 1) < 1:
        parser.error("--runs must be at least 1")
    if not os.path.exists(args.trainload):
        parser.error(f"trainload binary not found at {args.trainload}")
    args.trainload = os.path.abspath(args.trainload)


def run_benchmark(bench, cases, sections):
    """The main loop every benchmark program shares: header, start, each case in turn, then the
    program's tables — `sections`, (title, function) pairs, each function returning a table's
    text or None to leave that section out — the notes and the load at the end. `bench` has
    header(), start(), case_<name>() methods, a `notes` list and close(), which always runs.
    Returns the exit code: 0, 2 when a measurement failed its checks, 130 on Ctrl-C."""
    try:
        print(bench.header(), flush=True)
        bench.start()
        for case in cases:
            print(f"\n[{case}] {time.strftime('%H:%M:%S')}", flush=True)
            getattr(bench, f"case_{case}")()
        for title, table in sections:
            text = table()
            if text is not None:
                print(f"\n### {title}\n")
                print(text)
        print()
        for note in bench.notes:
            print(f"- {note}")
        print(f"- load average at end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        return 0
    except BenchmarkError as e:
        print(f"\nbenchmark failed: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        bench.close()
