"""One boto3 managed transfer, as a user's script would run it (a peer of bench/client_bench.py).

  python3 bench/boto3_transfer.py download|download-null|upload ENDPOINT BUCKET KEY [PATH]

- download:      s3.download_file(BUCKET, KEY, PATH)
- download-null: s3.download_fileobj(BUCKET, KEY, open("/dev/null", "wb")) (parallel ranged
                 GETs written at their offsets, as download_file does, but to /dev/null)
- upload:        s3.upload_file(PATH, BUCKET, KEY)

Credentials and region come from the environment (AWS_ACCESS_KEY_ID, ...). boto3's default
TransferConfig (8 MiB parts, 10 threads) is used: what a user gets. Runs under any Python with
boto3 (Debian's 1.26 and the machine image's 1.43 are both measured), so it imports nothing
from the bench.
"""

import sys

import boto3
from botocore.config import Config


def main(argv):
    if len(argv) < 5 or argv[1] not in ("download", "download-null", "upload"):
        print(__doc__, file=sys.stderr)
        return 2
    op, endpoint, bucket, key = argv[1:5]
    path = argv[5] if len(argv) > 5 else None
    if op != "download-null" and not path:
        print(f"{op} needs PATH", file=sys.stderr)
        return 2
    s3 = boto3.client("s3", endpoint_url=endpoint,
                      config=Config(s3={"addressing_style": "path"}))
    if op == "download":
        s3.download_file(bucket, key, path)
    elif op == "download-null":
        with open("/dev/null", "wb") as sink:
            s3.download_fileobj(bucket, key, sink)
    else:
        s3.upload_file(path, bucket, key)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
