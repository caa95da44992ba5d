"""Starts and stops a real `trainload server` for system tests, benchmarks and the demo.

The server listens on 127.0.0.1 with a port the kernel picks (--listen 127.0.0.1:0); the URL is
read from its first line of output. Stopping sends SIGTERM, then SIGKILL if it does not exit, so
a failing test never leaves a server behind.
"""

import os
import re
import signal
import subprocess
import threading
import time

DEFAULT_ACCESS_KEY = "TLTESTACCESSKEY00001"
DEFAULT_SECRET_KEY = "tlTestSecretKey/0000000000000000000000001"
REGION = "us-east-1"


def find_trainload():
    """The trainload binary: $TRAINLOAD_BIN, else the default build directory."""
    path = os.environ.get("TRAINLOAD_BIN")
    if path:
        return path
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build", "src", "cli", "trainload")


def make_tls_cert(directory):
    """A self-signed certificate for 127.0.0.1/localhost; returns (cert, key) paths."""
    cert = os.path.join(directory, "tls.crt")
    key = os.path.join(directory, "tls.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True)
    return cert, key


class TrainloadServer:
    """A running server. Use as a context manager, or call start()/stop()."""

    def __init__(self, binary, data_dir, access_key=None, secret_key=None, tls=None,
                 fsync="off", extra_args=(), port=0):
        self.binary = binary
        self.data_dir = data_dir
        self.access_key = access_key
        self.secret_key = secret_key
        self.tls = tls  # (cert, key) or None
        self.fsync = fsync
        self.extra_args = list(extra_args)
        self.port = port
        self.process = None
        self.endpoint = None
        self.output = []
        self.credentials_file = None

    def start(self, timeout=30):
        os.makedirs(self.data_dir, exist_ok=True)
        cmd = [self.binary, "server", "--data", self.data_dir,
               "--listen", f"127.0.0.1:{self.port}", "--fsync", self.fsync, *self.extra_args]
        if self.access_key:
            cmd += ["--access-key", self.access_key, "--secret-key", self.secret_key]
        if self.tls:
            cmd += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        ready = threading.Event()

        def pump():
            for line in self.process.stdout:
                self.output.append(line)
                m = re.search(r"listening on (https?://\S+)", line)
                if m and not ready.is_set():
                    self.endpoint = m.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(timeout) or self.endpoint is None:
            self.stop()
            raise RuntimeError("trainload server did not start:\n" + "".join(self.output))
        self.port = int(self.endpoint.rsplit(":", 1)[1])
        if not self.access_key:
            self.credentials_file = os.path.join(self.data_dir, "credentials")
            with open(self.credentials_file) as f:
                text = f.read()
            self.access_key = re.search(r"aws_access_key_id = (\S+)", text).group(1)
            self.secret_key = re.search(r"aws_secret_access_key = (\S+)", text).group(1)
        return self

    def stop(self, timeout=20):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self):
        """SIGKILL, as a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def client_env(self, base=None):
        """Environment for AWS CLI / boto3 / s3cmd-style clients talking to this server."""
        env = dict(base if base is not None else os.environ)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                     "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            env.pop(name, None)
        env.update({
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_PAGER": "",
        })
        if self.tls:
            env["AWS_CA_BUNDLE"] = self.tls[0]
        return env

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.process is not None and self.process.poll() is None:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
