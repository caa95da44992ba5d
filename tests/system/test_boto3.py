"""boto3 against `trainload server`: both boto3 generations on the machine (Debian's 1.26 and the
image's 1.43 with the new default checksums: CRC32 on every upload, aws-chunked bodies with
trailers over HTTPS), each over plain HTTP and over TLS.

Each test runs one scenario of boto3_workload.py in a subprocess under the chosen interpreter;
the workload compares every byte and every field itself and fails loudly, and prints a JSON
summary that these tests check for what each boto3 generation supports.
"""

import json
import os

import pytest

import aws_support as sup
from conftest import SPECIAL_KEYS, run

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "boto3_workload.py")

SCENARIOS = ["buckets", "objects", "special_keys", "multipart", "listing", "ranges", "copy",
             "batch_delete", "presigned", "checksums", "errors"]

# What each boto3 generation can do with checksums (test_checksums asserts it was all exercised).
# 1.26/botocore 1.29 computes CRC32C through awscrt and has no CRC64NVME in its model; 1.43 here
# has no awscrt, so CRC32C and CRC64NVME values are computed by the test and sent precomputed.
EXPECTED_ALGORITHMS = {
    "debian": ["CRC32", "CRC32C", "SHA1", "SHA256"],
    "image": ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"],
}
EXPECTED_MULTIPART = {
    "debian": ["CRC32/COMPOSITE", "SHA256/COMPOSITE", "SHA1/COMPOSITE", "CRC32C/COMPOSITE"],
    "image": ["CRC32/COMPOSITE", "SHA256/COMPOSITE", "SHA1/COMPOSITE", "CRC32/FULL_OBJECT",
              "CRC64NVME/FULL_OBJECT"],
}


@pytest.fixture(scope="module", params=["http", "tls"])
def target(request):
    return request.getfixturevalue("server" if request.param == "http" else "tls_server")


def run_workload(target, python, scenario, workdir):
    scratch = os.path.join(workdir, f"b3-{python}-{'tls' if target.tls else 'http'}-{scenario}")
    os.makedirs(scratch, exist_ok=True)
    spec = {
        "endpoint": target.endpoint,
        "ca_bundle": target.tls[0] if target.tls else None,
        "access_key": target.access_key,
        "secret_key": target.secret_key,
        "bucket": f"b3-{python[:3]}-{'tls' if target.tls else 'http'}-"
                  f"{scenario.replace('_', '-')}",
        "workdir": scratch,
        "special_keys": SPECIAL_KEYS,
    }
    spec_path = os.path.join(scratch, "spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    env = target.client_env()
    env.pop("AWS_CA_BUNDLE", None)  # the workload passes verify= itself
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        result = run([sup.boto3_python(python), WORKLOAD, spec_path, scenario], env=env,
                     timeout=300)
    finally:
        for name in os.listdir(scratch):  # big scratch files go as soon as the scenario ends
            if name.endswith((".bin", ".down")):
                os.remove(os.path.join(scratch, name))
    summary = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert summary["scenario"] == scenario
    assert summary["checks"] > 0, summary
    return summary


@pytest.mark.parametrize("python", ["debian", "image"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_boto3(target, python, scenario, workdir):
    summary = run_workload(target, python, scenario, workdir)
    expected_major_minor = {"debian": "1.26", "image": "1.43"}[python]
    assert summary["boto3"].startswith(expected_major_minor + "."), summary
    if scenario == "checksums":
        assert summary["algorithms"] == EXPECTED_ALGORITHMS[python], summary
        assert summary["multipart"] == EXPECTED_MULTIPART[python], summary
    if scenario in ("objects", "multipart"):
        # The two upload framings really were exercised: boto3 1.43 over TLS streams aws-chunked
        # bodies with a CRC32 trailer; over HTTP (and 1.26 anywhere) the body is SHA-256 signed.
        wire = summary["wire"]
        if python == "image" and target.tls:
            assert "STREAMING-UNSIGNED-PAYLOAD-TRAILER" in wire["content_sha256"], wire
            assert "x-amz-checksum-crc32" in wire["trailers"], wire
            assert wire["aws_chunked"] > 0, wire
        if not target.tls:
            assert "<sha256 hex>" in wire["content_sha256"], wire
