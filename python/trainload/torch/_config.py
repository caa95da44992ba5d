"""S3ClientConfig: how the native client talks to S3 (same fields and defaults as
s3torchconnector's S3ClientConfig, so configurations carry over unchanged)."""

from dataclasses import dataclass
from typing import Optional

DEFAULT_PART_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class S3ClientConfig:
    """Client settings shared by every dataset, reader, writer and checkpoint.

    throughput_target_gbps: sizes the connection pool (~2.5 connections per Gbps).
    part_size: ranged-GET and multipart-upload part size in bytes (5 MiB .. 5 GiB).
    unsigned: send anonymous requests (public buckets).
    force_path_style: http://endpoint/bucket/key instead of http://bucket.endpoint/key
        (custom endpoints and IP addresses use path style anyway).
    max_attempts: attempts per request, retries with exponential backoff and full jitter.
    profile: the AWS profile to take credentials and settings from.
    """

    throughput_target_gbps: float = 10.0
    part_size: int = DEFAULT_PART_SIZE
    unsigned: bool = False
    force_path_style: bool = False
    max_attempts: int = 10
    profile: Optional[str] = None

    def __post_init__(self):
        if not 5 * 1024 * 1024 <= self.part_size <= 5 * 1024 ** 3:
            raise ValueError(f"S3ClientConfig.part_size must be 5 MiB..5 GiB, not {self.part_size}")
        if self.max_attempts < 1:
            raise ValueError(f"S3ClientConfig.max_attempts must be >= 1, not {self.max_attempts}")
        if self.throughput_target_gbps <= 0:
            raise ValueError("S3ClientConfig.throughput_target_gbps must be > 0, not "
                             f"{self.throughput_target_gbps}")
