#include "client/part_planner.h"

#include <gtest/gtest.h>

namespace trainload::client {
namespace {

TEST(PartPlannerTest, DownloadPartsCoverTheRangeExactlyOnce) {
  for (uint64_t length : {1ull, 100ull, 1000ull, 1024ull, 1025ull, 9999ull}) {
    for (uint64_t first : {0ull, 1ull, 100ull, 5000ull}) {
      auto parts = PlanDownloadParts(7, length, first, 1024);
      ASSERT_FALSE(parts.empty());
      uint64_t at = 7;
      for (const ByteRange& p : parts) {
        EXPECT_EQ(p.first, at);
        EXPECT_LE(p.length(), std::max<uint64_t>(first, 1024));
        at = p.last + 1;
      }
      EXPECT_EQ(at, 7 + length);
      if (first > 0) {
        EXPECT_EQ(parts[0].length(), std::min(first, length));
      }
    }
  }
  EXPECT_TRUE(PlanDownloadParts(0, 0, 10, 10).empty());
}

TEST(PartPlannerTest, UploadPartSizeRespectsS3Limits) {
  constexpr uint64_t MiB = 1ull << 20;
  EXPECT_EQ(UploadPartSize(100 * MiB, 8 * MiB), 8 * MiB);
  EXPECT_EQ(UploadPartSize(100 * MiB, 1 * MiB), 5 * MiB);
  uint64_t huge = 200ull << 30;  // 200 GiB at 8 MiB would be 25,600 parts
  uint64_t size = UploadPartSize(huge, 8 * MiB);
  EXPECT_LE((huge + size - 1) / size, kMaxUploadParts);
  EXPECT_EQ(size % MiB, 0u);
  EXPECT_EQ(UploadPartSize(60ull << 40, 8 * MiB), kMaxUploadPartSize);
}

}  // namespace
}  // namespace trainload::client
