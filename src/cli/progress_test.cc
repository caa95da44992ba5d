#include "cli/progress.h"

#include <gtest/gtest.h>

namespace trainload::cli {
namespace {

TEST(FormatBytesTest, BinaryUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1.0 KiB");
  EXPECT_EQ(FormatBytes(500ull << 20), "500.0 MiB");
  EXPECT_EQ(FormatBytes(5ull << 29), "2.50 GiB");
}

TEST(FormatRateTest, WholeUnitsFromOneHundred) {
  EXPECT_EQ(FormatRate(406.4 * (1 << 20)), "406 MiB/s");
  EXPECT_EQ(FormatRate(12.25 * (1 << 20)), "12.2 MiB/s");
  EXPECT_EQ(FormatRate(0), "0 B/s");
}

TEST(ProgressTest, SummaryLine) {
  Progress progress(Progress::Options{.verb = "staged", .quiet = true});
  Progress::Snapshot s;
  s.done_files = 2000;
  s.done_bytes = 500ull << 20;
  s.seconds = 1.23;
  s.skipped_files = 3;
  s.failed_files = 1;
  EXPECT_EQ(progress.Summary(s),
            "staged 2000 objects, 500.0 MiB in 1.23 s (407 MiB/s), 3 skipped, 1 failed");
  s.done_files = 1;
  EXPECT_NE(progress.Summary(s).find("staged 1 object, "), std::string::npos);
}

TEST(ProgressTest, CountsFromManyThreadsAndBar) {
  Progress progress(Progress::Options{.quiet = true});
  progress.AddPlanned(100, 4);
  progress.PlanComplete();
  progress.Start();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      progress.BytesCallback()(25);
      progress.FileDone(25);
    });
  }
  for (auto& t : threads) t.join();
  progress.FileSkipped();
  Progress::Snapshot s = progress.snapshot();
  EXPECT_EQ(s.done_files, 4u);
  EXPECT_EQ(s.done_bytes, 100u);
  EXPECT_EQ(s.moved_bytes, 100u);
  EXPECT_EQ(s.skipped_files, 1u);
  std::string bar = Progress::Bar(s);
  EXPECT_NE(bar.find("100%"), std::string::npos) << bar;
  EXPECT_NE(bar.find("4/4 files, 1 skipped"), std::string::npos) << bar;
  progress.Finish();
}

TEST(ProgressTest, BarBeforeThePlanIsCompleteHasNoEta) {
  Progress::Snapshot s;
  s.planned_bytes = 1 << 20;
  s.planned_files = 10;
  s.moved_bytes = 1 << 19;
  s.seconds = 1;
  std::string bar = Progress::Bar(s);
  EXPECT_EQ(bar.find("ETA"), std::string::npos) << bar;
  EXPECT_NE(bar.find("10+ files"), std::string::npos) << bar;
  s.plan_complete = true;
  bar = Progress::Bar(s);
  EXPECT_NE(bar.find("ETA 0:01"), std::string::npos) << bar;
  EXPECT_NE(bar.find(" 50% "), std::string::npos) << bar;
}

}  // namespace
}  // namespace trainload::cli
