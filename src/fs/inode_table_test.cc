#include "fs/inode_table.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace trainload::fs {
namespace {

InodeAttributes FileAttributes(uint64_t size, std::string etag) {
  return InodeAttributes{.size = size, .mtime_ms = 1000, .etag = std::move(etag)};
}

TEST(InodeTableTest, RootIsADirectoryWithTheMountPrefix) {
  InodeTable table("data/", 5);
  auto root = table.Get(kRootInode);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->kind, InodeKind::kDirectory);
  EXPECT_EQ(root->key, "data/");
  EXPECT_EQ(table.size(), 1u);
  table.Forget(kRootInode, 100);
  EXPECT_TRUE(table.Get(kRootInode).has_value());
}

TEST(InodeTableTest, KeysJoinParentPrefixAndName) {
  InodeTable table("p/", 0);
  auto dir =
      table.Remember(kRootInode, "train", InodeKind::kDirectory, {}, InodeState::kRemote, 0, 1);
  ASSERT_TRUE(dir.has_value());
  EXPECT_EQ(dir->key, "p/train/");
  auto file = table.Remember(dir->id, "x 1.bin", InodeKind::kFile, FileAttributes(7, "e1"),
                             InodeState::kRemote, 0, 1);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->key, "p/train/x 1.bin");
  EXPECT_EQ(file->parent, dir->id);
  EXPECT_EQ(file->attributes.size, 7u);
  EXPECT_NE(file->id, dir->id);
  EXPECT_NE(file->id, kRootInode);
}

TEST(InodeTableTest, SameNameSameKindKeepsTheInodeAndCountsLookups) {
  InodeTable table("", 0);
  auto first = table.Remember(kRootInode, "a", InodeKind::kFile, FileAttributes(1, "e1"),
                              InodeState::kRemote, 10, 1);
  auto second = table.Remember(kRootInode, "a", InodeKind::kFile, FileAttributes(2, "e2"),
                               InodeState::kRemote, 20, 1);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(second->attributes.size, 2u);
  EXPECT_EQ(second->attributes.etag, "e2");
  EXPECT_EQ(second->validated_ms, 20);
  EXPECT_EQ(table.LookupCount(first->id), 2u);
}

TEST(InodeTableTest, ForgetErasesOnlyAtZero) {
  InodeTable table("", 0);
  auto file = table.Remember(kRootInode, "a", InodeKind::kFile, {}, InodeState::kRemote, 0, 3);
  ASSERT_TRUE(file.has_value());
  table.Forget(file->id, 2);
  EXPECT_TRUE(table.Get(file->id).has_value());
  EXPECT_TRUE(table.Child(kRootInode, "a").has_value());
  table.Forget(file->id, 1);
  EXPECT_FALSE(table.Get(file->id).has_value());
  EXPECT_FALSE(table.Child(kRootInode, "a").has_value());
  EXPECT_FALSE(table.HasChildren(kRootInode));
  EXPECT_EQ(table.size(), 1u);
  // A later lookup gets a fresh number: numbers are never reused.
  auto again = table.Remember(kRootInode, "a", InodeKind::kFile, {}, InodeState::kRemote, 0, 1);
  ASSERT_TRUE(again.has_value());
  EXPECT_GT(again->id, file->id);
}

TEST(InodeTableTest, ForgettingMoreThanLookedUpErases) {
  InodeTable table("", 0);
  auto file = table.Remember(kRootInode, "a", InodeKind::kFile, {}, InodeState::kRemote, 0, 1);
  table.Forget(file->id, 5);
  EXPECT_FALSE(table.Get(file->id).has_value());
  table.Forget(file->id, 1);  // unknown inode: ignored
  table.Forget(12345, 1);
  EXPECT_EQ(table.size(), 1u);
}

TEST(InodeTableTest, KindChangeMakesANewInodeAndKeepsTheOldOneUntilForgotten) {
  InodeTable table("", 0);
  auto file = table.Remember(kRootInode, "a", InodeKind::kFile, FileAttributes(3, "e"),
                             InodeState::kRemote, 0, 1);
  auto dir = table.Remember(kRootInode, "a", InodeKind::kDirectory, {}, InodeState::kRemote, 0, 1);
  ASSERT_TRUE(file.has_value() && dir.has_value());
  EXPECT_NE(file->id, dir->id);
  EXPECT_EQ(dir->key, "a/");
  EXPECT_EQ(table.Child(kRootInode, "a")->id, dir->id);
  // The kernel may still ask about the old file.
  EXPECT_EQ(table.Get(file->id)->key, "a");
  table.Forget(file->id, 1);
  EXPECT_FALSE(table.Get(file->id).has_value());
  // Forgetting the detached inode did not drop the name's new owner.
  EXPECT_EQ(table.Child(kRootInode, "a")->id, dir->id);
}

TEST(InodeTableTest, UnlinkRemovesTheNameNotTheInode) {
  InodeTable table("", 0);
  auto file = table.Remember(kRootInode, "a", InodeKind::kFile, {}, InodeState::kRemote, 0, 1);
  EXPECT_TRUE(table.HasChildren(kRootInode));
  EXPECT_TRUE(table.Unlink(kRootInode, "a"));
  EXPECT_FALSE(table.Unlink(kRootInode, "a"));
  EXPECT_FALSE(table.Child(kRootInode, "a").has_value());
  EXPECT_FALSE(table.HasChildren(kRootInode));
  EXPECT_TRUE(table.Get(file->id).has_value());
  table.Forget(file->id, 1);
  EXPECT_EQ(table.size(), 1u);
}

TEST(InodeTableTest, UnknownParentIsNotFound) {
  InodeTable table("", 0);
  auto result = table.Remember(99, "a", InodeKind::kFile, {}, InodeState::kRemote, 0, 1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kNotFound);
  auto file = table.Remember(kRootInode, "f", InodeKind::kFile, {}, InodeState::kRemote, 0, 1);
  auto under_file = table.Remember(file->id, "x", InodeKind::kFile, {}, InodeState::kRemote, 0, 1);
  ASSERT_FALSE(under_file.has_value());
  EXPECT_EQ(under_file.error().code(), StatusCode::kNotFound);
}

TEST(InodeTableTest, LocalChildrenListsWritingFilesAndLocalDirectories) {
  InodeTable table("", 0);
  table.Remember(kRootInode, "remote", InodeKind::kFile, {}, InodeState::kRemote, 0, 1).value();
  auto writing = table.Remember(kRootInode, "new.bin", InodeKind::kFile, FileAttributes(0, ""),
                                InodeState::kWriting, 0, 1);
  auto dir = table.Remember(kRootInode, "made", InodeKind::kDirectory, {},
                            InodeState::kLocalDirectory, 0, 1);
  table.Remember(dir->id, "inner", InodeKind::kFile, {}, InodeState::kWriting, 0, 1).value();
  auto local = table.LocalChildren(kRootInode);
  ASSERT_EQ(local.size(), 2u);
  EXPECT_EQ(local[0].name, "made");
  EXPECT_EQ(local[1].name, "new.bin");

  // A listing that sees the old object meanwhile does not replace what the writer says.
  auto relisted = table.Remember(kRootInode, "new.bin", InodeKind::kFile, FileAttributes(99, "old"),
                                 InodeState::kRemote, 5, 1);
  EXPECT_EQ(relisted->id, writing->id);
  EXPECT_EQ(relisted->state, InodeState::kWriting);
  EXPECT_EQ(relisted->attributes.size, 0u);

  // A second writer is refused while the first one writes.
  EXPECT_FALSE(table.TryBeginWrite(writing->id, FileAttributes(0, ""), 9).has_value());

  // Committed: remote again, no longer local.
  EXPECT_TRUE(table.SetState(writing->id, InodeState::kRemote));
  EXPECT_TRUE(table.SetAttributes(writing->id, FileAttributes(10, "new"), 7));
  ASSERT_EQ(table.LocalChildren(kRootInode).size(), 1u);
  EXPECT_EQ(table.Get(writing->id)->attributes.etag, "new");
  EXPECT_EQ(table.Get(writing->id)->validated_ms, 7);

  // Overwriting a remote file: it becomes a file being written, with the writer's attributes.
  auto remote = table.Child(kRootInode, "remote");
  auto began = table.TryBeginWrite(remote->id, FileAttributes(0, ""), 11);
  ASSERT_TRUE(began.has_value());
  EXPECT_EQ(began->state, InodeState::kWriting);
  EXPECT_EQ(table.LocalChildren(kRootInode).size(), 2u);
  EXPECT_FALSE(table.TryBeginWrite(dir->id, FileAttributes(0, ""), 11).has_value());
}

TEST(InodeTableTest, ConcurrentLookupsAndForgetsBalance) {
  InodeTable table("", 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&table, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string name = "f" + std::to_string((i + t) % 50);
        auto inode =
            table.Remember(kRootInode, name, InodeKind::kFile, {}, InodeState::kRemote, 0, 1);
        ASSERT_TRUE(inode.has_value());
        table.Forget(inode->id, 1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(table.size(), 1u);
  EXPECT_FALSE(table.HasChildren(kRootInode));
}

}  // namespace
}  // namespace trainload::fs
