"""A real s3fs-fuse mount of one bucket of a trainload server, for the s3fs system tests.

s3fs runs in the foreground (-f) as our child so its exit status and log are ours to check.
Unmounting always happens, even when the test failed: `fusermount3 -u` (or `fusermount -u`),
then a bounded wait for s3fs to exit, then a lazy unmount and SIGKILL as the last resort.
"""

import os
import shutil
import subprocess
import time

from peer_support import require_tool, tool_env


def fusermount():
    path = shutil.which("fusermount3") or shutil.which("fusermount")
    assert path, "neither fusermount3 nor fusermount found: install the Debian package 'fuse3'"
    return path


class S3fsMount:
    """Mounts `bucket` at `mountpoint`; use as a context manager."""

    def __init__(self, server, bucket, mountpoint, directory, extra_options=()):
        self.binary = require_tool("s3fs", "s3fs")
        assert os.path.exists("/dev/fuse"), "/dev/fuse is missing: s3fs needs FUSE"
        self.server = server
        self.bucket = bucket
        self.mountpoint = mountpoint
        self.passwd = os.path.join(directory, f"passwd-{bucket}")
        self.log_path = os.path.join(directory, f"s3fs-{bucket}.log")
        self.options = [
            f"url={server.endpoint}",
            "use_path_request_style",
            f"passwd_file={self.passwd}",
            "endpoint=us-east-1",
            "dbglevel=warn",
            *extra_options,
        ]
        self.process = None
        self.exit_code = None

    def __enter__(self):
        os.makedirs(self.mountpoint, exist_ok=True)
        with open(self.passwd, "w") as f:
            f.write(f"{self.server.access_key}:{self.server.secret_key}\n")
        os.chmod(self.passwd, 0o600)
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [self.binary, self.bucket, self.mountpoint, "-f", "-o", ",".join(self.options)],
            stdout=log, stderr=subprocess.STDOUT, env=tool_env())
        log.close()
        deadline = time.monotonic() + 30
        while not os.path.ismount(self.mountpoint):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.unmount()
                raise AssertionError(f"s3fs did not mount {self.bucket} at {self.mountpoint}:\n"
                                     + self.log())
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.unmount()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def unmount(self):
        """Unmounts and waits for s3fs; returns its exit status (None if it had to be killed)."""
        if self.process is None:
            return self.exit_code
        if os.path.ismount(self.mountpoint):
            subprocess.run([fusermount(), "-u", self.mountpoint], capture_output=True, timeout=60)
        try:
            self.exit_code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            subprocess.run([fusermount(), "-u", "-z", self.mountpoint], capture_output=True,
                           timeout=60)
            self.process.kill()
            self.process.wait()
            self.exit_code = None
        if os.path.ismount(self.mountpoint):
            subprocess.run([fusermount(), "-u", "-z", self.mountpoint], capture_output=True,
                           timeout=60)
        self.process = None
        return self.exit_code
