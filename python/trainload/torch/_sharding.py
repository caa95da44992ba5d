"""Which objects a process yields in an epoch: seeded shuffling, sharding over torch.distributed
ranks and DataLoader workers, and the resume offset.

The epoch order is one permutation of the manifest, the same in every process (it depends only
on seed and epoch). Rank r of world size R takes positions r, r+R, r+2R, ... of it (its "rank
sequence"); within a rank, DataLoader workers take turns by blocks of `block` consecutive items
(block = the DataLoader's batch size), which is exactly the order in which the DataLoader
collects batches from its workers — so the loader yields the rank sequence in order and "N
samples consumed" identifies the resume point whatever the number of workers. Every item goes to
exactly one (rank, worker): disjoint and complete.
"""

from typing import Iterator, Sequence, Tuple

import numpy as np


def epoch_order(count: int, shuffle: bool, seed: int, epoch: int) -> Sequence[int]:
    """The manifest indices in this epoch's order."""
    if not shuffle:
        return range(count)
    if seed < 0 or epoch < 0:
        raise ValueError(f"seed and epoch must be >= 0 (seed={seed}, epoch={epoch})")
    return np.random.default_rng([seed, epoch]).permutation(count)


def rank_sequence(order: Sequence[int], rank: int, world_size: int) -> Sequence[int]:
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is outside world size {world_size}")
    return order[rank::world_size]


def worker_positions(total: int, start: int, worker: int, num_workers: int,
                     block: int) -> Iterator[int]:
    """Positions in a rank sequence of `total` items that worker `worker` of `num_workers`
    yields, after the first `start` items were consumed: blocks of `block` items dealt
    round-robin, block j to worker j % num_workers."""
    if block < 1:
        raise ValueError(f"block (batch_size) must be >= 1, not {block}")
    j = worker
    while True:
        first = start + j * block
        if first >= total:
            return
        yield from range(first, min(first + block, total))
        j += num_workers


def distributed_rank_and_world() -> Tuple[int, int]:
    """(rank, world size) from torch.distributed when a process group is initialized."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def dataloader_worker() -> Tuple[int, int]:
    """(worker id, number of workers) inside a DataLoader worker, else (0, 1)."""
    from torch.utils.data import get_worker_info
    info = get_worker_info()
    if info is None:
        return 0, 1
    return info.id, info.num_workers
