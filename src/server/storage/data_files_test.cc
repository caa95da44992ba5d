#include "server/storage/data_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "server/storage/storage_test_support.h"

namespace trainload::storage {
namespace {

std::string FileContent(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class DataFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto files = DataFiles::Open(dir_.path(), 7, /*fsync=*/true);
    ASSERT_TRUE(files) << files.error().ToString();
    files_ = *files;
  }
  size_t TmpCount() { return *files_->CountTmpFiles(); }
  size_t ObjectCount() { return *files_->CountObjectFiles(); }

  testing::TempDir dir_;
  std::shared_ptr<DataFiles> files_;
};

TEST_F(DataFilesTest, IdsCarryTheGenerationAndNeverRepeat) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = files_->NewId();
    EXPECT_TRUE(DataFiles::IsValidId(id)) << id;
    EXPECT_EQ(DataFiles::GenerationOf(id), 7u);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_FALSE(DataFiles::IsValidId("../../etc/passwd"));
  EXPECT_FALSE(DataFiles::GenerationOf("0000000000000007000000000000000G"));
}

TEST_F(DataFilesTest, FinishMovesTheFileFromTmpIntoItsShard) {
  auto writer = files_->NewWriter();
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->Append("hello ").ok());
  ASSERT_TRUE((*writer)->Append("world").ok());
  EXPECT_EQ((*writer)->size(), 11u);
  EXPECT_EQ(TmpCount(), 1u);
  auto staged = (*writer)->Finish();
  ASSERT_TRUE(staged) << staged.error().ToString();
  EXPECT_EQ(TmpCount(), 0u);
  EXPECT_EQ(staged->size(), 11u);
  std::filesystem::path path = files_->ObjectPath(staged->file_id());
  EXPECT_EQ(path.parent_path().filename(), staged->file_id().substr(30));
  EXPECT_EQ(FileContent(path), "hello world");
  EXPECT_EQ((*writer)->Append("more").code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE((*writer)->Finish());
}

TEST_F(DataFilesTest, BigWritesAreFlushedWhileTheyStreamAndFinishWhole) {
  // 200 MiB with fsync on: flushes start in the background at 64 MiB steps while the writer
  // keeps appending; Finish waits for them and the file holds every byte in order.
  auto writer = files_->NewWriter();
  ASSERT_TRUE(writer);
  std::string piece(1 << 20, '\0');
  for (int i = 0; i < 200; ++i) {
    for (size_t j = 0; j < piece.size(); j += 4096) piece[j] = static_cast<char>('a' + i % 26);
    ASSERT_TRUE((*writer)->Append(piece).ok());
  }
  auto staged = (*writer)->Finish();
  ASSERT_TRUE(staged) << staged.error().ToString();
  EXPECT_EQ(staged->size(), 200u << 20);
  std::string content = FileContent(files_->ObjectPath(staged->file_id()));
  ASSERT_EQ(content.size(), 200u << 20);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(content[static_cast<size_t>(i) << 20], static_cast<char>('a' + i % 26)) << i;
  }
}

TEST_F(DataFilesTest, AWriterAbandonedDuringABackgroundFlushLeavesNoFile) {
  {
    auto writer = files_->NewWriter();
    ASSERT_TRUE(writer);
    std::string piece(1 << 20, 'x');
    for (int i = 0; i < 72; ++i) ASSERT_TRUE((*writer)->Append(piece).ok());
  }  // destroyed (client gone) while the flush started at 64 MiB may still run
  EXPECT_EQ(TmpCount(), 0u);
  EXPECT_EQ(ObjectCount(), 0u);
}

TEST_F(DataFilesTest, AFlushStartedBeforeTheLastBytesStillLeavesTheWholeFile) {
  // StartFlush covers what was written when it started; bytes appended after it must still be
  // made durable by Finish, and the file holds them all in order.
  auto writer = files_->NewWriter();
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->Append("written before the flush; ").ok());
  (*writer)->StartFlush();
  ASSERT_TRUE((*writer)->Append("written while it may still run; ").ok());
  (*writer)->StartFlush();  // a no-op if the first is still running
  ASSERT_TRUE((*writer)->Append("and after.").ok());
  auto staged = (*writer)->Finish();
  ASSERT_TRUE(staged) << staged.error().ToString();
  EXPECT_EQ(FileContent(files_->ObjectPath(staged->file_id())),
            "written before the flush; written while it may still run; and after.");
}

TEST_F(DataFilesTest, AWriterAbandonedAfterStartFlushLeavesNoFile) {
  {
    auto writer = files_->NewWriter();
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->Append(std::string(3 << 20, 'x')).ok());
    (*writer)->StartFlush();
  }  // the client went away (or the body failed verification) while the flush ran
  EXPECT_EQ(TmpCount(), 0u);
  EXPECT_EQ(ObjectCount(), 0u);
}

TEST_F(DataFilesTest, AbandonedWriterLeavesNoFile) {
  {
    auto writer = files_->NewWriter();
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->Append("partial upload").ok());
    EXPECT_EQ(TmpCount(), 1u);
  }
  EXPECT_EQ(TmpCount(), 0u);
  EXPECT_EQ(ObjectCount(), 0u);
}

TEST_F(DataFilesTest, StagedDataDroppedUncommittedLeavesNoFile) {
  std::string id;
  {
    auto writer = files_->NewWriter();
    ASSERT_TRUE((*writer)->Append("x").ok());
    auto staged = (*writer)->Finish();
    ASSERT_TRUE(staged);
    id = staged->file_id();
    EXPECT_EQ(ObjectCount(), 1u);
    StagedData moved = std::move(*staged);  // ownership moves, the file stays
    EXPECT_FALSE(staged->has_file());
    EXPECT_EQ(ObjectCount(), 1u);
    writer->reset();  // the writer going away does not touch the staged file
    EXPECT_EQ(ObjectCount(), 1u);
  }
  EXPECT_EQ(ObjectCount(), 0u);
  EXPECT_EQ(files_->OpenObject(id).error().code(), StatusCode::kNotFound);
}

TEST_F(DataFilesTest, ReleasedStagedDataKeepsItsFile) {
  auto writer = files_->NewWriter();
  ASSERT_TRUE((*writer)->Append("kept").ok());
  std::string id;
  {
    auto staged = (*writer)->Finish();
    id = staged->Release();
  }
  EXPECT_TRUE(files_->OpenObject(id));
  EXPECT_TRUE(files_->UnlinkObject(id).ok());
  EXPECT_TRUE(files_->UnlinkObject(id).ok()) << "a missing file is not an error";
  EXPECT_EQ(ObjectCount(), 0u);
}

TEST_F(DataFilesTest, AppendFromCopiesARangeOfAnotherFile) {
  std::string source_content;
  for (int i = 0; i < 300000; ++i) source_content.push_back(static_cast<char>(i * 7));
  auto source_writer = files_->NewWriter();
  ASSERT_TRUE((*source_writer)->Append(source_content).ok());
  auto source = (*source_writer)->Finish();
  auto fd = files_->OpenObject(source->file_id());
  ASSERT_TRUE(fd);

  auto writer = files_->NewWriter();
  ASSERT_TRUE((*writer)->Append("head:").ok());
  ASSERT_TRUE((*writer)->AppendFrom(fd->get(), 12345, 200000).ok());
  EXPECT_EQ((*writer)->size(), 200005u);
  // Past the end of the source: kOutOfRange, and the writer is broken.
  EXPECT_EQ((*writer)->AppendFrom(fd->get(), 299999, 2).code(), StatusCode::kOutOfRange);
  EXPECT_FALSE((*writer)->Finish());

  auto good = files_->NewWriter();
  ASSERT_TRUE((*good)->AppendFrom(fd->get(), 12345, 200000).ok());
  auto staged = (*good)->Finish();
  ASSERT_TRUE(staged);
  EXPECT_EQ(FileContent(files_->ObjectPath(staged->file_id())),
            source_content.substr(12345, 200000));
}

TEST_F(DataFilesTest, WritersStartFromSpareFilesMadeAhead) {
  // The first writer starts the spare thread; later ones find spares in spare/ and move them
  // into tmp/. Either way each writes its own file and finishes it into its shard.
  const auto spare_dir = dir_.path() / "spare";
  auto spares_ready = [&] {
    return std::distance(std::filesystem::directory_iterator(spare_dir),
                         std::filesystem::directory_iterator());
  };
  std::set<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    auto writer = files_->NewWriter();
    ASSERT_TRUE(writer) << writer.error().ToString();
    EXPECT_EQ(TmpCount(), 1u);
    ASSERT_TRUE((*writer)->Append("object " + std::to_string(i)).ok());
    auto staged = (*writer)->Finish();
    ASSERT_TRUE(staged);
    EXPECT_EQ(FileContent(files_->ObjectPath(staged->file_id())), "object " + std::to_string(i));
    EXPECT_TRUE(ids.insert(staged->Release()).second);
    for (int wait = 0; wait < 100 && spares_ready() == 0; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_EQ(TmpCount(), 0u);
  EXPECT_EQ(ObjectCount(), 40u);
  EXPECT_GT(spares_ready(), 0);
}

TEST_F(DataFilesTest, ClearTmpRemovesLeftovers) {
  std::ofstream(dir_.path() / "tmp" / "stray1") << "x";
  std::ofstream(dir_.path() / "tmp" / "0000000000000001000000000000000a") << "y";
  std::ofstream(dir_.path() / "spare" / "0000000000000001000000000000000b");
  EXPECT_EQ(*files_->ClearTmp(), 2u) << "counts the interrupted uploads of tmp/, not spares";
  EXPECT_EQ(TmpCount(), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "spare"));
}

TEST_F(DataFilesTest, ForEachObjectFileVisitsEveryIdAndSkipsOtherNames) {
  std::set<std::string> made;
  std::vector<StagedData> keep;
  for (int i = 0; i < 600; ++i) {  // wraps the 256 shards twice
    auto writer = files_->NewWriter();
    auto staged = (*writer)->Finish();
    made.insert(staged->file_id());
    keep.push_back(std::move(*staged));
  }
  std::ofstream(dir_.path() / "objects" / "00" / "not-an-id") << "z";
  std::set<std::string> seen;
  ASSERT_TRUE(files_
                  ->ForEachObjectFile([&](std::string_view id) {
                    seen.insert(std::string(id));
                    return true;
                  })
                  .ok());
  EXPECT_EQ(seen, made);
}

}  // namespace
}  // namespace trainload::storage
