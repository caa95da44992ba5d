// Empty data files made ahead of need, so that an upload starts writing at once. Creating a
// file costs more than it looks: on ext4 without a journal, inode allocation skips every inode
// freed in the last minutes (`recently_deleted`), one by one, so after a delete of a few
// thousand objects each create took 0.4-3 ms — about 4% of a 1 MiB PUT's time with fsync on,
// paid before its first byte. A thread of its own keeps a few files ready in <root>/spare/;
// DataFiles::NewWriter takes one (a rename into tmp/) and falls back to creating one when
// none is ready.
//
// Spares are plain empty files named by fresh ids, never referenced by the index: any left at
// a restart are removed with tmp/ (DataFiles::ClearTmp), and those left at destruction are
// removed by the destructor.
//
// Thread-safe. The thread starts with the first Take() (a store that never writes has none).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/storage/data_files.h"  // UniqueFd

namespace trainload::storage {

class SpareFiles {
 public:
  struct Spare {
    std::string id;
    UniqueFd fd;  // open for writing
  };

  // Spares are created in the directory `dir_fd` (which must outlive this object), named by
  // `make_id`; up to `count` are kept ready.
  SpareFiles(int dir_fd, std::function<std::string()> make_id, size_t count);
  ~SpareFiles();
  SpareFiles(const SpareFiles&) = delete;
  SpareFiles& operator=(const SpareFiles&) = delete;

  // A ready spare, or nullopt when none is (the caller creates its file itself). Wakes the
  // thread to make another.
  std::optional<Spare> Take();

 private:
  void Run();

  const int dir_fd_;
  const std::function<std::string()> make_id_;
  const size_t count_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Spare> ready_;  // guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  std::thread thread_;        // guarded by mu_ until started; joined by the destructor
};

}  // namespace trainload::storage
