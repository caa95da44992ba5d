// Configuration of the storage engine (ObjectStore::Open). Plain value; thread-compatible.
#pragma once

#include <filesystem>

namespace trainload::storage {

struct StorageOptions {
  // Directory holding index/, objects/ and tmp/; created if missing. One ObjectStore per root at
  // a time (LevelDB's lock file enforces it across processes).
  std::filesystem::path root;
  // fsync data files, their directories and every index commit. Off trades durability across
  // power loss (not process crashes) for speed.
  bool fsync = true;
  // Decoded object records kept in memory (least recently used out), so that a GET or HEAD of
  // a hot object does not read and decode its index row again. 0 turns the cache off.
  size_t record_cache_entries = 16384;
};

}  // namespace trainload::storage
