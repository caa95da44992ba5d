#include "server/storage/spare_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "server/storage/storage_test_support.h"

namespace trainload::storage {
namespace {

class SpareFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_fd_ = UniqueFd(::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir_fd_.valid());
  }
  size_t FilesInDir() {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_.path()),
                                             std::filesystem::directory_iterator()));
  }
  std::function<std::string()> Counter() {
    return [this] { return "spare-" + std::to_string(next_++); };
  }
  // Takes spares until one is ready (the thread starts with the first Take), for at most 5 s.
  std::optional<SpareFiles::Spare> TakeReady(SpareFiles& spares) {
    for (int i = 0; i < 500; ++i) {
      if (auto spare = spares.Take()) return spare;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  testing::TempDir dir_;
  UniqueFd dir_fd_;
  int next_ = 0;
};

TEST_F(SpareFilesTest, KeepsUpToCountEmptyWritableFilesReady) {
  SpareFiles spares(dir_fd_.get(), Counter(), 4);
  auto first = TakeReady(spares);
  ASSERT_TRUE(first) << "no spare was made within 5 s";
  EXPECT_TRUE(first->fd.valid());
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / first->id), 0u);
  ASSERT_EQ(::write(first->fd.get(), "data", 4), 4) << "a spare is open for writing";
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / first->id), 4u);
  // The thread refills to 4 ready, plus the one taken, and stops there.
  for (int i = 0; i < 500 && FilesInDir() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(FilesInDir(), 5u);
}

TEST_F(SpareFilesTest, EverySpareHasAFreshIdAndItsOwnFile) {
  SpareFiles spares(dir_fd_.get(), Counter(), 2);
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto spare = TakeReady(spares);
    ASSERT_TRUE(spare);
    EXPECT_TRUE(ids.insert(spare->id).second) << spare->id << " given twice";
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / spare->id));
  }
}

TEST_F(SpareFilesTest, SparesNotTakenAreRemovedAtDestruction) {
  std::string taken;
  {
    SpareFiles spares(dir_fd_.get(), Counter(), 3);
    auto spare = TakeReady(spares);
    ASSERT_TRUE(spare);
    taken = spare->id;
    for (int i = 0; i < 500 && FilesInDir() < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // Only the spare handed out (now its taker's) is left.
  EXPECT_EQ(FilesInDir(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / taken));
}

TEST_F(SpareFilesTest, ADirectoryItCannotCreateInLeavesTakeEmptyHanded) {
  SpareFiles spares(/*dir_fd=*/-1, Counter(), 2);
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(spares.Take());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}  // and the destructor stops the thread while it waits to retry

}  // namespace
}  // namespace trainload::storage
