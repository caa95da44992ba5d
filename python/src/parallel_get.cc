#include "parallel_get.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace trainload::python {

Status ParallelGet(Client& client, std::string_view bucket, std::string_view key,
                   std::span<std::byte> out, const ParallelGetOptions& options) {
  if (out.empty()) return Status::Ok();
  const uint64_t part_size = std::max<uint64_t>(options.part_size, 1);
  const size_t parts = static_cast<size_t>((out.size() + part_size - 1) / part_size);
  const size_t threads = std::clamp<size_t>(options.concurrency, 1, parts);
  GetOptions get_options;
  get_options.if_match = options.etag;

  // Parts are claimed in order from one counter, so the object is fetched front to back and a
  // failure keeps the remaining parts from being started.
  std::atomic<size_t> next_part{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  Status first_error;  // guarded by error_mu

  auto fail = [&](Status status) {
    std::lock_guard lock(error_mu);
    if (!failed.exchange(true)) first_error = std::move(status);
  };
  auto work = [&] {
    for (;;) {
      size_t part = next_part.fetch_add(1);
      if (part >= parts || failed.load()) return;
      uint64_t first = part * part_size;
      uint64_t length = std::min<uint64_t>(part_size, out.size() - first);
      Result<size_t> got = client.GetRange(bucket, key, ByteRange{first, first + length - 1},
                                           out.subspan(first, length), get_options);
      if (!got) return fail(got.error());
      if (*got != length) {
        return fail(DataLoss("GetObject s3://" + std::string(bucket) + "/" + std::string(key) +
                             ": bytes " + std::to_string(first) + "-" +
                             std::to_string(first + length - 1) + " returned " +
                             std::to_string(*got) + " bytes; the object is shorter than " +
                             std::to_string(out.size()) + " bytes"));
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(threads - 1);
    for (size_t i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
  }
  if (failed.load()) return first_error;
  return Status::Ok();
}

}  // namespace trainload::python
