#include "server/storage/object_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "server/storage/storage_test_support.h"

namespace trainload::storage {
namespace {

class ObjectReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_ = *DataFiles::Open(dir_.path(), 1, /*fsync=*/false);
    // Segments of sizes 1, 0 (an empty part), 5, 1 and 9: boundaries at 1, 1, 6, 7, 16.
    const std::vector<size_t> sizes = {1, 0, 5, 1, 9};
    char next = 'a';
    for (size_t size : sizes) {
      std::string piece;
      for (size_t i = 0; i < size; ++i) piece.push_back(next++);
      auto writer = *files_->NewWriter();
      ASSERT_TRUE(writer->Append(piece).ok());
      StagedData staged = *writer->Finish();
      record_.segments.push_back({staged.file_id(), size});
      record_.size += size;
      content_ += piece;
      staged_.push_back(std::move(staged));
    }
    record_.key = "multi";
  }

  std::string Read(const ObjectReader& reader, uint64_t offset, size_t n) {
    std::string out(n, '?');
    auto got = reader.ReadAt(offset, std::as_writable_bytes(std::span(out)));
    EXPECT_TRUE(got) << got.error().ToString();
    out.resize(got ? *got : 0);
    return out;
  }

  static std::shared_ptr<const ObjectRecord> Shared(const ObjectRecord& record) {
    return std::make_shared<const ObjectRecord>(record);
  }

  // Reads the bytes an extent list points at.
  static std::string Gather(const std::vector<ObjectExtent>& extents) {
    std::string out;
    for (const ObjectExtent& e : extents) {
      EXPECT_GT(e.length, 0u);
      std::string piece(e.length, '\0');
      EXPECT_EQ(::pread(e.fd, piece.data(), e.length, static_cast<off_t>(e.offset)),
                static_cast<ssize_t>(e.length));
      out += piece;
    }
    return out;
  }

  testing::TempDir dir_;
  std::shared_ptr<DataFiles> files_;
  ObjectRecord record_;
  std::string content_;
  std::vector<StagedData> staged_;
};

TEST_F(ObjectReaderTest, ReadsAreByteExactAcrossEverySegmentBoundary) {
  auto reader = ObjectReader::Open(*files_, Shared(record_));
  ASSERT_TRUE(reader) << reader.error().ToString();
  ASSERT_EQ(content_.size(), 16u);
  for (uint64_t offset = 0; offset <= content_.size(); ++offset) {
    for (size_t n = 0; n <= content_.size() + 2; ++n) {
      std::string expected = content_.substr(offset, n);
      EXPECT_EQ(Read(**reader, offset, n), expected) << "offset " << offset << " n " << n;
      EXPECT_EQ(Gather((*reader)->Extents(offset, n)), expected)
          << "extents offset " << offset << " n " << n;
    }
  }
  EXPECT_EQ(Read(**reader, 100, 4), "");
  EXPECT_TRUE((*reader)->Extents(3, UINT64_MAX).size() == 3u);  // segments 3, 4, 5
  EXPECT_EQ(Gather((*reader)->Extents(3, UINT64_MAX)), content_.substr(3));
}

TEST_F(ObjectReaderTest, ExtentsNameTheRightFilesAndOffsets) {
  auto reader = *ObjectReader::Open(*files_, Shared(record_));
  std::vector<ObjectExtent> extents = reader->Extents(4, 10);  // [4, 14)
  ASSERT_EQ(extents.size(), 3u);
  EXPECT_EQ(extents[0].offset, 3u);  // segment [1, 6)
  EXPECT_EQ(extents[0].length, 2u);
  EXPECT_EQ(extents[1].offset, 0u);  // segment [6, 7)
  EXPECT_EQ(extents[1].length, 1u);
  EXPECT_EQ(extents[2].offset, 0u);  // segment [7, 16)
  EXPECT_EQ(extents[2].length, 7u);
}

TEST_F(ObjectReaderTest, KeepsReadingAfterTheFilesAreUnlinked) {
  auto reader = *ObjectReader::Open(*files_, Shared(record_));
  for (const Segment& s : record_.segments) ASSERT_TRUE(files_->UnlinkObject(s.file_id).ok());
  EXPECT_EQ(Read(*reader, 0, 16), content_);
  EXPECT_EQ(ObjectReader::Open(*files_, Shared(record_)).error().code(), StatusCode::kNotFound);
}

TEST_F(ObjectReaderTest, WindowOpensOnlyOverlappingSegments) {
  // Remove the files outside [6, 7): a windowed open must not need them.
  for (size_t i : {0, 2, 4}) ASSERT_TRUE(files_->UnlinkObject(record_.segments[i].file_id).ok());
  auto reader = ObjectReader::Open(*files_, Shared(record_), ByteWindow{6, 1});
  ASSERT_TRUE(reader) << reader.error().ToString();
  EXPECT_EQ(Read(**reader, 6, 1), content_.substr(6, 1));
  EXPECT_EQ(Gather((*reader)->Extents(0, 16)), content_.substr(6, 1));
  std::string buffer(4, '\0');
  EXPECT_EQ((*reader)->ReadAt(5, std::as_writable_bytes(std::span(buffer))).error().code(),
            StatusCode::kOutOfRange);
  EXPECT_FALSE(ObjectReader::Open(*files_, Shared(record_), ByteWindow{5, 2}));
}

TEST_F(ObjectReaderTest, ShortFileIsDataLoss) {
  ASSERT_EQ(::truncate(files_->ObjectPath(record_.segments[4].file_id).c_str(), 3), 0);
  auto reader = *ObjectReader::Open(*files_, Shared(record_));
  std::string buffer(16, '\0');
  EXPECT_EQ(reader->ReadAt(0, std::as_writable_bytes(std::span(buffer))).error().code(),
            StatusCode::kDataLoss);
}

TEST_F(ObjectReaderTest, EmptyObjectHasNoExtents) {
  ObjectRecord empty;
  empty.key = "empty";
  auto reader = *ObjectReader::Open(*files_, Shared(empty));
  EXPECT_TRUE(reader->Extents(0, 10).empty());
  EXPECT_EQ(Read(*reader, 0, 10), "");
}

}  // namespace
}  // namespace trainload::storage
