#include "prefetch/read_window.h"

#include <gtest/gtest.h>

#include <vector>

namespace trainload::prefetch {
namespace {

constexpr uint64_t KiB = 1024;
constexpr uint64_t MiB = 1024 * KiB;

using Access = ReadWindow::Access;
using Mode = ReadWindow::Mode;

ReadWindowConfig Config(uint64_t size, uint64_t alignment = 1) {
  return ReadWindowConfig{.object_size = size,
                          .part_size = 8 * MiB,
                          .first_request_size = MiB + 128 * KiB,
                          .max_window = 64 * MiB,
                          .whole_object_threshold = 8 * MiB,
                          .backward_seek_window = MiB,
                          .forward_seek_distance = 16 * MiB,
                          .alignment = alignment};
}

// Issues every fetch the window wants now and returns them.
std::vector<FetchPlan> IssueAll(ReadWindow& window, uint64_t pos, uint64_t read_end) {
  std::vector<FetchPlan> plans;
  for (int i = 0; i < 1000; ++i) {
    std::optional<FetchPlan> plan = window.NextFetch(pos, read_end);
    if (!plan.has_value()) break;
    plans.push_back(*plan);
    window.FetchIssued(*plan);
  }
  return plans;
}

TEST(ReadWindowTest, SmallObjectIsOneWholeFetchAndNeverReset) {
  ReadWindow window(Config(5 * MiB + 3));
  EXPECT_EQ(window.mode(), Mode::kWhole);
  EXPECT_EQ(IssueAll(window, 0, 0), (std::vector<FetchPlan>{{0, 5 * MiB + 3, true}}));
  EXPECT_EQ(window.BeginRead(4 * MiB, 100), Access::kWithinHeld);
  window.EndRead(4 * MiB + 100);
  EXPECT_EQ(window.BeginRead(0, 100), Access::kWithinHeld);
  window.EndRead(100);
  EXPECT_EQ(window.BeginRead(100, 100), Access::kSequential);
  EXPECT_EQ(window.RetainFrom(), 0u);
  EXPECT_TRUE(IssueAll(window, 100, 200).empty());
  // Reclaimed under memory pressure: the whole object is fetched again.
  window.DroppedAll();
  EXPECT_EQ(IssueAll(window, 100, 200), (std::vector<FetchPlan>{{0, 5 * MiB + 3, true}}));
}

TEST(ReadWindowTest, SequentialReadsStartSmallThenDoubleOnEachStall) {
  ReadWindow window(Config(1024 * MiB));
  EXPECT_EQ(window.mode(), Mode::kStreaming);
  ASSERT_EQ(window.BeginRead(0, 128 * KiB), Access::kSequential);
  // Time to first byte: one small first request, nothing else yet.
  EXPECT_EQ(IssueAll(window, 0, 128 * KiB), (std::vector<FetchPlan>{{0, MiB + 128 * KiB, true}}));
  // The reader waits for it: the window becomes one part. The rest of part 0 fits in it, but
  // read-ahead waits until half of the first request has been read.
  window.Stalled();
  EXPECT_EQ(window.window(), 8 * MiB);
  EXPECT_TRUE(IssueAll(window, 0, 128 * KiB).empty());
  window.EndRead(128 * KiB);
  uint64_t pos = 128 * KiB;
  for (; pos < 512 * KiB; pos += 128 * KiB) {
    ASSERT_EQ(window.BeginRead(pos, 128 * KiB), Access::kSequential);
    EXPECT_TRUE(IssueAll(window, pos, pos + 128 * KiB).empty()) << pos;
    window.EndRead(pos + 128 * KiB);
  }
  ASSERT_EQ(window.BeginRead(pos, 128 * KiB), Access::kSequential);
  EXPECT_TRUE(IssueAll(window, pos, pos + 128 * KiB).empty());
  window.EndRead(pos + 128 * KiB);
  pos += 128 * KiB;
  // 640 KiB >= 576 KiB: half of the first request is read.
  ASSERT_EQ(window.BeginRead(pos, 128 * KiB), Access::kSequential);
  EXPECT_EQ(IssueAll(window, pos, pos + 128 * KiB),
            (std::vector<FetchPlan>{{MiB + 128 * KiB, 7 * MiB - 128 * KiB, false}}));
  window.EndRead(pos + 128 * KiB);
  // Sequential reads that do not stall do not grow the window.
  for (pos += 128 * KiB; pos < 8 * MiB; pos += 128 * KiB) {
    ASSERT_EQ(window.BeginRead(pos, 128 * KiB), Access::kSequential);
    EXPECT_TRUE(IssueAll(window, pos, pos + 128 * KiB).empty()) << pos;
    window.EndRead(pos + 128 * KiB);
  }
  EXPECT_EQ(window.window(), 8 * MiB);
  // At the next part the reader catches up: that part is required, and each stall doubles the
  // window, which then holds more parts on the part grid.
  ASSERT_EQ(window.BeginRead(pos, 128 * KiB), Access::kSequential);
  EXPECT_EQ(IssueAll(window, pos, pos + 128 * KiB),
            (std::vector<FetchPlan>{{8 * MiB, 8 * MiB, true}}));
  window.Stalled();
  EXPECT_EQ(window.window(), 16 * MiB);
  EXPECT_EQ(IssueAll(window, pos, pos + 128 * KiB),
            (std::vector<FetchPlan>{{16 * MiB, 8 * MiB, false}}));
  window.Stalled();
  window.Stalled();
  window.Stalled();
  EXPECT_EQ(window.window(), 64 * MiB);  // max_window
  // Parts up to pos + window: [24, 32) ... [64, 72) MiB.
  EXPECT_EQ(IssueAll(window, pos, pos + 128 * KiB).size(), 6u);
  EXPECT_EQ(window.fetch_next(), 72 * MiB);
  window.Stalled();
  EXPECT_EQ(window.window(), 64 * MiB);
}

TEST(ReadWindowTest, RefusedMemoryHalvesTheWindowDownToOnePart) {
  ReadWindow window(Config(1024 * MiB));
  ASSERT_EQ(window.BeginRead(0, 128 * KiB), Access::kSequential);
  IssueAll(window, 0, 128 * KiB);
  for (int i = 0; i < 3; ++i) window.Stalled();
  EXPECT_EQ(window.window(), 32 * MiB);
  window.MemoryRefused();
  EXPECT_EQ(window.window(), 16 * MiB);
  window.MemoryRefused();
  window.MemoryRefused();
  EXPECT_EQ(window.window(), 8 * MiB);
}

TEST(ReadWindowTest, RandomReadsAreFetchedExactlyWithoutReadAhead) {
  ReadWindow window(Config(1024 * MiB));
  const uint64_t offsets[] = {700 * MiB + 12345, 3 * MiB + 1, 1000 * MiB, 8 * MiB - 4096};
  for (uint64_t offset : offsets) {
    ASSERT_EQ(window.BeginRead(offset, 256 * KiB), Access::kReset) << offset;
    EXPECT_EQ(window.mode(), Mode::kRandom);
    // One right-sized GET, even across a part boundary (8 MiB - 4 KiB).
    EXPECT_EQ(IssueAll(window, offset, offset + 256 * KiB),
              (std::vector<FetchPlan>{{offset, 256 * KiB, true}}));
    window.EndRead(offset + 256 * KiB);
    EXPECT_TRUE(IssueAll(window, offset + 256 * KiB, offset + 256 * KiB).empty());
  }
}

TEST(ReadWindowTest, RandomReadsWithACacheAreWholeBlocks) {
  ReadWindow window(Config(1024 * MiB, MiB));
  ASSERT_EQ(window.BeginRead(100 * MiB + 300 * KiB, 256 * KiB), Access::kReset);
  EXPECT_EQ(IssueAll(window, 100 * MiB + 300 * KiB, 100 * MiB + 556 * KiB),
            (std::vector<FetchPlan>{{100 * MiB, MiB, true}}));
  window.EndRead(100 * MiB + 556 * KiB);
  // Straddling a block boundary: both blocks, one GET.
  ASSERT_EQ(window.BeginRead(200 * MiB + 900 * KiB, 256 * KiB), Access::kReset);
  EXPECT_EQ(IssueAll(window, 200 * MiB + 900 * KiB, 201 * MiB + 132 * KiB),
            (std::vector<FetchPlan>{{200 * MiB, 2 * MiB, true}}));
}

TEST(ReadWindowTest, LargeRandomReadIsSplitIntoParts) {
  ReadWindow window(Config(1024 * MiB));
  const uint64_t at = 300 * MiB + 3;
  ASSERT_EQ(window.BeginRead(at, 20 * MiB), Access::kReset);
  EXPECT_EQ(
      IssueAll(window, at, at + 20 * MiB),
      (std::vector<FetchPlan>{
          {at, 8 * MiB, true}, {at + 8 * MiB, 8 * MiB, false}, {at + 16 * MiB, 4 * MiB, false}}));
}

TEST(ReadWindowTest, ReadsGoingOnSequentiallyAfterASeekBecomeAStream) {
  ReadWindow window(Config(1024 * MiB));
  uint64_t pos = 300 * MiB + 5;
  ASSERT_EQ(window.BeginRead(pos, 128 * KiB), Access::kReset);
  IssueAll(window, pos, pos + 128 * KiB);
  window.EndRead(pos + 128 * KiB);
  pos += 128 * KiB;
  // 8 more reads of 128 KiB (1 MiB): still fetched one by one.
  for (int i = 0; i < 8; ++i, pos += 128 * KiB) {
    ASSERT_EQ(window.BeginRead(pos, 128 * KiB), Access::kSequential);
    EXPECT_EQ(window.mode(), Mode::kRandom);
    EXPECT_EQ(IssueAll(window, pos, pos + 128 * KiB),
              (std::vector<FetchPlan>{{pos, 128 * KiB, true}}));
    window.EndRead(pos + 128 * KiB);
  }
  // The 9th makes first_request_size bytes of sequential reading: a stream opens with the
  // first request.
  ASSERT_EQ(window.BeginRead(pos, 128 * KiB), Access::kSequential);
  EXPECT_EQ(window.mode(), Mode::kStreaming);
  EXPECT_EQ(IssueAll(window, pos, pos + 128 * KiB),
            (std::vector<FetchPlan>{{pos, MiB + 128 * KiB, true}}));
}

TEST(ReadWindowTest, ShortSeeksAreServedFromWhatIsHeld) {
  ReadWindow window(Config(1024 * MiB));
  ASSERT_EQ(window.BeginRead(0, 128 * KiB), Access::kSequential);
  IssueAll(window, 0, 128 * KiB);
  window.Stalled();
  IssueAll(window, 600 * KiB, 600 * KiB);  // held: [0, 8 MiB)
  window.EndRead(128 * KiB);
  // Linux readahead out of order: a little forward, then back.
  EXPECT_EQ(window.BeginRead(640 * KiB, 128 * KiB), Access::kWithinHeld);
  window.EndRead(768 * KiB);
  EXPECT_EQ(window.BeginRead(256 * KiB, 128 * KiB), Access::kWithinHeld);
  window.EndRead(384 * KiB);
  EXPECT_EQ(window.mode(), Mode::kStreaming);
  EXPECT_EQ(window.RetainFrom(), 0u);
  window.EndRead(5 * MiB);
  EXPECT_EQ(window.RetainFrom(), 4 * MiB);
  window.DroppedFront(4 * MiB);
  EXPECT_EQ(window.held_begin(), 4 * MiB);
  // Back before what is held: a reset.
  EXPECT_EQ(window.BeginRead(3 * MiB, 128 * KiB), Access::kReset);
  EXPECT_EQ(window.mode(), Mode::kRandom);
  EXPECT_EQ(window.held_begin(), 3 * MiB);
  EXPECT_EQ(window.fetch_next(), 3 * MiB);
}

TEST(ReadWindowTest, ForwardSkipWithinTheDistanceKeepsTheStream) {
  ReadWindow window(Config(1024 * MiB));
  ASSERT_EQ(window.BeginRead(0, MiB), Access::kSequential);
  IssueAll(window, 0, MiB);
  window.Stalled();
  window.Stalled();
  EXPECT_EQ(window.window(), 16 * MiB);
  IssueAll(window, 600 * KiB, 600 * KiB);  // held: [0, 16 MiB)
  window.EndRead(MiB);
  // Past what is held but within forward_seek_distance of the last read: the stream goes on
  // with the same window, fetching the part that holds the new position (and any before it).
  ASSERT_EQ(window.BeginRead(16 * MiB + 10, MiB), Access::kForwardSkip);
  EXPECT_EQ(window.mode(), Mode::kStreaming);
  EXPECT_EQ(window.window(), 16 * MiB);
  EXPECT_EQ(window.held_begin(), 0u);
  EXPECT_EQ(IssueAll(window, 16 * MiB + 10, 17 * MiB + 10),
            (std::vector<FetchPlan>{{16 * MiB, 8 * MiB, true}, {24 * MiB, 8 * MiB, false}}));
  window.EndRead(17 * MiB + 10);
  // Further than forward_seek_distance: a reset.
  EXPECT_EQ(window.BeginRead(17 * MiB + 10 + 16 * MiB + 1, MiB), Access::kReset);
}

TEST(ReadWindowTest, ReadsOvertakingEachOtherKeepTheStream) {
  // FUSE hands the kernel's concurrent reads over in any order, even a file's first ones.
  ReadWindow window(Config(1024 * MiB));
  ASSERT_EQ(window.BeginRead(256 * KiB, 128 * KiB), Access::kForwardSkip);
  EXPECT_EQ(window.mode(), Mode::kStreaming);
  EXPECT_EQ(IssueAll(window, 256 * KiB, 384 * KiB),
            (std::vector<FetchPlan>{{0, MiB + 128 * KiB, true}}));
  window.EndRead(384 * KiB);
  EXPECT_EQ(window.BeginRead(0, 128 * KiB), Access::kWithinHeld);
  window.EndRead(128 * KiB);
  EXPECT_EQ(window.BeginRead(128 * KiB, 128 * KiB), Access::kSequential);
  window.EndRead(256 * KiB);
  // Later a read jumps past the first request: the gap is fetched with the part holding it.
  ASSERT_EQ(window.BeginRead(MiB + 512 * KiB, 128 * KiB), Access::kForwardSkip);
  EXPECT_EQ(IssueAll(window, MiB + 512 * KiB, MiB + 640 * KiB),
            (std::vector<FetchPlan>{{MiB + 128 * KiB, 7 * MiB - 128 * KiB, true}}));
  EXPECT_EQ(window.held_begin(), 0u);
  window.EndRead(MiB + 640 * KiB);
  EXPECT_EQ(window.BeginRead(256 * KiB, 128 * KiB), Access::kWithinHeld);
}

TEST(ReadWindowTest, AFirstReadAwayFromTheStartIsRandom) {
  // A handle opened to read one sample in the middle: no stream to keep, so no read-ahead.
  ReadWindow window(Config(1024 * MiB));
  ASSERT_EQ(window.BeginRead(5 * MiB, 256 * KiB), Access::kReset);
  EXPECT_EQ(window.mode(), Mode::kRandom);
  EXPECT_EQ(IssueAll(window, 5 * MiB, 5 * MiB + 256 * KiB),
            (std::vector<FetchPlan>{{5 * MiB, 256 * KiB, true}}));
}

TEST(ReadWindowTest, StreamPartsWithACacheStayOnBlockBoundaries) {
  ReadWindow window(Config(100 * MiB + 5, MiB));
  ASSERT_EQ(window.BeginRead(0, 128 * KiB), Access::kSequential);
  // The first request rounds up to whole blocks.
  EXPECT_EQ(IssueAll(window, 0, 128 * KiB), (std::vector<FetchPlan>{{0, 2 * MiB, true}}));
  window.Stalled();
  window.Stalled();
  window.Stalled();
  window.Stalled();
  window.Stalled();
  window.Stalled();
  std::vector<FetchPlan> plans = IssueAll(window, MiB, MiB);
  ASSERT_FALSE(plans.empty());
  for (const FetchPlan& plan : plans) {
    EXPECT_EQ(plan.first % MiB, 0u);
    EXPECT_TRUE(plan.length % MiB == 0 || plan.first + plan.length == 100 * MiB + 5);
  }
}

TEST(ReadWindowTest, TheLastPartEndsAtTheObjectEnd) {
  ReadWindow window(Config(20 * MiB + 7));
  ASSERT_EQ(window.BeginRead(0, 128 * KiB), Access::kSequential);
  IssueAll(window, 0, 128 * KiB);
  window.Stalled();
  window.Stalled();
  window.Stalled();
  std::vector<FetchPlan> plans = IssueAll(window, 600 * KiB, 600 * KiB);
  ASSERT_FALSE(plans.empty());
  EXPECT_EQ(plans.back().first + plans.back().length, 20 * MiB + 7);
  EXPECT_EQ(window.fetch_next(), 20 * MiB + 7);
  EXPECT_FALSE(window.NextFetch(20 * MiB, 20 * MiB + 7).has_value());
}

TEST(ReadWindowTest, DroppingEverythingResumesAtTheReadPosition) {
  ReadWindow window(Config(1024 * MiB, 64 * KiB));
  ASSERT_EQ(window.BeginRead(0, 100 * KiB), Access::kSequential);
  IssueAll(window, 0, 100 * KiB);
  window.EndRead(100 * KiB);
  window.DroppedAll();
  EXPECT_EQ(window.held_begin(), 64 * KiB);
  EXPECT_EQ(window.fetch_next(), 64 * KiB);
  ASSERT_EQ(window.BeginRead(100 * KiB, 100 * KiB), Access::kSequential);
  std::optional<FetchPlan> plan = window.NextFetch(100 * KiB, 200 * KiB);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->first, 64 * KiB);
  EXPECT_TRUE(plan->required);
}

TEST(ReadWindowTest, DroppingAFailedPartFetchesItAgain) {
  ReadWindow window(Config(1024 * MiB));
  ASSERT_EQ(window.BeginRead(0, 128 * KiB), Access::kSequential);
  IssueAll(window, 0, 128 * KiB);
  window.Stalled();
  IssueAll(window, 0, 128 * KiB);
  window.DroppedFrom(MiB + 128 * KiB);
  EXPECT_EQ(window.NextFetch(MiB + 128 * KiB, MiB + 256 * KiB),
            (FetchPlan{MiB + 128 * KiB, 7 * MiB - 128 * KiB, true}));
}

}  // namespace
}  // namespace trainload::prefetch
