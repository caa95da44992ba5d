"""Samples of a tar shard in WebDataset layout: consecutive members sharing a basename up to the
first dot ("train/0001.jpg", "train/0001.cls") form one sample
{"__key__": "train/0001", "__url__": shard URI, "jpg": b"...", "cls": b"..."}."""

import io
import posixpath
import tarfile
from typing import Dict, Iterator

from .._errors import S3Exception


def iter_tar_samples(data: bytes, uri: str) -> Iterator[Dict[str, object]]:
    """The samples of the shard `data` (its whole bytes), in archive order."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            sample = None
            for member in archive:
                if not member.isfile():
                    continue
                directory, base = posixpath.split(member.name)
                stem, _, extension = base.partition(".")
                key = posixpath.join(directory, stem)
                if sample is None or sample["__key__"] != key:
                    if sample is not None:
                        yield sample
                    sample = {"__key__": key, "__url__": uri}
                start = member.offset_data
                sample[extension] = data[start:start + member.size]
            if sample is not None:
                yield sample
    except tarfile.TarError as error:
        raise S3Exception(f"{uri} is not a readable tar shard: {error}", uri=uri,
                          code="InvalidTar") from error
