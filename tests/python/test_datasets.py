"""S3MapDataset and S3IterableDataset against a real server: exact bytes, DataLoader workers
(fork and spawn), sharding over ranks x workers, seeded shuffling, mid-epoch resume, tar shards,
the listing kept as a manifest."""

import logging

import pytest
from torch.utils.data import DataLoader

import torch_support
from conftest import BUCKET, payload, put_all
from trainload.torch import (S3IterableDataset, S3MapDataset, S3ReaderConstructor)

PREFIX = f"s3://{BUCKET}/samples/"


def keys_of(loader):
    return [key for batch in loader for key in batch]


def load_all(dataset, workers, batch_size=4, context=None):
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                        collate_fn=torch_support.as_list, multiprocessing_context=context)
    return [item for batch in loader for item in batch]


def test_map_dataset_items_equal_source_bytes(samples, connect):
    dataset = S3MapDataset.from_prefix(PREFIX, transform=torch_support.key_and_bytes, **connect)
    assert len(dataset) == len(samples)
    listed = [dataset[i][0] for i in range(len(dataset))]
    assert listed == sorted(samples, key=lambda k: k.encode())  # UTF-8 byte order
    for i in range(len(dataset)):
        key, data = dataset[i]
        assert data == samples[key], key
    assert dataset[-1][0] == dataset[len(dataset) - 1][0]
    with pytest.raises(IndexError):
        dataset[len(dataset)]


@pytest.mark.parametrize("workers", [0, 2, 4])
def test_map_dataset_through_dataloader(samples, connect, workers):
    dataset = S3MapDataset.from_prefix(PREFIX, transform=torch_support.key_and_bytes, **connect)
    items = load_all(dataset, workers)
    assert sorted(key for key, _ in items) == sorted(samples)
    for key, data in items:
        assert data == samples[key], key


@pytest.mark.parametrize("workers", [0, 2, 4])
def test_iterable_dataset_through_dataloader(samples, connect, workers):
    dataset = S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_and_bytes,
                                            enable_sharding=True, batch_size=4, **connect)
    items = load_all(dataset, workers)
    assert len(items) == len(samples)
    assert {key for key, _ in items} == set(samples)
    for key, data in items:
        assert data == samples[key], key


def test_iterable_dataset_with_spawned_workers(samples, connect):
    dataset = S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_and_bytes,
                                            enable_sharding=True, shuffle=True, seed=3,
                                            batch_size=4, **connect)
    items = load_all(dataset, 2, context="spawn")
    assert sorted(key for key, _ in items) == sorted(samples)
    for key, data in items:
        assert data == samples[key], key


def test_map_dataset_with_spawned_workers(samples, connect):
    keys = sorted(samples)[:10]
    dataset = S3MapDataset.from_objects([f"s3://{BUCKET}/{k}" for k in keys],
                                        transform=torch_support.key_and_bytes, **connect)
    items = load_all(dataset, 2, context="spawn")
    assert [key for key, _ in items] == keys
    assert all(data == samples[key] for key, data in items)


@pytest.mark.parametrize("reader", ["sequential", "range_based", "range_unbuffered"])
@pytest.mark.parametrize("prefetch", [0, 3])
def test_iterable_from_objects_readers_and_prefetch(samples, connect, reader, prefetch):
    constructor = {"sequential": S3ReaderConstructor.sequential(),
                   "range_based": S3ReaderConstructor.range_based(64 * 1024),
                   "range_unbuffered": S3ReaderConstructor.range_based(0)}[reader]
    keys = sorted(samples)
    dataset = S3IterableDataset.from_objects([f"s3://{BUCKET}/{k}" for k in keys],
                                             transform=torch_support.key_and_bytes_after_seeking,
                                             reader_constructor=constructor, prefetch=prefetch,
                                             **connect)
    items = list(dataset)
    assert [key for key, _ in items] == keys
    for key, data in items:
        assert data == samples[key], key


@pytest.mark.parametrize("world_size", [1, 2, 3])
@pytest.mark.parametrize("workers", [0, 2, 3])
def test_sharding_covers_every_object_exactly_once(samples, connect, world_size, workers):
    seen = []
    for rank in range(world_size):
        dataset = S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_only,
                                                enable_sharding=True, shuffle=True, seed=11,
                                                batch_size=2, rank=rank, world_size=world_size,
                                                **connect)
        rank_keys = load_all(dataset, workers, batch_size=2)
        # With the DataLoader's batch size given to the dataset, the loader yields exactly the
        # rank's sequence, whatever the number of workers.
        assert rank_keys == list(dataset), (rank, workers)
        seen += rank_keys
    assert len(seen) == len(samples)
    assert sorted(seen) == sorted(samples)


def test_sharding_follows_torch_distributed(samples, connect, monkeypatch):
    import torch.distributed as dist
    seen = []
    for rank in range(2):
        monkeypatch.setattr(dist, "is_initialized", lambda: True)
        monkeypatch.setattr(dist, "get_rank", lambda r=rank: r)
        monkeypatch.setattr(dist, "get_world_size", lambda: 2)
        dataset = S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_only,
                                                enable_sharding=True, **connect)
        seen.append(list(dataset))
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == sorted(samples)


def test_without_sharding_every_worker_reads_everything(samples, connect):
    dataset = S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_only, **connect)
    keys = load_all(dataset, 2)
    assert sorted(keys) == sorted(list(samples) * 2)


def test_shuffle_is_deterministic_per_seed_and_changes_per_epoch(samples, connect):
    def order(seed, epoch, kind=S3IterableDataset):
        dataset = kind.from_prefix(PREFIX, transform=torch_support.key_only, shuffle=True,
                                   seed=seed, **connect)
        dataset.set_epoch(epoch)
        if kind is S3MapDataset:
            return [dataset[i] for i in range(len(dataset))]
        return list(dataset)

    for kind in (S3IterableDataset, S3MapDataset):
        first = order(7, 0, kind)
        assert first == order(7, 0, kind)
        assert sorted(first) == sorted(samples)
        assert first != sorted(samples)
        second = order(7, 1, kind)
        assert sorted(second) == sorted(first) and second != first
        assert order(8, 0, kind) != first
    # One dataset object, several epochs.
    dataset = S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_only,
                                            shuffle=True, seed=7, **connect)
    epochs = []
    for epoch in range(3):
        dataset.set_epoch(epoch)
        epochs.append(list(dataset))
    assert epochs[0] == order(7, 0) and epochs[1] == order(7, 1) and epochs[2] != epochs[1]


def test_resume_without_workers_yields_exactly_the_rest(samples, connect):
    def make():
        return S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_only,
                                             shuffle=True, seed=5, **connect)

    dataset = make()
    dataset.set_epoch(2)
    full = list(dataset)
    iterator = iter(dataset)
    consumed = [next(iterator) for _ in range(17)]
    state = dataset.state_dict()
    assert state["num_samples"] == 17 and state["epoch"] == 2
    resumed = make()
    resumed.load_state_dict(state)
    rest = list(resumed)
    assert consumed + rest == full
    # The resume applies once: the next pass over the epoch is whole again.
    assert list(resumed) == full


@pytest.mark.parametrize("workers", [2, 3])
def test_resume_through_dataloader_workers(samples, connect, workers):
    def make():
        return S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_only,
                                             enable_sharding=True, shuffle=True, seed=9,
                                             batch_size=4, **connect)

    dataset = make()
    dataset.set_epoch(1)
    full = load_all(dataset, workers)
    assert sorted(full) == sorted(samples)
    loader = DataLoader(dataset, batch_size=4, num_workers=workers,
                        collate_fn=torch_support.as_list)
    consumed = []
    for batch in loader:
        consumed += batch
        if len(consumed) == 12:
            break
    state = dataset.state_dict(num_samples=len(consumed))
    del loader
    resumed = make()
    resumed.load_state_dict(state)
    # Resuming with another number of workers continues the same sequence.
    rest = load_all(resumed, 4 - workers + 1)
    assert consumed + rest == full


def test_resume_rejects_a_different_listing(samples, connect):
    dataset = S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_only, **connect)
    other = S3IterableDataset.from_objects([f"s3://{BUCKET}/samples/000.bin"], **connect)
    with pytest.raises(ValueError, match="different list of objects"):
        other.load_state_dict(dataset.state_dict(num_samples=3))


@pytest.mark.parametrize("workers", [0, 2])
def test_tar_shards_yield_samples(shards, connect, workers):
    _, expected = shards
    dataset = S3IterableDataset.from_prefix(f"s3://{BUCKET}/shards/", tar_samples=True,
                                            enable_sharding=True, **connect)
    got = load_all(dataset, workers)
    assert sorted(s["__key__"] for s in got) == sorted(k for k, _ in expected)
    by_key = dict(expected)
    for sample in got:
        want = by_key[sample["__key__"]]
        assert {k: v for k, v in sample.items() if not k.startswith("__")} == want
        assert sample["__url__"].startswith(f"s3://{BUCKET}/shards/shard-")
    if workers == 0:
        assert [s["__key__"] for s in got] == [k for k, _ in expected]


def test_tar_shards_shuffle_and_resume(shards, connect):
    def make():
        return S3IterableDataset.from_prefix(f"s3://{BUCKET}/shards/", tar_samples=True,
                                             shuffle=True, seed=1,
                                             transform=torch_support.sample_key, **connect)

    dataset = make()
    full = list(dataset)
    assert sorted(full) == sorted(k for k, _ in shards[1]) and full != sorted(full)
    for consumed_count in (1, 4, 10, len(full) - 1):
        iterator = iter(dataset)
        consumed = [next(iterator) for _ in range(consumed_count)]
        resumed = make()
        resumed.load_state_dict(dataset.state_dict())
        assert consumed + list(resumed) == full, consumed_count
    with pytest.raises(ValueError, match="tar_samples"):
        dataset.state_dict(num_samples=3)


def test_listing_is_done_once_and_kept(s3, bucket, connect):
    put_all(s3, bucket, {f"late/{i}.bin": payload(i, 10) for i in range(5)})
    dataset = S3IterableDataset.from_prefix(f"s3://{BUCKET}/late/",
                                            transform=torch_support.key_only, **connect)
    map_dataset = S3MapDataset.from_prefix(f"s3://{BUCKET}/late/",
                                           transform=torch_support.key_only, **connect)
    s3.put_object(Bucket=bucket, Key="late/added-after-listing.bin", Body=b"x")
    for epoch in range(2):
        dataset.set_epoch(epoch)
        assert load_all(dataset, 2) and sorted(load_all(dataset, 0)) == [
            f"late/{i}.bin" for i in range(5)]
    assert len(map_dataset) == 5


def test_large_listing_is_paged_and_reports_progress(s3, bucket, connect, caplog, monkeypatch):
    from trainload.torch import _manifest
    objects = {f"many/{i:05d}": b"" for i in range(1203)}
    put_all(s3, bucket, objects)
    # A listing slower than the threshold says so at warning level, visible without any
    # logging configuration; a threshold of 0 makes this one "slow".
    monkeypatch.setattr(_manifest, "_FIRST_LOG_SECONDS", 0.0)
    with caplog.at_level(logging.DEBUG, logger="trainload.torch"):
        dataset = S3MapDataset.from_prefix(f"s3://{BUCKET}/many/",
                                           transform=torch_support.key_only, **connect)
    assert len(dataset) == 1203
    assert [dataset[i] for i in (0, 999, 1000, 1202)] == [
        "many/00000", "many/00999", "many/01000", "many/01202"]
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert any(level == "WARNING" and f"listing s3://{BUCKET}/many/: 1000 objects so far" in m
               for level, m in messages), messages
    assert any(level == "WARNING" and f"listed s3://{BUCKET}/many/: 1203 objects" in m
               for level, m in messages), messages


def test_datasets_pickle_settings_not_clients(samples, connect):
    import pickle
    dataset = S3IterableDataset.from_prefix(PREFIX, transform=torch_support.key_only, **connect)
    list(dataset)  # a native client now exists in this process
    copy = pickle.loads(pickle.dumps(dataset))
    assert list(copy) == list(dataset)
    assert len(pickle.dumps(dataset)) < 20000
