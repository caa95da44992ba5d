#include "server/storage/spare_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <system_error>

namespace trainload::storage {

SpareFiles::SpareFiles(int dir_fd, std::function<std::string()> make_id, size_t count)
    : dir_fd_(dir_fd), make_id_(std::move(make_id)), count_(count) {}

SpareFiles::~SpareFiles() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (const Spare& spare : ready_) ::unlinkat(dir_fd_, spare.id.c_str(), 0);
}

std::optional<SpareFiles::Spare> SpareFiles::Take() {
  std::optional<Spare> taken;
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) {
      try {
        thread_ = std::thread([this] { Run(); });
      } catch (const std::system_error&) {
        // No thread to be had (EAGAIN): writers create their own files; tried again next time.
      }
    }
    if (!ready_.empty()) {
      taken = std::move(ready_.back());
      ready_.pop_back();
    }
  }
  wake_.notify_one();
  return taken;
}

void SpareFiles::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (ready_.size() >= count_) {
      wake_.wait(lock, [this] { return stopping_ || ready_.size() < count_; });
      continue;
    }
    lock.unlock();
    std::string id = make_id_();
    int fd = ::openat(dir_fd_, id.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    lock.lock();
    if (fd >= 0) {
      ready_.push_back(Spare{std::move(id), UniqueFd(fd)});
    } else {
      // Out of descriptors, inodes or space: uploads create their own files meanwhile, and
      // report the error if it persists. Try again later rather than spin.
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  }
}

}  // namespace trainload::storage
