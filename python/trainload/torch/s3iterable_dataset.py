"""S3IterableDataset: a streaming dataset over S3 objects, or over the samples of tar shards.

- Listing: the prefix is listed once, when the dataset is created, into a compact manifest that
  every epoch and every DataLoader worker reuses (no LIST per epoch or per worker).
- Order: listing order, or with shuffle=True a permutation fixed by (seed, epoch); call
  set_epoch(epoch) at the start of each epoch.
- Sharding (enable_sharding=True): disjoint and complete over torch.distributed ranks and
  DataLoader workers (see _sharding.py). Without it every rank and worker yields everything, as in
  s3torchconnector.
- Prefetch: inside each worker, the next `prefetch` objects are fetched by a thread pool while the
  current one is consumed (sequential readers only; range-based readers read on demand).
- Resume: state_dict()/load_state_dict() continue an epoch after the samples already consumed.
- Tar shards (tar_samples=True): each object is a WebDataset-layout tar; items are samples
  (dicts of extension -> bytes plus "__key__"/"__url__"), and the transform receives the dict.

Picklable: spawned workers receive the settings and the manifest, never a live client.
"""

import collections
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, Union

import torch.utils.data

from ._client import ObjectEntry, S3Client
from ._config import S3ClientConfig
from ._manifest import Manifest
from ._sharding import (dataloader_worker, distributed_rank_and_world, epoch_order,
                        rank_sequence, worker_positions)
from ._tar import iter_tar_samples
from ._uri import s3_uri
from .s3map_dataset import identity
from .s3reader import S3ReaderConstructor

logger = logging.getLogger("trainload.torch")

_STATE_VERSION = 1


class S3IterableDataset(torch.utils.data.IterableDataset):
    def __init__(self, manifest: Manifest, client: S3Client,
                 transform: Callable[[Any], Any] = identity, enable_sharding: bool = False,
                 reader_constructor=None, shuffle: bool = False, seed: int = 0,
                 batch_size: int = 1, prefetch: Optional[int] = None, tar_samples: bool = False,
                 rank: Optional[int] = None, world_size: Optional[int] = None):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, not {batch_size}")
        if (rank is None) != (world_size is None):
            raise ValueError("give both rank and world_size, or neither")
        self._manifest = manifest
        self._client = client
        self._transform = transform
        self._enable_sharding = enable_sharding
        self._reader_constructor = reader_constructor or S3ReaderConstructor.default()
        self._shuffle = shuffle
        self._seed = seed
        self._batch_size = batch_size
        self._prefetch = (2 if tar_samples else 8) if prefetch is None else prefetch
        self._tar_samples = tar_samples
        self._rank_world = None if rank is None else (rank, world_size)
        rank_sequence(range(1), *(self._rank_world or (0, 1)))  # validates
        self._epoch = 0
        self._resume = None  # (epoch, samples to skip, tar position or None)
        # Progress of iteration in this process: (epoch, samples yielded incl. skipped, tar pos).
        self._progress = (0, 0, None)

    @classmethod
    def from_prefix(cls, s3_uri: str, *, region: Optional[str] = None,
                    endpoint: Optional[str] = None, transform: Callable[[Any], Any] = identity,
                    s3client_config: Optional[S3ClientConfig] = None,
                    enable_sharding: bool = False, reader_constructor=None,
                    shuffle: bool = False, seed: int = 0, batch_size: int = 1,
                    prefetch: Optional[int] = None, tar_samples: bool = False,
                    rank: Optional[int] = None,
                    world_size: Optional[int] = None) -> "S3IterableDataset":
        """Every object under the s3:// prefix (listed now, once).

        batch_size: the DataLoader's batch size; with enable_sharding, workers take turns by
            whole batches so the loader yields the dataset's order and resume is exact.
        prefetch: objects fetched ahead per worker (default 8; 2 shards with tar_samples).
        rank / world_size: override torch.distributed (default: its process group, if any).
        """
        client = S3Client(region, endpoint, s3client_config)
        return cls(Manifest.from_prefix(client, s3_uri), client, transform, enable_sharding,
                   reader_constructor, shuffle, seed, batch_size, prefetch, tar_samples, rank,
                   world_size)

    @classmethod
    def from_objects(cls, object_uris: Union[str, Iterable[str]], *,
                     region: Optional[str] = None, endpoint: Optional[str] = None,
                     transform: Callable[[Any], Any] = identity,
                     s3client_config: Optional[S3ClientConfig] = None,
                     enable_sharding: bool = False, reader_constructor=None,
                     shuffle: bool = False, seed: int = 0, batch_size: int = 1,
                     prefetch: Optional[int] = None, tar_samples: bool = False,
                     rank: Optional[int] = None,
                     world_size: Optional[int] = None) -> "S3IterableDataset":
        """The given s3:// object URIs, in this order (no listing)."""
        return cls(Manifest.from_objects(object_uris), S3Client(region, endpoint, s3client_config),
                   transform, enable_sharding, reader_constructor, shuffle, seed, batch_size,
                   prefetch, tar_samples, rank, world_size)

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch (its shuffle order); a pending resume for another epoch is dropped."""
        self._epoch = epoch
        if self._resume is not None and self._resume[0] != epoch:
            self._resume = None

    def state_dict(self, num_samples: Optional[int] = None) -> Dict[str, Any]:
        """Where this epoch stands, for load_state_dict() to continue after it.

        num_samples: samples this rank has consumed in the current epoch. Required when
        iterating through DataLoader workers (their progress is not visible in this process);
        with the DataLoader's batch_size given to the dataset, the loader yields the dataset's
        order and this resumes exactly. Without it: the samples this object yielded itself.
        """
        epoch, yielded, tar_position = self._progress
        if num_samples is None:
            if epoch != self._epoch:
                yielded, tar_position = 0, None
            num_samples = yielded
        elif self._tar_samples:
            raise ValueError(
                "state_dict(num_samples=...) is not supported with tar_samples=True: samples of "
                "shards read by different DataLoader workers interleave, so a count does not "
                "say which were consumed; iterate without workers and call state_dict()")
        return {"version": _STATE_VERSION, "epoch": self._epoch, "seed": self._seed,
                "shuffle": self._shuffle, "num_samples": int(num_samples),
                "tar_position": tar_position, "manifest": self._manifest.fingerprint()}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """The next iteration of state["epoch"] continues after state["num_samples"] samples."""
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported S3IterableDataset state version {state.get('version')}")
        if state["manifest"] != self._manifest.fingerprint():
            raise ValueError("the state was saved for a different list of objects "
                             f"({state['manifest']}, this dataset has "
                             f"{self._manifest.fingerprint()})")
        self._seed = state["seed"]
        self._shuffle = state["shuffle"]
        self._epoch = state["epoch"]
        position = state.get("tar_position")
        self._resume = (self._epoch, state["num_samples"],
                        tuple(position) if position is not None else None)

    def __iter__(self) -> Iterator[Any]:
        client = self._client
        client.native  # created now, before any prefetch thread needs it
        rank, world_size = ((self._rank_world or distributed_rank_and_world())
                            if self._enable_sharding else (0, 1))
        worker, workers = dataloader_worker()
        if not self._enable_sharding:
            if workers > 1 and worker == 0:
                logger.warning("S3IterableDataset: %d DataLoader workers each yield the whole "
                               "dataset; pass enable_sharding=True to split it", workers)
            worker, workers = 0, 1
        order = rank_sequence(epoch_order(len(self._manifest), self._shuffle, self._seed,
                                          self._epoch), rank, world_size)
        skip, tar_position = 0, None
        if self._resume is not None and self._resume[0] == self._epoch:
            _, skip, tar_position = self._resume
        if self._tar_samples:
            items = self._iter_tar(client, order, worker, workers, skip, tar_position)
        else:
            items = self._iter_objects(client, order, worker, workers, skip)
        yield from items
        if workers == 1:
            self._resume = None  # this process finished the resumed epoch

    def _iter_objects(self, client: S3Client, order, worker: int, workers: int,
                      skip: int) -> Iterator[Any]:
        positions = worker_positions(len(order), skip, worker, workers, self._batch_size)
        entries = (self._manifest[int(order[p])] for p in positions)
        constructor = self._reader_constructor
        prefetch = self._prefetch if getattr(constructor, "prefetchable", False) else 0
        count = skip
        for entry, data in _prefetched(client, entries, prefetch):
            reader = constructor(client, entry, data=data)
            count += 1
            self._progress = (self._epoch, count, None)
            yield self._transform(reader)

    def _iter_tar(self, client: S3Client, order, worker: int, workers: int, skip: int,
                  tar_position: Optional[Tuple[int, int]]) -> Iterator[Any]:
        if skip and tar_position is None:
            raise ValueError("resuming tar samples needs the state's tar_position")
        first_shard, first_sample = tar_position or (0, 0)
        positions = [p for p in worker_positions(len(order), 0, worker, workers, 1)
                     if p >= first_shard]
        entries = ((p, self._manifest[int(order[p])]) for p in positions)
        count = skip
        for (position, entry), data in _prefetched(client, entries, self._prefetch,
                                                   key=lambda item: item[1]):
            uri = s3_uri(entry.bucket, entry.key)
            if data is None:
                data = client.fetch(entry)
            in_shard = 0
            for sample in iter_tar_samples(data, uri):
                in_shard += 1
                if position == first_shard and in_shard <= first_sample:
                    continue
                count += 1
                self._progress = (self._epoch, count, (position, in_shard))
                yield self._transform(sample)
            self._progress = (self._epoch, count, (position + 1, 0))


def _prefetched(client: S3Client, items: Iterator, depth: int,
                key: Callable[[Any], ObjectEntry] = lambda item: item) -> Iterator[Tuple[Any, Any]]:
    """(item, whole object bytes) in order, with up to `depth` objects fetched ahead by a thread
    pool; depth 0: (item, None), the reader fetches on demand."""
    if depth <= 0:
        for item in items:
            yield item, None
        return
    pending = collections.deque()
    with ThreadPoolExecutor(max_workers=depth, thread_name_prefix="trainload-prefetch") as pool:
        try:
            for item in items:
                pending.append((item, pool.submit(client.fetch, key(item))))
                if len(pending) >= depth:
                    ready, future = pending.popleft()
                    yield ready, future.result()
            while pending:
                ready, future = pending.popleft()
                yield ready, future.result()
        finally:
            for _, future in pending:
                future.cancel()
