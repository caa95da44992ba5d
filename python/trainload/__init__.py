"""trainload: keeps ML training fed from S3-compatible object storage.

`trainload.torch` is the PyTorch connector (datasets, streaming readers and writers,
checkpoints); `trainload._trainload` is the native module over the C++ client it is built on.
"""

__version__ = "0.1.0"
