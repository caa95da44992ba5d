#include "cache/block_index.h"

#include <gtest/gtest.h>

#include <vector>

namespace trainload::cache {
namespace {

using Action = BlockIndex::PutPlan::Action;

BlockKey Key(uint64_t index, std::string_view object = "obj") {
  return BlockKey{HashObject("b", object, "e"), index};
}

// Completes a Put the way BlockCache does when the file write succeeds.
void Store(BlockIndex& index, const BlockKey& key, uint64_t size) {
  BlockIndex::PutPlan plan = index.BeginPut(key, size);
  ASSERT_EQ(plan.action, Action::kWrite);
  for (const BlockKey& evicted : plan.evicted) index.FinishDelete(evicted);
  index.FinishPut(key, plan.generation, /*stored=*/true);
}

TEST(BlockIndexTest, EvictsLeastRecentlyUsedAndReadsRefresh) {
  BlockIndex index(300);
  Store(index, Key(0), 100);
  Store(index, Key(1), 100);
  Store(index, Key(2), 100);
  EXPECT_EQ(index.bytes_used(), 300u);
  ASSERT_TRUE(index.BeginRead(Key(0)));  // 1 is now the least recently used

  BlockIndex::PutPlan plan = index.BeginPut(Key(3), 100);
  ASSERT_EQ(plan.action, Action::kWrite);
  EXPECT_EQ(plan.evicted, std::vector<BlockKey>{Key(1)});
  EXPECT_FALSE(index.BeginRead(Key(1)));  // being deleted: a miss
  index.FinishDelete(Key(1));
  index.FinishPut(Key(3), plan.generation, true);
  EXPECT_EQ(index.bytes_used(), 300u);
  EXPECT_EQ(index.blocks(), 3u);
  EXPECT_EQ(index.evictions(), 1u);
  EXPECT_TRUE(index.BeginRead(Key(0)));
  EXPECT_TRUE(index.BeginRead(Key(2)));
  EXPECT_TRUE(index.BeginRead(Key(3)));
}

TEST(BlockIndexTest, EvictsAsManyAsABigBlockNeeds) {
  BlockIndex index(300);
  for (uint64_t i = 0; i < 6; ++i) Store(index, Key(i), 50);
  BlockIndex::PutPlan plan = index.BeginPut(Key(9), 200);
  EXPECT_EQ(plan.evicted, (std::vector<BlockKey>{Key(0), Key(1), Key(2), Key(3)}));
  EXPECT_EQ(index.bytes_used(), 300u);
}

TEST(BlockIndexTest, ReplacingABlockReleasesItsOldSize) {
  BlockIndex index(300);
  Store(index, Key(0), 100);
  Store(index, Key(1), 150);
  BlockIndex::PutPlan plan = index.BeginPut(Key(1), 200);  // 100 + 200 fits without evicting
  EXPECT_TRUE(plan.evicted.empty());
  EXPECT_FALSE(index.BeginRead(Key(1)));  // being written
  index.FinishPut(Key(1), plan.generation, true);
  EXPECT_EQ(index.bytes_used(), 300u);
  EXPECT_EQ(index.blocks(), 2u);
  EXPECT_EQ(index.evictions(), 0u);
}

TEST(BlockIndexTest, BlocksBeingWrittenAreNeitherEvictedNorWrittenTwice) {
  BlockIndex index(300);
  BlockIndex::PutPlan a = index.BeginPut(Key(0), 100);
  BlockIndex::PutPlan b = index.BeginPut(Key(1), 100);
  ASSERT_EQ(a.action, Action::kWrite);
  ASSERT_EQ(b.action, Action::kWrite);
  EXPECT_EQ(index.BeginPut(Key(0), 100).action, Action::kSkip);
  // 200 bytes are reserved by writers: a 150-byte block cannot fit whatever is evicted.
  EXPECT_EQ(index.BeginPut(Key(2), 150).action, Action::kNoRoom);
  EXPECT_EQ(index.BeginPut(Key(2), 400).action, Action::kNoRoom);
  EXPECT_EQ(index.bytes_used(), 200u);
  BlockIndex::PutPlan c = index.BeginPut(Key(2), 100);
  ASSERT_EQ(c.action, Action::kWrite);
  EXPECT_TRUE(c.evicted.empty());
  index.FinishPut(Key(0), a.generation, true);
  index.FinishPut(Key(1), b.generation, false);  // failed write: reservation returned
  index.FinishPut(Key(2), c.generation, true);
  EXPECT_EQ(index.bytes_used(), 200u);
  EXPECT_EQ(index.blocks(), 2u);
  EXPECT_FALSE(index.BeginRead(Key(1)));
  EXPECT_TRUE(index.BeginRead(Key(0)));
}

TEST(BlockIndexTest, StaleReadersCannotDropTheBlockThatReplacedTheirs) {
  BlockIndex index(1000);
  Store(index, Key(0), 100);
  std::optional<uint64_t> old_generation = index.BeginRead(Key(0));
  ASSERT_TRUE(old_generation);
  Store(index, Key(0), 120);  // replaced while the reader was reading
  EXPECT_FALSE(index.BeginDiscard(Key(0), *old_generation));
  index.ForgetMissing(Key(0), *old_generation);
  EXPECT_EQ(index.bytes_used(), 120u);
  EXPECT_TRUE(index.BeginRead(Key(0)));
}

TEST(BlockIndexTest, DiscardHoldsOffPutsUntilTheFileIsGone) {
  BlockIndex index(1000);
  Store(index, Key(0), 100);
  std::optional<uint64_t> generation = index.BeginRead(Key(0));
  ASSERT_TRUE(generation);
  EXPECT_TRUE(index.BeginDiscard(Key(0), *generation));
  EXPECT_FALSE(index.BeginDiscard(Key(0), *generation));  // only one reader unlinks
  EXPECT_EQ(index.bytes_used(), 0u);
  EXPECT_EQ(index.blocks(), 0u);
  EXPECT_EQ(index.BeginPut(Key(0), 100).action, Action::kSkip);
  index.FinishDelete(Key(0));
  EXPECT_EQ(index.BeginPut(Key(0), 100).action, Action::kWrite);
}

TEST(BlockIndexTest, MissingFilesAreForgotten) {
  BlockIndex index(1000);
  Store(index, Key(0), 100);
  std::optional<uint64_t> generation = index.BeginRead(Key(0));
  index.ForgetMissing(Key(0), *generation);
  EXPECT_EQ(index.bytes_used(), 0u);
  EXPECT_EQ(index.blocks(), 0u);
  EXPECT_FALSE(index.BeginRead(Key(0)));
}

TEST(BlockIndexTest, ExistingBlocksKeepTheirOrderAndAreTrimmedToTheLimit) {
  BlockIndex index(250);
  index.AddExisting(Key(0), 100);  // oldest
  index.AddExisting(Key(1), 100);
  index.AddExisting(Key(2), 100);
  EXPECT_EQ(index.bytes_used(), 300u);
  EXPECT_EQ(index.EvictToLimit(), std::vector<BlockKey>{Key(0)});
  EXPECT_EQ(index.bytes_used(), 200u);
  EXPECT_TRUE(index.EvictToLimit().empty());
  EXPECT_EQ(index.blocks(), 2u);
}

}  // namespace
}  // namespace trainload::cache
