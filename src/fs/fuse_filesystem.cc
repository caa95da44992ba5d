#define FUSE_USE_VERSION 314
#include "fs/fuse_filesystem.h"

#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "fs/fs_error.h"

namespace trainload::fs {
namespace {

constexpr size_t kReadBuffer = 1 << 20;  // = max_write, the largest read the kernel sends
constexpr double kForever = 365.0 * 24 * 3600;
// d_ino for plain readdir entries the kernel has not looked up (libfuse's high-level value).
constexpr ino_t kUnknownIno = 0xffffffff;

FuseFilesystem& Self(fuse_req_t req) {
  return *static_cast<FuseFilesystem*>(fuse_req_userdata(req));
}

void ReplyError(fuse_req_t req, std::string_view operation, const Status& status) {
  int error = ToErrno(status);
  if (Self(req).log_errors() && (error == EIO || error == EACCES)) {
    std::fprintf(stderr, "trainload mount: %.*s: %s\n", static_cast<int>(operation.size()),
                 operation.data(), status.ToString().c_str());
  }
  fuse_reply_err(req, error);
}

struct stat ToStat(const Filesystem& fs, const Inode& inode) {
  const MountOptions& options = fs.options();
  struct stat st {};
  st.st_ino = inode.id;
  if (inode.kind == InodeKind::kDirectory) {
    st.st_mode = S_IFDIR | (options.dir_mode & 07777);
    st.st_nlink = 2;
  } else {
    st.st_mode = S_IFREG | (options.file_mode & 07777);
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(inode.attributes.size);
    st.st_blocks = static_cast<blkcnt_t>((inode.attributes.size + 511) / 512);
  }
  st.st_uid = options.uid;
  st.st_gid = options.gid;
  // Large enough that cp and friends read and write 1 MiB at a time (= max_write).
  st.st_blksize = kReadBuffer;
  const int64_t mtime_ms =
      inode.kind == InodeKind::kDirectory ? fs.mount_time_ms() : inode.attributes.mtime_ms;
  timespec time{.tv_sec = mtime_ms / 1000, .tv_nsec = (mtime_ms % 1000) * 1'000'000};
  st.st_mtim = st.st_atim = st.st_ctim = time;
  return st;
}

fuse_entry_param ToEntry(FuseFilesystem& self, const Inode& inode) {
  fuse_entry_param e{};
  e.ino = inode.id;
  e.attr = ToStat(self.fs(), inode);
  e.attr_timeout = self.cache_timeout();
  e.entry_timeout = self.cache_timeout();
  return e;
}

void ReplyEntry(fuse_req_t req, std::string_view operation, const Result<Inode>& inode) {
  FuseFilesystem& self = Self(req);
  if (!inode.has_value()) {
    // An absent name is cached by the kernel as a negative entry for the metadata TTL.
    if (inode.error().reason() == FsErrorReason(FsError::kNoEntry) && operation == "lookup" &&
        self.cache_timeout() > 0) {
      fuse_entry_param e{};
      e.entry_timeout = self.cache_timeout();
      fuse_reply_entry(req, &e);
      return;
    }
    ReplyError(req, operation, inode.error());
    return;
  }
  fuse_entry_param e = ToEntry(self, *inode);
  if (fuse_reply_entry(req, &e) != 0) self.fs().Forget(inode->id, 1);  // interrupted
}

FileHandle& FileOf(fuse_file_info* fi) { return *reinterpret_cast<FileHandle*>(fi->fh); }

void Init(void* userdata, fuse_conn_info* conn) {
  auto& self = *static_cast<FuseFilesystem*>(userdata);
  // One request carries up to 1 MiB (the kernel derives max_pages from max_write).
  conn->max_write = kReadBuffer;
  conn->max_readahead = kReadBuffer;
  conn->max_background = 64;
  conn->congestion_threshold = 48;
  auto want = [conn](unsigned capability) {
    if (conn->capable & capability) conn->want |= capability;
  };
  want(FUSE_CAP_ASYNC_READ);
  want(FUSE_CAP_ATOMIC_O_TRUNC);  // O_TRUNC reaches open(), which decides about overwrites
  want(FUSE_CAP_READDIRPLUS);
  want(FUSE_CAP_READDIRPLUS_AUTO);
  want(FUSE_CAP_PARALLEL_DIROPS);
  // Writes go straight to the uploader in order; page-cache write-back would reorder them.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  if (!self.fs().options().immutable) want(FUSE_CAP_AUTO_INVAL_DATA);
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ReplyEntry(req, "lookup", Self(req).fs().Lookup(parent, name));
}

void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Self(req).fs().Forget(ino, nlookup);
  fuse_reply_none(req);
}

void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  Filesystem& fs = Self(req).fs();
  for (size_t i = 0; i < count; ++i) fs.Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  FuseFilesystem& self = Self(req);
  auto inode = self.fs().GetAttributes(ino);
  if (!inode.has_value()) return ReplyError(req, "getattr", inode.error());
  struct stat st = ToStat(self.fs(), *inode);
  fuse_reply_attr(req, &st, self.cache_timeout());
}

void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  FuseFilesystem& self = Self(req);
  AttributeChange change;
  change.mode = to_set & FUSE_SET_ATTR_MODE;
  change.owner = to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID);
  if (to_set & FUSE_SET_ATTR_SIZE) change.size = static_cast<uint64_t>(attr->st_size);
  change.times = to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
                           FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME);
  auto inode = self.fs().SetAttributes(ino, change);
  if (!inode.has_value()) return ReplyError(req, "setattr", inode.error());
  struct stat st = ToStat(self.fs(), *inode);
  fuse_reply_attr(req, &st, self.cache_timeout());
}

void MkNod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) {
  fuse_reply_err(req, EPERM);  // regular files come through create(); no FIFOs or devices
}

void MkDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t) {
  ReplyEntry(req, "mkdir", Self(req).fs().MakeDirectory(parent, name));
}

void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Status status = Self(req).fs().Unlink(parent, name);
  if (!status.ok()) return ReplyError(req, "unlink", status);
  fuse_reply_err(req, 0);
}

void RmDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Status status = Self(req).fs().RemoveDirectory(parent, name);
  if (!status.ok()) return ReplyError(req, "rmdir", status);
  fuse_reply_err(req, 0);
}

void SymLink(fuse_req_t req, const char*, fuse_ino_t, const char*) {
  fuse_reply_err(req, EPERM);  // S3 has no symbolic links
}

void Rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned int) {
  // General purpose buckets cannot rename; copying and deleting is not a rename (not atomic,
  // not cheap), so we do not pretend, as Mountpoint does not.
  fuse_reply_err(req, ENOSYS);
}

void Link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  fuse_reply_err(req, EPERM);  // no hard links
}

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto opened = Self(req).fs().Open(ino, fi->flags);
  if (!opened.has_value()) return ReplyError(req, "open", opened.error());
  fi->keep_cache = opened->keep_cache;
  FileHandle* handle = opened->handle.release();
  fi->fh = reinterpret_cast<uint64_t>(handle);
  if (fuse_reply_open(req, fi) != 0) delete handle;  // interrupted: no release will come
}

void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t, fuse_file_info* fi) {
  FuseFilesystem& self = Self(req);
  auto created = self.fs().Create(parent, name, fi->flags);
  if (!created.has_value()) return ReplyError(req, "create", created.error());
  FileHandle* handle = created->handle.release();
  fi->fh = reinterpret_cast<uint64_t>(handle);
  fuse_entry_param e = ToEntry(self, created->inode);
  if (fuse_reply_create(req, &e, fi) != 0) {
    self.fs().Forget(created->inode.id, 1);
    (void)self.fs().Release(*handle);
    delete handle;
  }
}

void Read(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
  FuseFilesystem& self = Self(req);
  // The reply is written to /dev/fuse straight from the read-ahead buffers, which `pinned`
  // holds until it is: no copy between the GET and the kernel.
  prefetch::PinnedBytes pinned;
  auto n = self.fs().Read(FileOf(fi), static_cast<uint64_t>(offset), size, pinned);
  if (!n.has_value()) {
    // A read of an object deleted behind the mount is an I/O error, not "no such file": the
    // file was open.
    if (ToErrno(n.error()) == ENOENT) {
      return ReplyError(req, "read", Status(StatusCode::kDataLoss, n.error().message()));
    }
    return ReplyError(req, "read", n.error());
  }
  // At most a few pieces: a read spans the parts it crosses.
  std::vector<iovec> iov;
  iov.reserve(pinned.pieces.size());
  for (std::span<const std::byte> piece : pinned.pieces) {
    iov.push_back(iovec{const_cast<std::byte*>(piece.data()), piece.size()});
  }
  fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
}

void Write(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t offset,
           fuse_file_info* fi) {
  auto n = Self(req).fs().Write(FileOf(fi), static_cast<uint64_t>(offset),
                                std::as_bytes(std::span(data, size)));
  if (!n.has_value()) return ReplyError(req, "write", n.error());
  fuse_reply_write(req, *n);
}

void Flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Status status = Self(req).fs().Flush(FileOf(fi));
  if (!status.ok()) return ReplyError(req, "close", status);
  fuse_reply_err(req, 0);
}

void Release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  FileHandle* handle = &FileOf(fi);
  Status status = Self(req).fs().Release(*handle);
  delete handle;
  // Nobody hears a release's error; a failed upload was already reported by close().
  if (!status.ok() && Self(req).log_errors()) {
    std::fprintf(stderr, "trainload mount: release: %s\n", status.ToString().c_str());
  }
  fuse_reply_err(req, 0);
}

void FSync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
  Status status = Self(req).fs().Sync(FileOf(fi));
  if (!status.ok()) return ReplyError(req, "fsync", status);
  fuse_reply_err(req, 0);
}

void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  FuseFilesystem& self = Self(req);
  auto handle = self.fs().OpenDirectory(ino);
  if (!handle.has_value()) return ReplyError(req, "opendir", handle.error());
  if (self.fs().options().immutable) {
    fi->cache_readdir = 1;  // the kernel may keep the listing: it never changes
    fi->keep_cache = 1;
  }
  DirHandle* raw = handle->release();
  fi->fh = reinterpret_cast<uint64_t>(raw);
  if (fuse_reply_open(req, fi) != 0) delete raw;
}

// Fills `buffer` with the entries from `offset` on; returns the bytes used.
Result<size_t> FillDirectory(fuse_req_t req, fuse_ino_t ino, off_t offset, DirHandle& handle,
                             bool plus, std::vector<char>& buffer) {
  FuseFilesystem& self = Self(req);
  Filesystem& fs = self.fs();
  std::lock_guard lock(handle.mutex());
  TL_ASSIGN_OR_RETURN(std::shared_ptr<const DirectoryListing> listing,
                      fs.ReadDirectory(handle, static_cast<uint64_t>(offset)));
  const std::vector<DirectoryEntry>& entries = listing->entries;
  const size_t size = buffer.size();
  size_t used = 0;
  std::optional<Inode> dir = fs.inodes().Get(ino);
  for (uint64_t position = static_cast<uint64_t>(offset);; ++position) {
    const DirectoryEntry* entry = nullptr;
    const char* name = nullptr;
    if (position == 0) {
      name = ".";
    } else if (position == 1) {
      name = "..";
    } else if (position - DirHandle::kDotEntries < entries.size()) {
      entry = &entries[position - DirHandle::kDotEntries];
      name = entry->name.c_str();
    } else {
      break;
    }
    const off_t next = static_cast<off_t>(position + 1);
    char* out = buffer.data() + used;
    const size_t room = size - used;
    size_t added = 0;
    if (plus) {
      fuse_entry_param e{};
      if (entry == nullptr) {
        // No attributes for "." and "..": ino 0 tells the kernel to take none.
        e.attr.st_ino = position == 0 || !dir ? ino : dir->parent;
        e.attr.st_mode = S_IFDIR;
      } else {
        if (fuse_add_direntry_plus(req, nullptr, 0, name, nullptr, 0) > room) break;
        auto inode = fs.RememberEntry(ino, *entry);
        if (!inode.has_value()) continue;
        e = ToEntry(self, *inode);
      }
      added = fuse_add_direntry_plus(req, out, room, name, &e, next);
    } else {
      struct stat st {};
      if (entry == nullptr) {
        st.st_ino = position == 0 || !dir ? ino : dir->parent;
        st.st_mode = S_IFDIR;
      } else {
        std::optional<Inode> known = fs.inodes().Child(ino, entry->name);
        st.st_ino = known ? known->id : kUnknownIno;
        st.st_mode = entry->kind == InodeKind::kDirectory ? S_IFDIR : S_IFREG;
      }
      added = fuse_add_direntry(req, out, room, name, &st, next);
    }
    if (added > room) break;
    used += added;
  }
  return used;
}

void ReadDirCommon(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi,
                   bool plus) {
  std::vector<char> buffer(size);
  auto used = FillDirectory(req, ino, offset, *reinterpret_cast<DirHandle*>(fi->fh), plus, buffer);
  // The reply goes out after the handle's lock is released: once the kernel has it, it may
  // release the handle at once, on another thread.
  if (!used.has_value()) return ReplyError(req, "readdir", used.error());
  fuse_reply_buf(req, buffer.data(), *used);
}

void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
  ReadDirCommon(req, ino, size, offset, fi, /*plus=*/false);
}

void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
  ReadDirCommon(req, ino, size, offset, fi, /*plus=*/true);
}

void ReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

void FSyncDir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) { fuse_reply_err(req, 0); }

void StatFs(fuse_req_t req, fuse_ino_t) {
  // A bucket has no capacity to report: a large, mostly free file system, so that tools that
  // check for space before writing go ahead.
  struct statvfs st {};
  st.f_bsize = kReadBuffer;
  st.f_frsize = 4096;
  st.f_blocks = (1ull << 50) / st.f_frsize;  // 1 PiB
  st.f_bfree = st.f_bavail = st.f_blocks;
  st.f_files = st.f_ffree = st.f_favail = 1ull << 32;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

// Objects carry no extended attributes the mount could show or set. ENOSYS makes the kernel
// answer EOPNOTSUPP itself from then on, so `ls -l` and `cp -a` stop asking once per file.
void SetXattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) {
  fuse_reply_err(req, ENOSYS);
}
void GetXattr(fuse_req_t req, fuse_ino_t, const char*, size_t) { fuse_reply_err(req, ENOSYS); }
void ListXattr(fuse_req_t req, fuse_ino_t, size_t) { fuse_reply_err(req, ENOSYS); }
void RemoveXattr(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, ENOSYS); }

void Fallocate(fuse_req_t req, fuse_ino_t, int, off_t, off_t, fuse_file_info*) {
  fuse_reply_err(req, EOPNOTSUPP);
}

fuse_lowlevel_ops MakeOperations() {
  fuse_lowlevel_ops ops{};
  ops.init = Init;
  ops.lookup = Lookup;
  ops.forget = Forget;
  ops.forget_multi = ForgetMulti;
  ops.getattr = GetAttr;
  ops.setattr = SetAttr;
  ops.mknod = MkNod;
  ops.mkdir = MkDir;
  ops.unlink = Unlink;
  ops.rmdir = RmDir;
  ops.symlink = SymLink;
  ops.rename = Rename;
  ops.link = Link;
  ops.open = Open;
  ops.create = Create;
  ops.read = Read;
  ops.write = Write;
  ops.flush = Flush;
  ops.release = Release;
  ops.fsync = FSync;
  ops.opendir = OpenDir;
  ops.readdir = ReadDir;
  ops.readdirplus = ReadDirPlus;
  ops.releasedir = ReleaseDir;
  ops.fsyncdir = FSyncDir;
  ops.statfs = StatFs;
  ops.setxattr = SetXattr;
  ops.getxattr = GetXattr;
  ops.listxattr = ListXattr;
  ops.removexattr = RemoveXattr;
  ops.fallocate = Fallocate;
  return ops;
}

}  // namespace

int ToErrno(const Status& status) {
  const std::string_view reason = status.reason();
  if (!reason.empty()) {
    static constexpr struct {
      FsError error;
      int errno_value;
    } kFsErrors[] = {
        {FsError::kNotPermitted, EPERM},
        {FsError::kReadOnly, EROFS},
        {FsError::kBusy, EBUSY},
        {FsError::kIsDirectory, EISDIR},
        {FsError::kNotDirectory, ENOTDIR},
        {FsError::kNotEmpty, ENOTEMPTY},
        {FsError::kExists, EEXIST},
        {FsError::kNoEntry, ENOENT},
        {FsError::kOutOfOrderWrite, EINVAL},
        {FsError::kBadHandle, EBADF},
        {FsError::kNotSupported, EOPNOTSUPP},
        {FsError::kNameTooLong, ENAMETOOLONG},
    };
    for (const auto& [error, errno_value] : kFsErrors) {
      if (reason == FsErrorReason(error)) return errno_value;
    }
    static constexpr struct {
      std::string_view reason;
      int errno_value;
    } kS3Errors[] = {
        {"NoSuchKey", ENOENT},
        {"NoSuchBucket", ENOENT},
        {"AccessDenied", EACCES},
        {"InvalidAccessKeyId", EACCES},
        {"SignatureDoesNotMatch", EACCES},
        {"ExpiredToken", EACCES},
        {"InvalidToken", EACCES},
        // The object changed while it was read: never a mix of two versions.
        {"PreconditionFailed", EIO},
        {"EntityTooLarge", EFBIG},
        {"TooManyParts", EFBIG},
        {"KeyTooLongError", ENAMETOOLONG},
    };
    for (const auto& [s3_reason, errno_value] : kS3Errors) {
      if (reason == s3_reason) return errno_value;
    }
  }
  switch (status.code()) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kNotFound:
      return ENOENT;
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
      return EACCES;
    case StatusCode::kAlreadyExists:
      return EEXIST;
    case StatusCode::kInvalidArgument:
      return EINVAL;
    case StatusCode::kResourceExhausted:
      return ENOSPC;
    case StatusCode::kUnimplemented:
      return ENOSYS;
    case StatusCode::kCancelled:
      return EINTR;
    case StatusCode::kDeadlineExceeded:
      return ETIMEDOUT;
    default:
      return EIO;
  }
}

FuseFilesystem::FuseFilesystem(Filesystem& fs, bool log_errors)
    : fs_(fs),
      cache_timeout_(fs.options().immutable || fs.options().metadata_ttl == kIndefiniteTtl
                         ? kForever
                         : static_cast<double>(fs.options().metadata_ttl.count()) / 1000.0),
      log_errors_(log_errors) {}

const fuse_lowlevel_ops& FuseFilesystem::Operations() {
  static const fuse_lowlevel_ops kOperations = MakeOperations();
  return kOperations;
}

void FuseFilesystem::InvalidateEntry(InodeId parent, const std::string& name) {
  if (session_ == nullptr) return;
  // Best effort: an error means the kernel did not have the entry anyway.
  (void)fuse_lowlevel_notify_inval_entry(session_, parent, name.data(), name.size());
}

}  // namespace trainload::fs
