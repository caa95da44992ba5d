#include "fs/filesystem.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fs/fake_client_testing.h"

namespace trainload::fs {
namespace {

using std::chrono::milliseconds;

class FakeClock final : public Clock {
 public:
  int64_t NowMillis() const override { return now; }
  int64_t now = 1'800'000'000'000;
};

class RecordingKernelCache final : public KernelCache {
 public:
  void InvalidateEntry(InodeId parent, const std::string& name) override {
    invalidated.emplace_back(parent, name);
  }
  std::vector<std::pair<InodeId, std::string>> invalidated;
};

AttributeChange TimesChange() {
  AttributeChange change;
  change.times = true;
  return change;
}
AttributeChange ModeChange() {
  AttributeChange change;
  change.mode = true;
  return change;
}
AttributeChange OwnerChange() {
  AttributeChange change;
  change.owner = true;
  return change;
}
AttributeChange SizeChange(uint64_t size) {
  AttributeChange change;
  change.size = size;
  return change;
}

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

class FilesystemTest : public testing::Test {
 protected:
  FilesystemTest() {
    client_.CreateBucketNow("b");
    options_.bucket = "b";
    options_.metadata_ttl = milliseconds(1000);
  }

  Filesystem& Fs() {
    if (!fs_) {
      prefetch::PrefetchOptions prefetch;
      prefetch.max_memory = 64 << 20;
      prefetcher_ = prefetch::Prefetcher::Create(client_, nullptr, prefetch).value();
      fs_ = std::make_unique<Filesystem>(options_, client_, *prefetcher_, clock_);
      fs_->set_kernel_cache(&kernel_);
    }
    return *fs_;
  }

  Inode MustLookup(const std::string& path) {
    InodeId id = kRootInode;
    Inode inode;
    size_t start = 0;
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      std::string name =
          path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      auto found = Fs().Lookup(id, name);
      EXPECT_TRUE(found.has_value()) << path << ": " << found.error().ToString();
      if (!found.has_value()) return {};
      inode = *found;
      id = inode.id;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return inode;
  }

  // The bytes a read lends, as a string; nullopt with the error's reason on failure.
  Result<std::string> ReadAt(FileHandle& handle, uint64_t offset, uint64_t length) {
    prefetch::PinnedBytes pinned;
    TL_ASSIGN_OR_RETURN(size_t n, Fs().Read(handle, offset, length, pinned));
    std::string out;
    for (std::span<const std::byte> piece : pinned.pieces) {
      out.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    }
    EXPECT_EQ(out.size(), n);
    return out;
  }

  std::string ReadAll(FileHandle& handle, size_t size) {
    Result<std::string> out = ReadAt(handle, 0, size + 10);
    EXPECT_TRUE(out.has_value()) << out.error().ToString();
    return out.value_or("");
  }

  std::vector<std::string> List(InodeId dir) {
    auto handle = Fs().OpenDirectory(dir).value();
    std::lock_guard lock(handle->mutex());
    std::vector<std::string> names;
    for (const auto& e : Fs().ReadDirectory(*handle, 0).value()->entries) {
      names.push_back(e.name + (e.kind == InodeKind::kDirectory ? "/" : ""));
    }
    return names;
  }

  FakeClient client_;
  FakeClock clock_;
  MountOptions options_;
  RecordingKernelCache kernel_;
  std::unique_ptr<prefetch::Prefetcher> prefetcher_;
  std::unique_ptr<Filesystem> fs_;
};

TEST_F(FilesystemTest, LookupCountsAndForget) {
  client_.PutObject("b", "d/f.txt", "hello", 1'700'000'000'500);
  Inode dir = MustLookup("d");
  EXPECT_EQ(dir.kind, InodeKind::kDirectory);
  Inode file = MustLookup("d/f.txt");
  EXPECT_EQ(file.kind, InodeKind::kFile);
  EXPECT_EQ(file.attributes.size, 5u);
  EXPECT_EQ(file.attributes.mtime_ms, 1'700'000'000'500);
  EXPECT_EQ(Fs().inodes().LookupCount(file.id), 1u);
  EXPECT_EQ(Fs().Lookup(dir.id, "f.txt")->id, file.id);
  EXPECT_EQ(Fs().inodes().LookupCount(file.id), 2u);
  Fs().Forget(file.id, 2);
  EXPECT_FALSE(Fs().GetAttributes(file.id).has_value());

  const std::string long_name(256, 'n');
  EXPECT_EQ(Fs().Lookup(kRootInode, long_name).error().reason(), "NameTooLong");
  EXPECT_EQ(Fs().Create(kRootInode, long_name, O_WRONLY | O_CREAT).error().reason(), "NameTooLong");
  EXPECT_EQ(Fs().MakeDirectory(kRootInode, long_name).error().reason(), "NameTooLong");

  auto missing = Fs().Lookup(kRootInode, "nothing");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().reason(), "NoEntry");
  auto under_file = Fs().Lookup(MustLookup("d/f.txt").id, "x");
  ASSERT_FALSE(under_file.has_value());
  EXPECT_EQ(under_file.error().reason(), "NotDirectory");
}

TEST_F(FilesystemTest, ReadsThroughThePrefetcherPinnedToTheVersion) {
  std::string data(3 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 4096);
  client_.PutObject("b", "obj", data);
  Inode file = MustLookup("obj");
  auto opened = Fs().Open(file.id, O_RDONLY);
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  EXPECT_FALSE(opened->keep_cache);  // first open: nothing cached yet
  EXPECT_EQ(ReadAll(*opened->handle, data.size()), data);

  // Same version: the kernel may keep its pages.
  auto again = Fs().Open(file.id, O_RDONLY);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->keep_cache);

  // Replaced behind the mount: the open handle fails rather than mixing versions ...
  client_.PutObject("b", "obj", std::string(data.size(), 'N'));
  Result<std::string> read = ReadAt(*again->handle, 2 << 20, 4096);
  if (read.has_value()) {
    EXPECT_EQ(*read, data.substr(2 << 20, read->size()));
  } else {
    EXPECT_EQ(read.error().reason(), "PreconditionFailed");
  }
  // ... and once the TTL passed, a new open reads the new object, with the page cache dropped.
  clock_.now += 1000;
  auto fresh = Fs().Open(file.id, O_RDONLY);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_FALSE(fresh->keep_cache);
  EXPECT_EQ(ReadAll(*fresh->handle, data.size()), std::string(data.size(), 'N'));
}

TEST_F(FilesystemTest, CreateWriteFlushMakesTheObject) {
  auto created = Fs().Create(kRootInode, "new.bin", O_WRONLY | O_CREAT);
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_EQ(created->inode.state, InodeState::kWriting);
  FileHandle& handle = *created->handle;
  // Shells close a dup of the descriptor before writing: nothing is committed yet.
  ASSERT_TRUE(Fs().Flush(handle).ok());
  EXPECT_FALSE(client_.ObjectData("b", "new.bin").has_value());
  ASSERT_EQ(Fs().Write(handle, 0, Bytes("abc")).value(), 3u);
  ASSERT_EQ(Fs().Write(handle, 3, Bytes("def")).value(), 3u);
  EXPECT_EQ(Fs().GetAttributes(created->inode.id)->attributes.size, 6u);
  // Another open of a file being written is refused.
  EXPECT_EQ(Fs().Open(created->inode.id, O_RDONLY).error().reason(), "Busy");
  ASSERT_TRUE(Fs().Flush(handle).ok());
  EXPECT_EQ(client_.ObjectData("b", "new.bin"), "abcdef");
  ASSERT_TRUE(Fs().Release(handle).ok());

  Inode file = *Fs().GetAttributes(created->inode.id);
  EXPECT_EQ(file.state, InodeState::kRemote);
  EXPECT_EQ(file.attributes.size, 6u);
  EXPECT_FALSE(file.attributes.etag.empty());
  auto reader = Fs().Open(file.id, O_RDONLY);
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ(ReadAll(*reader->handle, 6), "abcdef");
  EXPECT_EQ(List(kRootInode), std::vector<std::string>{"new.bin"});
}

TEST_F(FilesystemTest, ReleaseCommitsAnEmptyFile) {
  auto created = Fs().Create(kRootInode, "empty", O_WRONLY | O_CREAT);
  ASSERT_TRUE(created.has_value());
  ASSERT_TRUE(Fs().Flush(*created->handle).ok());
  ASSERT_TRUE(Fs().Release(*created->handle).ok());
  EXPECT_EQ(client_.ObjectData("b", "empty"), "");
}

TEST_F(FilesystemTest, FailedCommitLeavesNoNameBehind) {
  auto created = Fs().Create(kRootInode, "doomed", O_WRONLY | O_CREAT);
  ASSERT_TRUE(created.has_value());
  ASSERT_TRUE(Fs().Write(*created->handle, 0, Bytes("abc")).has_value());
  EXPECT_EQ(Fs().Write(*created->handle, 10, Bytes("x")).error().reason(), "OutOfOrderWrite");
  Status flushed = Fs().Flush(*created->handle);
  EXPECT_EQ(flushed.reason(), "OutOfOrderWrite");
  EXPECT_FALSE(client_.ObjectData("b", "doomed").has_value());
  EXPECT_FALSE(Fs().inodes().Child(kRootInode, "doomed").has_value());
  ASSERT_EQ(kernel_.invalidated.size(), 1u);
  EXPECT_EQ(kernel_.invalidated[0], std::make_pair(kRootInode, std::string("doomed")));
  EXPECT_EQ(Fs().Lookup(kRootInode, "doomed").error().reason(), "NoEntry");
}

TEST_F(FilesystemTest, OverwriteNeedsTheFlagAndOTrunc) {
  client_.PutObject("b", "f", "old");
  Inode file = MustLookup("f");
  EXPECT_EQ(Fs().Open(file.id, O_WRONLY | O_TRUNC).error().reason(), "NotPermitted");
  EXPECT_EQ(Fs().Create(kRootInode, "f", O_WRONLY | O_CREAT | O_TRUNC).error().reason(),
            "NotPermitted");
  EXPECT_EQ(Fs().Create(kRootInode, "f", O_WRONLY | O_CREAT | O_EXCL).error().reason(), "Exists");

  options_.allow_overwrite = true;
  fs_.reset();
  file = MustLookup("f");
  EXPECT_EQ(Fs().Open(file.id, O_WRONLY).error().reason(), "NotPermitted");
  EXPECT_EQ(Fs().Open(file.id, O_WRONLY | O_APPEND).error().reason(), "NotPermitted");
  auto opened = Fs().Open(file.id, O_WRONLY | O_TRUNC);
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  ASSERT_TRUE(Fs().Write(*opened->handle, 0, Bytes("brand new")).has_value());
  EXPECT_EQ(client_.ObjectData("b", "f"), "old");  // until close
  ASSERT_TRUE(Fs().Release(*opened->handle).ok());
  EXPECT_EQ(client_.ObjectData("b", "f"), "brand new");
}

TEST_F(FilesystemTest, UnlinkNeedsAllowDelete) {
  client_.PutObject("b", "d/f", "x");
  Inode dir = MustLookup("d");
  EXPECT_EQ(Fs().Unlink(dir.id, "f").reason(), "NotPermitted");
  options_.allow_delete = true;
  fs_.reset();
  dir = MustLookup("d");
  EXPECT_EQ(Fs().Unlink(dir.id, "missing").reason(), "NoEntry");
  EXPECT_EQ(Fs().Unlink(kRootInode, "d").reason(), "IsDirectory");
  ASSERT_TRUE(Fs().Unlink(dir.id, "f").ok());
  EXPECT_FALSE(client_.ObjectData("b", "d/f").has_value());
  EXPECT_EQ(Fs().Lookup(dir.id, "f").error().reason(), "NoEntry");
  // The directory had only that file: it can go now.
  ASSERT_TRUE(Fs().RemoveDirectory(kRootInode, "d").ok());
}

TEST_F(FilesystemTest, MkdirIsLocalUntilAFileIsWrittenUnderIt) {
  auto made = Fs().MakeDirectory(kRootInode, "x");
  ASSERT_TRUE(made.has_value()) << made.error().ToString();
  EXPECT_EQ(made->state, InodeState::kLocalDirectory);
  EXPECT_EQ(Fs().MakeDirectory(kRootInode, "x").error().reason(), "Exists");
  EXPECT_EQ(List(kRootInode), std::vector<std::string>{"x/"});
  auto inner = Fs().MakeDirectory(made->id, "y");
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(Fs().RemoveDirectory(kRootInode, "x").reason(), "DirectoryNotEmpty");

  auto created = Fs().Create(inner->id, "f", O_WRONLY | O_CREAT);
  ASSERT_TRUE(created.has_value());
  ASSERT_TRUE(Fs().Write(*created->handle, 0, Bytes("data")).has_value());
  ASSERT_TRUE(Fs().Release(*created->handle).ok());
  EXPECT_EQ(client_.ObjectData("b", "x/y/f"), "data");
  EXPECT_EQ(Fs().GetAttributes(made->id)->state, InodeState::kRemote);
  EXPECT_EQ(Fs().GetAttributes(inner->id)->state, InodeState::kRemote);
  EXPECT_EQ(Fs().RemoveDirectory(made->id, "y").reason(), "DirectoryNotEmpty");

  auto empty = Fs().MakeDirectory(kRootInode, "empty");
  ASSERT_TRUE(empty.has_value());
  ASSERT_TRUE(Fs().RemoveDirectory(kRootInode, "empty").ok());
  EXPECT_EQ(Fs().Lookup(kRootInode, "empty").error().reason(), "NoEntry");
}

TEST_F(FilesystemTest, ReadOnlyRefusesEveryChange) {
  client_.PutObject("b", "f", "x");
  options_.read_only = true;
  options_.allow_delete = true;
  options_.allow_overwrite = true;
  Inode file = MustLookup("f");
  EXPECT_EQ(Fs().Create(kRootInode, "g", O_WRONLY | O_CREAT).error().reason(), "ReadOnlyMount");
  EXPECT_EQ(Fs().Open(file.id, O_WRONLY | O_TRUNC).error().reason(), "ReadOnlyMount");
  EXPECT_EQ(Fs().MakeDirectory(kRootInode, "d").error().reason(), "ReadOnlyMount");
  EXPECT_EQ(Fs().Unlink(kRootInode, "f").reason(), "ReadOnlyMount");
  EXPECT_EQ(Fs().SetAttributes(file.id, TimesChange()).error().reason(), "ReadOnlyMount");
  EXPECT_TRUE(Fs().Open(file.id, O_RDONLY).has_value());
}

TEST_F(FilesystemTest, SetAttributesAcceptsOnlyHarmlessChanges) {
  client_.PutObject("b", "f", "x");
  Inode file = MustLookup("f");
  EXPECT_EQ(Fs().SetAttributes(file.id, ModeChange()).error().reason(), "NotPermitted");
  EXPECT_EQ(Fs().SetAttributes(file.id, OwnerChange()).error().reason(), "NotPermitted");
  EXPECT_EQ(Fs().SetAttributes(file.id, SizeChange(0)).error().reason(), "NotPermitted");
  EXPECT_EQ(Fs().SetAttributes(file.id, TimesChange()).error().reason(), "NotPermitted");
  // touch of a new file: open(O_CREAT) then utimensat while it is being written.
  auto created = Fs().Create(kRootInode, "touched", O_WRONLY | O_CREAT);
  ASSERT_TRUE(created.has_value());
  EXPECT_TRUE(Fs().SetAttributes(created->inode.id, TimesChange()).has_value());
  EXPECT_TRUE(Fs().SetAttributes(created->inode.id, SizeChange(0)).has_value());
  EXPECT_EQ(Fs().SetAttributes(created->inode.id, SizeChange(5)).error().reason(), "NotPermitted");
}

TEST_F(FilesystemTest, DirectorySnapshotIsStableWhilePaging) {
  client_.PutObject("b", "d/a", "1");
  client_.PutObject("b", "d/c", "3");
  options_.metadata_ttl = milliseconds(0);
  Inode dir = MustLookup("d");
  auto handle = Fs().OpenDirectory(dir.id).value();
  std::lock_guard lock(handle->mutex());
  auto first = Fs().ReadDirectory(*handle, 0).value();
  ASSERT_EQ(first->entries.size(), 2u);
  client_.PutObject("b", "d/b", "2");
  EXPECT_EQ(Fs().ReadDirectory(*handle, 3).value(), first);
  // A rewind takes a new snapshot.
  EXPECT_EQ(Fs().ReadDirectory(*handle, 0).value()->entries.size(), 3u);
  EXPECT_EQ(Fs().OpenDirectory(MustLookup("d/a").id).error().reason(), "NotDirectory");
}

TEST_F(FilesystemTest, GetAttributesRefreshesAfterTheTtl) {
  client_.PutObject("b", "f", "1");
  Inode file = MustLookup("f");
  client_.PutObject("b", "f", "22");
  EXPECT_EQ(Fs().GetAttributes(file.id)->attributes.size, 1u);
  clock_.now += 1000;
  EXPECT_EQ(Fs().GetAttributes(file.id)->attributes.size, 2u);
}

}  // namespace
}  // namespace trainload::fs
