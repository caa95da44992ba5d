"""Picklable helpers (transforms, collate functions) for DataLoader workers, spawned ones
included: a spawned worker imports this module by name."""


def key_and_bytes(reader):
    return reader.key, reader.read()


def key_only(reader):
    return reader.key


def sample_key(sample):
    return sample["__key__"]


def as_list(batch):
    return list(batch)


def failing_read(reader):
    return reader.read()


def key_and_bytes_after_seeking(reader):
    """Seeks to the end and back before reading, as zip/tar readers do."""
    size = reader.seek(0, 2)
    reader.seek(0)
    data = reader.read()
    assert len(data) == size == reader.tell(), (reader.key, size, len(data))
    return reader.key, data
