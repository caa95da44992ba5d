"""Helpers for the `trainload mount` system tests.

- TrainloadMount: a real mount of one bucket of a trainload server. By default it runs in the
  foreground (-f) as our child, so its exit status, error log and final summary line (requests,
  bytes from S3 and from the cache, cache hits/misses/evictions/corrupt blocks) are ours to
  check; background=True runs the real daemon mode (the command must return with the mount
  live). Unmounting always happens, even when the test failed: fusermount3 -u, a bounded wait,
  then a lazy unmount and SIGKILL as the last resort.
- CountingProxy: a TCP relay between the mount and the server that counts the bytes the server
  sends, so a test can tell whether data came from S3 or from the local cache.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

MIB = 1 << 20


def fusermount():
    path = shutil.which("fusermount3") or shutil.which("fusermount")
    assert path, "neither fusermount3 nor fusermount found: install the Debian package 'fuse3'"
    return path


def in_mount_table(path):
    """Whether `path` is a mount point per /proc/self/mounts. Unlike os.path.ismount, this also
    sees a FUSE mount whose process died (stat fails with ENOTCONN there)."""
    target = os.path.abspath(path)
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 1 and fields[1].replace("\\040", " ") == target:
                return True
    return False


def mount_env(server):
    """The environment the mount reads its credentials and region from."""
    env = server.client_env()
    env.pop("AWS_CA_BUNDLE", None)
    return env


def daemon_pids(mountpoint, cwd=None):
    """Pids of `trainload mount` processes serving `mountpoint` (the background daemon);
    relative paths on their command lines are taken relative to `cwd` (default: ours)."""
    pids = []
    target = os.path.abspath(mountpoint).encode()
    base = os.path.abspath(cwd or os.getcwd()).encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"mount" in args and any(os.path.normpath(os.path.join(base, a)) == target
                                    for a in args if a):
            if int(entry) != os.getpid():
                pids.append(int(entry))
    return pids


class TrainloadMount:
    """Mounts `bucket` (optionally `prefix`) at `mountpoint`; use as a context manager."""

    def __init__(self, binary, server, bucket, mountpoint, workdir, args=(), prefix="",
                 background=False, endpoint=None):
        assert os.path.exists("/dev/fuse"), "/dev/fuse is missing: the mount needs FUSE"
        self.binary = binary
        self.server = server
        self.bucket = bucket
        self.mountpoint = mountpoint
        self.args = list(args)
        self.prefix = prefix
        self.background = background
        self.endpoint = endpoint or server.endpoint
        name = os.path.basename(mountpoint.rstrip("/"))
        self.log_path = os.path.join(workdir, f"mount-{name}-{time.monotonic_ns()}.log")
        self.process = None
        self.exit_code = None
        self.mounted = False

    def command(self):
        uri = f"s3://{self.bucket}/{self.prefix}"
        cmd = [self.binary, "mount", uri, self.mountpoint, "--endpoint-url", self.endpoint,
               *self.args]
        if not self.background:
            cmd.append("-f")
        return cmd

    def __enter__(self):
        os.makedirs(self.mountpoint, exist_ok=True)
        if self.background:
            result = subprocess.run(self.command(), env=mount_env(self.server),
                                    capture_output=True, timeout=60)
            if result.returncode != 0:
                raise AssertionError(f"trainload mount failed ({result.returncode}):\n"
                                     + result.stderr.decode(errors="replace"))
            # The command returns only once the mount is live: no waiting here.
            assert os.path.ismount(self.mountpoint), "mount command returned before the mount"
            self.mounted = True
            return self
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        env=mount_env(self.server))
        log.close()
        deadline = time.monotonic() + 30
        while not os.path.ismount(self.mountpoint):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.unmount()
                raise AssertionError(f"trainload did not mount {self.bucket} at "
                                     f"{self.mountpoint}:\n" + self.log())
            time.sleep(0.02)
        self.mounted = True
        return self

    def __exit__(self, *exc):
        self.unmount()

    def path(self, *parts):
        return os.path.join(self.mountpoint, *parts)

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-6000:]
        except OSError:
            return ""

    def summary(self):
        """The numbers of the summary line a foreground mount prints when it ends."""
        lines = [l for l in self.log().splitlines() if " get_requests=" in l]
        assert lines, "no summary line in the mount's log:\n" + self.log()
        return {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", lines[-1])}

    def unmount(self):
        """Unmounts; returns the foreground process's exit status (None if killed)."""
        if in_mount_table(self.mountpoint):
            subprocess.run([fusermount(), "-u", self.mountpoint], capture_output=True,
                           timeout=60)
        if self.process is not None:
            try:
                self.exit_code = self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                subprocess.run([fusermount(), "-u", "-z", self.mountpoint], capture_output=True,
                               timeout=60)
                self.process.kill()
                self.process.wait()
                self.exit_code = None
            self.process = None
        elif self.background:
            deadline = time.monotonic() + 30
            while daemon_pids(self.mountpoint) and time.monotonic() < deadline:
                time.sleep(0.05)
            for pid in daemon_pids(self.mountpoint):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if in_mount_table(self.mountpoint):
            subprocess.run([fusermount(), "-u", "-z", self.mountpoint], capture_output=True,
                           timeout=60)
        self.mounted = False
        return self.exit_code


class CountingProxy:
    """Relays TCP connections from 127.0.0.1:<port> to the server, counting bytes served."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.bytes_from_server = 0
        self.sockets = []
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True),
                             daemon=True).start()

    def _pump(self, source, sink, count):
        try:
            while True:
                data = source.recv(1 << 16)
                if not data:
                    break
                if count:
                    with self.lock:
                        self.bytes_from_server += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def served(self):
        with self.lock:
            return self.bytes_from_server

    def stop(self):
        self.stopped = True
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.close()
                except OSError:
                    pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
