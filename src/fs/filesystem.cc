#include "fs/filesystem.h"

#include <fcntl.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "fs/fs_error.h"

namespace trainload::fs {
namespace {

std::string Uri(const MountOptions& options, std::string_view key) {
  return "s3://" + options.bucket + "/" + std::string(key);
}

NamespaceOptions MakeNamespaceOptions(const MountOptions& options) {
  NamespaceOptions out;
  out.bucket = options.bucket;
  out.metadata_ttl = options.metadata_ttl;
  out.immutable = options.immutable || options.metadata_ttl == kIndefiniteTtl;
  return out;
}

bool OpensForWriting(int flags) { return (flags & O_ACCMODE) != O_RDONLY; }

}  // namespace

Filesystem::Filesystem(const MountOptions& options, Client& client,
                       prefetch::Prefetcher& prefetcher, const Clock& clock)
    : options_(options),
      client_(client),
      prefetcher_(prefetcher),
      clock_(clock),
      mount_time_ms_(clock.NowMillis()),
      inodes_(options.prefix, mount_time_ms_),
      namespace_(client, MakeNamespaceOptions(options), clock) {}

std::string_view Filesystem::DirKeyOf(const Inode& inode) {
  std::string_view key = inode.key;
  return key.substr(0, key.size() - inode.name.size());
}

bool Filesystem::Fresh(int64_t validated_ms) const {
  if (options_.immutable || options_.metadata_ttl == kIndefiniteTtl) return true;
  return clock_.NowMillis() - validated_ms < options_.metadata_ttl.count();
}

Result<Inode> Filesystem::Directory(InodeId id) const {
  std::optional<Inode> inode = inodes_.Get(id);
  if (!inode) {
    return Error(MakeFsError(FsError::kNoEntry, "inode " + std::to_string(id) + " is gone"));
  }
  if (inode->kind != InodeKind::kDirectory) {
    return Error(MakeFsError(FsError::kNotDirectory,
                             Uri(options_, inode->key) + " is a file, not a directory"));
  }
  return *inode;
}

Status Filesystem::CheckWritable(std::string_view what) const {
  if (!options_.read_only) return Status::Ok();
  return MakeFsError(FsError::kReadOnly, std::string(what) + ": the mount is read-only");
}

Status Filesystem::CheckNewName(std::string_view what, std::string_view name) const {
  if (name.size() > kMaxNameBytes) {
    return MakeFsError(FsError::kNameTooLong, std::string(what) + ": the name is longer than " +
                                                  std::to_string(kMaxNameBytes) + " bytes");
  }
  if (!IsValidName(name)) {
    return MakeFsError(FsError::kNotPermitted, std::string(what) + ": not a valid name");
  }
  return Status::Ok();
}

Result<Inode> Filesystem::Lookup(InodeId parent, std::string_view name) {
  TL_ASSIGN_OR_RETURN(Inode dir, Directory(parent));
  if (name.size() > kMaxNameBytes) {
    return Error(MakeFsError(FsError::kNameTooLong,
                             "lookup of a name of " + std::to_string(name.size()) + " bytes"));
  }
  // Files being written and directories made here are known only to this table.
  if (std::optional<Inode> child = inodes_.Child(parent, name);
      child && child->state != InodeState::kRemote) {
    return inodes_.Remember(parent, name, child->kind, child->attributes, child->state,
                            child->validated_ms, 1);
  }
  const int64_t now = clock_.NowMillis();
  TL_ASSIGN_OR_RETURN(std::optional<DirectoryEntry> entry, namespace_.Lookup(dir.key, name));
  if (!entry) {
    inodes_.Unlink(parent, name);  // gone from S3: the next lookup starts afresh
    return Error(MakeFsError(FsError::kNoEntry, Uri(options_, dir.key + std::string(name)) +
                                                    ": no such file or directory"));
  }
  return inodes_.Remember(parent, name, entry->kind, entry->attributes, InodeState::kRemote, now,
                          1);
}

void Filesystem::Forget(InodeId id, uint64_t count) { inodes_.Forget(id, count); }

Result<Inode> Filesystem::Revalidate(const Inode& inode) {
  const int64_t now = clock_.NowMillis();
  namespace_.Forget(inode.key);
  TL_ASSIGN_OR_RETURN(std::optional<DirectoryEntry> entry,
                      namespace_.Lookup(DirKeyOf(inode), inode.name));
  if (!entry || entry->kind != InodeKind::kFile) {
    inodes_.Unlink(inode.parent, inode.name);
    return Error(MakeFsError(FsError::kNoEntry, Uri(options_, inode.key) + " no longer exists"));
  }
  inodes_.SetAttributes(inode.id, entry->attributes, now);
  Inode refreshed = inode;
  refreshed.attributes = entry->attributes;
  refreshed.validated_ms = now;
  return refreshed;
}

Result<Inode> Filesystem::GetAttributes(InodeId id) {
  std::optional<Inode> inode = inodes_.Get(id);
  if (!inode) {
    return Error(MakeFsError(FsError::kNoEntry, "inode " + std::to_string(id) + " is gone"));
  }
  if (inode->kind == InodeKind::kFile && inode->state == InodeState::kRemote &&
      !Fresh(inode->validated_ms)) {
    // An object deleted behind the mount keeps its last attributes here: the kernel drops the
    // name at its next lookup.
    auto refreshed = Revalidate(*inode);
    if (refreshed.has_value()) return refreshed;
  }
  return *inode;
}

Result<Inode> Filesystem::SetAttributes(InodeId id, const AttributeChange& change) {
  std::optional<Inode> inode = inodes_.Get(id);
  if (!inode) {
    return Error(MakeFsError(FsError::kNoEntry, "inode " + std::to_string(id) + " is gone"));
  }
  const std::string uri = Uri(options_, inode->key);
  TL_RETURN_IF_ERROR(CheckWritable("setattr " + uri));
  if (change.mode || change.owner) {
    return Error(MakeFsError(FsError::kNotPermitted,
                             "chmod/chown " + uri +
                                 ": S3 objects have no mode or owner (use --uid, --gid, "
                                 "--file-mode, --dir-mode)"));
  }
  const bool local = inode->state != InodeState::kRemote;
  if (change.size &&
      !(inode->state == InodeState::kWriting && *change.size == inode->attributes.size)) {
    return Error(MakeFsError(FsError::kNotPermitted,
                             "truncate " + uri + " to " + std::to_string(*change.size) +
                                 " bytes: objects cannot be modified in place (open with "
                                 "O_TRUNC and --allow-overwrite to replace one)"));
  }
  if (change.times && !local) {
    return Error(MakeFsError(FsError::kNotPermitted,
                             "setting the times of " + uri + ": S3 sets an object's time"));
  }
  return *inode;
}

Result<std::unique_ptr<DirHandle>> Filesystem::OpenDirectory(InodeId id) {
  TL_ASSIGN_OR_RETURN(Inode dir, Directory(id));
  return std::make_unique<DirHandle>(dir.id);
}

Result<std::shared_ptr<const DirectoryListing>> Filesystem::ReadDirectory(DirHandle& handle,
                                                                          uint64_t offset) {
  if (offset != 0 && handle.snapshot()) return handle.snapshot();
  TL_ASSIGN_OR_RETURN(Inode dir, Directory(handle.inode()));
  TL_ASSIGN_OR_RETURN(std::shared_ptr<const DirectoryListing> remote, namespace_.List(dir.key));
  std::vector<Inode> local = inodes_.LocalChildren(dir.id);
  std::erase_if(local, [&](const Inode& inode) { return remote->Find(inode.name) != nullptr; });
  if (local.empty()) {
    handle.set_snapshot(remote);
    return remote;
  }
  auto merged = std::make_shared<DirectoryListing>(*remote);
  for (const Inode& inode : local) {
    merged->entries.push_back(
        DirectoryEntry{.name = inode.name, .kind = inode.kind, .attributes = inode.attributes});
  }
  std::sort(merged->entries.begin(), merged->entries.end(),
            [](const DirectoryEntry& a, const DirectoryEntry& b) { return a.name < b.name; });
  handle.set_snapshot(merged);
  return std::shared_ptr<const DirectoryListing>(std::move(merged));
}

Result<Inode> Filesystem::RememberEntry(InodeId parent, const DirectoryEntry& entry) {
  return inodes_.Remember(parent, entry.name, entry.kind, entry.attributes, InodeState::kRemote,
                          clock_.NowMillis(), 1);
}

Result<Filesystem::Opened> Filesystem::Open(InodeId id, int flags) {
  std::optional<Inode> inode = inodes_.Get(id);
  if (!inode) {
    return Error(MakeFsError(FsError::kNoEntry, "inode " + std::to_string(id) + " is gone"));
  }
  const std::string uri = Uri(options_, inode->key);
  if (inode->kind == InodeKind::kDirectory) {
    return Error(MakeFsError(FsError::kIsDirectory, uri + " is a directory"));
  }
  if (inode->state == InodeState::kWriting) {
    return Error(MakeFsError(FsError::kBusy, uri + " is being written; open it once closed"));
  }
  if (OpensForWriting(flags)) {
    TL_RETURN_IF_ERROR(CheckWritable("open " + uri + " for writing"));
    if (!(flags & O_TRUNC) || !options_.allow_overwrite) {
      return Error(MakeFsError(
          FsError::kNotPermitted,
          "open " + uri + " for writing: existing objects cannot be modified or appended to; " +
              (options_.allow_overwrite ? "open with O_TRUNC to replace it"
                                        : "mount with --allow-overwrite and open with O_TRUNC "
                                          "to replace it")));
    }
    TL_ASSIGN_OR_RETURN(std::unique_ptr<FileHandle> handle, StartWrite(*inode));
    return Opened{std::move(handle), false};
  }
  if (!Fresh(inode->validated_ms)) {
    TL_ASSIGN_OR_RETURN(*inode, Revalidate(*inode));
  }
  prefetch::ObjectRef object{.bucket = options_.bucket,
                             .key = inode->key,
                             .size = inode->attributes.size,
                             .etag = inode->attributes.etag};
  Opened opened;
  opened.handle = FileHandle::ForReading(id, prefetcher_.Open(object));
  // The kernel's pages of this inode came from reads of the version opened last time; they are
  // still right when the etag is the same.
  opened.keep_cache = options_.immutable || inode->cached_etag == inode->attributes.etag;
  if (!opened.keep_cache) inodes_.SetCachedEtag(id, inode->attributes.etag);
  return opened;
}

Result<std::unique_ptr<FileHandle>> Filesystem::StartWrite(const Inode& inode) {
  const int64_t now = clock_.NowMillis();
  std::optional<Inode> writing =
      inodes_.TryBeginWrite(inode.id, InodeAttributes{.size = 0, .mtime_ms = now, .etag = {}}, now);
  if (!writing) {
    return Error(MakeFsError(FsError::kBusy, Uri(options_, inode.key) + " is being written"));
  }
  auto writer = client_.OpenWriter(options_.bucket, inode.key, PutOptions{});
  if (!writer.has_value()) {
    inodes_.SetState(inode.id, InodeState::kRemote);
    return Error(writer.error());
  }
  // The page cache may hold the object being replaced.
  inodes_.SetCachedEtag(inode.id, "");
  return FileHandle::ForWriting(
      inode.id, inode.key,
      std::make_unique<WriteHandle>(std::move(*writer), Uri(options_, inode.key)));
}

Result<Filesystem::Created> Filesystem::Create(InodeId parent, std::string_view name, int flags) {
  TL_ASSIGN_OR_RETURN(Inode dir, Directory(parent));
  const std::string uri = Uri(options_, dir.key + std::string(name));
  TL_RETURN_IF_ERROR(CheckWritable("create " + uri));
  TL_RETURN_IF_ERROR(CheckNewName("create " + uri, name));
  std::optional<Inode> existing = inodes_.Child(parent, name);
  if (existing && existing->state == InodeState::kWriting) {
    return Error(MakeFsError(FsError::kBusy, uri + " is being written"));
  }
  if (!existing || existing->state == InodeState::kRemote) {
    // S3 decides whether the name exists (the table may remember an object since deleted).
    TL_ASSIGN_OR_RETURN(std::optional<DirectoryEntry> entry, namespace_.Lookup(dir.key, name));
    existing.reset();
    if (entry) {
      TL_ASSIGN_OR_RETURN(existing, inodes_.Remember(parent, name, entry->kind, entry->attributes,
                                                     InodeState::kRemote, clock_.NowMillis(), 0));
    }
  }
  if (existing) {
    if (existing->kind == InodeKind::kDirectory) {
      return Error(MakeFsError(FsError::kIsDirectory, uri + " is a directory"));
    }
    if (flags & O_EXCL) return Error(MakeFsError(FsError::kExists, uri + " exists"));
    TL_ASSIGN_OR_RETURN(Opened opened, Open(existing->id, flags));
    TL_ASSIGN_OR_RETURN(Inode inode, inodes_.Remember(parent, name, InodeKind::kFile, {},
                                                      InodeState::kRemote, 0, 1));
    return Created{std::move(inode), std::move(opened.handle)};
  }
  const int64_t now = clock_.NowMillis();
  TL_ASSIGN_OR_RETURN(Inode inode,
                      inodes_.Remember(parent, name, InodeKind::kFile,
                                       InodeAttributes{.size = 0, .mtime_ms = now, .etag = {}},
                                       InodeState::kRemote, now, 1));
  auto handle = StartWrite(inode);
  if (!handle.has_value()) {
    inodes_.Forget(inode.id, 1);
    return Error(handle.error());
  }
  return Created{*inodes_.Get(inode.id), std::move(*handle)};
}

Result<Inode> Filesystem::MakeDirectory(InodeId parent, std::string_view name) {
  TL_ASSIGN_OR_RETURN(Inode dir, Directory(parent));
  const std::string uri = Uri(options_, dir.key + std::string(name) + "/");
  TL_RETURN_IF_ERROR(CheckWritable("mkdir " + uri));
  TL_RETURN_IF_ERROR(CheckNewName("mkdir " + uri, name));
  if (std::optional<Inode> child = inodes_.Child(parent, name);
      child && child->state != InodeState::kRemote) {
    return Error(MakeFsError(FsError::kExists, "mkdir " + uri + ": exists"));
  }
  TL_ASSIGN_OR_RETURN(std::optional<DirectoryEntry> entry, namespace_.Lookup(dir.key, name));
  if (entry) return Error(MakeFsError(FsError::kExists, "mkdir " + uri + ": exists"));
  const int64_t now = clock_.NowMillis();
  return inodes_.Remember(parent, name, InodeKind::kDirectory,
                          InodeAttributes{.size = 0, .mtime_ms = now, .etag = {}},
                          InodeState::kLocalDirectory, now, 1);
}

Status Filesystem::Unlink(InodeId parent, std::string_view name) {
  TL_ASSIGN_OR_RETURN(Inode dir, Directory(parent));
  const std::string key = dir.key + std::string(name);
  TL_RETURN_IF_ERROR(CheckWritable("unlink " + Uri(options_, key)));
  if (!options_.allow_delete) {
    return MakeFsError(FsError::kNotPermitted,
                       "unlink " + Uri(options_, key) + ": mount with --allow-delete to delete");
  }
  std::optional<Inode> child = inodes_.Child(parent, name);
  if (child && child->state == InodeState::kWriting) {
    return MakeFsError(FsError::kBusy, "unlink " + Uri(options_, key) + ": being written");
  }
  if (child && child->kind == InodeKind::kDirectory) {
    return MakeFsError(FsError::kIsDirectory, "unlink " + Uri(options_, key + "/"));
  }
  TL_ASSIGN_OR_RETURN(std::optional<DirectoryEntry> entry, namespace_.Lookup(dir.key, name));
  if (!entry) return MakeFsError(FsError::kNoEntry, "unlink " + Uri(options_, key));
  if (entry->kind == InodeKind::kDirectory) {
    return MakeFsError(FsError::kIsDirectory, "unlink " + Uri(options_, key + "/"));
  }
  TL_RETURN_IF_ERROR(client_.Delete(options_.bucket, key));
  namespace_.ObjectDeleted(key);
  inodes_.Unlink(parent, name);
  return Status::Ok();
}

Status Filesystem::RemoveDirectory(InodeId parent, std::string_view name) {
  TL_ASSIGN_OR_RETURN(Inode dir, Directory(parent));
  const std::string prefix = dir.key + std::string(name) + "/";
  const std::string uri = Uri(options_, prefix);
  TL_RETURN_IF_ERROR(CheckWritable("rmdir " + uri));
  // A directory the kernel knows may have no key left under it (`rm -r` just deleted its
  // files): S3 no longer shows it, yet removing it must succeed.
  std::optional<Inode> child = inodes_.Child(parent, name);
  if (!child) {
    TL_ASSIGN_OR_RETURN(std::optional<DirectoryEntry> entry, namespace_.Lookup(dir.key, name));
    if (!entry) return MakeFsError(FsError::kNoEntry, "rmdir " + uri);
    if (entry->kind != InodeKind::kDirectory) {
      return MakeFsError(FsError::kNotDirectory, "rmdir " + uri + ": a file");
    }
  } else if (child->kind != InodeKind::kDirectory) {
    return MakeFsError(FsError::kNotDirectory, "rmdir " + uri + ": a file");
  }
  if (child && !inodes_.LocalChildren(child->id).empty()) {
    return MakeFsError(FsError::kNotEmpty, "rmdir " + uri + ": files are being written in it");
  }
  // Ask S3 itself, not the cache: an `rm -r` has just deleted the files through the mount.
  ListOptions list;
  list.prefix = prefix;
  list.max_keys = 2;
  TL_ASSIGN_OR_RETURN(ListPage page, client_.List(options_.bucket, list));
  bool only_marker = page.objects.size() == 1 && page.objects[0].key == prefix;
  if (!page.objects.empty() && !only_marker) {
    return MakeFsError(FsError::kNotEmpty, "rmdir " + uri + ": not empty");
  }
  if (only_marker) {
    if (!options_.allow_delete) {
      return MakeFsError(FsError::kNotPermitted,
                         "rmdir " + uri + ": deleting its marker object needs --allow-delete");
    }
    TL_RETURN_IF_ERROR(client_.Delete(options_.bucket, prefix));
  }
  namespace_.ObjectDeleted(prefix);
  inodes_.Unlink(parent, name);
  return Status::Ok();
}

Result<size_t> Filesystem::Read(FileHandle& handle, uint64_t offset, uint64_t length,
                                prefetch::PinnedBytes& out) {
  return handle.Read(offset, length, out);
}

Result<size_t> Filesystem::Write(FileHandle& handle, uint64_t offset,
                                 std::span<const std::byte> data) {
  WriteHandle* writer = handle.writer();
  if (writer == nullptr) {
    return Error(MakeFsError(FsError::kBadHandle,
                             "write to " + Uri(options_, handle.key()) + ": opened read-only"));
  }
  TL_ASSIGN_OR_RETURN(uint64_t size, writer->Write(offset, data));
  const int64_t now = clock_.NowMillis();
  inodes_.SetAttributes(handle.inode(), InodeAttributes{.size = size, .mtime_ms = now, .etag = {}},
                        now);
  return data.size();
}

Status Filesystem::Commit(FileHandle& handle) {
  WriteHandle* writer = handle.writer();
  if (writer == nullptr) return Status::Ok();
  const bool first = !writer->committed();
  Result<PutResult> put = writer->Commit();
  if (!first) return StatusOf(put);
  std::optional<Inode> inode = inodes_.Get(handle.inode());
  if (!put.has_value()) {
    // Nothing was written (the previous object, if any, is still there): forget the file so
    // the next lookup asks S3.
    namespace_.Forget(handle.key());
    if (inode) {
      inodes_.SetState(inode->id, InodeState::kRemote);
      inodes_.Unlink(inode->parent, inode->name);
      // The kernel learnt the name from create(): without this it would show the file that
      // never came to be until its entry timed out.
      if (kernel_cache_ != nullptr) kernel_cache_->InvalidateEntry(inode->parent, inode->name);
    }
    return put.error();
  }
  const int64_t now = clock_.NowMillis();
  InodeAttributes attributes{.size = writer->size(), .mtime_ms = now, .etag = put->etag};
  namespace_.ObjectWritten(handle.key(), attributes);
  if (inode) {
    inodes_.SetAttributes(inode->id, attributes, now);
    inodes_.SetState(inode->id, InodeState::kRemote);
    // The directories mkdir made on the way now exist in S3.
    for (InodeId id = inode->parent; id != kRootInode;) {
      std::optional<Inode> dir = inodes_.Get(id);
      if (!dir || dir->state != InodeState::kLocalDirectory) break;
      inodes_.SetState(id, InodeState::kRemote);
      id = dir->parent;
    }
  }
  return Status::Ok();
}

Status Filesystem::Flush(FileHandle& handle) {
  WriteHandle* writer = handle.writer();
  if (writer == nullptr || writer->committed() || writer->size() == 0) return Status::Ok();
  return Commit(handle);
}

Status Filesystem::Sync(FileHandle& handle) { return Commit(handle); }

Status Filesystem::Release(FileHandle& handle) {
  WriteHandle* writer = handle.writer();
  if (writer == nullptr || writer->committed()) return Status::Ok();
  return Commit(handle);
}

}  // namespace trainload::fs
