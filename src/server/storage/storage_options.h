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
};

}  // namespace trainload::storage
