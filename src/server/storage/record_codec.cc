#include "server/storage/record_codec.h"

#include <cstdint>
#include <limits>
#include <utility>

namespace trainload::storage {
namespace {

constexpr uint8_t kFormatVersion = 1;
// File ids are 32 lowercase hex digits (data_files.h); stored as their 16 raw bytes because a
// 10,000-part object carries 10,000 of them and is decoded on every GET.
constexpr size_t kFileIdBytes = 16;

class Encoder {
 public:
  Encoder() { out_.push_back(static_cast<char>(kFormatVersion)); }

  void U64(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  // Zigzag so that small negative numbers stay short.
  void I64(int64_t v) { U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Bool(bool v) { out_.push_back(v ? 1 : 0); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void FileId(std::string_view hex) {
    for (size_t i = 0; i < kFileIdBytes; ++i) {
      uint8_t hi = i * 2 < hex.size() ? Nibble(hex[i * 2]) : 0;
      uint8_t lo = i * 2 + 1 < hex.size() ? Nibble(hex[i * 2 + 1]) : 0;
      out_.push_back(static_cast<char>((hi << 4) | lo));
    }
  }
  void Attributes(const ObjectAttributes& a) {
    Str(a.content_type);
    Str(a.content_encoding);
    Str(a.content_disposition);
    Str(a.content_language);
    Str(a.cache_control);
    Str(a.expires);
    U64(a.user_metadata.size());
    for (const auto& [name, value] : a.user_metadata) {
      Str(name);
      Str(value);
    }
    Str(a.storage_class);
  }

  std::string Take() { return std::move(out_); }

 private:
  static uint8_t Nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  }

  std::string out_;
};

// Reads fields in order; the first failure sticks and every later read returns a zero value,
// so decode functions read everything and check ok() once at the end.
class Decoder {
 public:
  Decoder(std::string_view what, std::string_view in) : what_(what), in_(in) {
    if (in_.empty() || static_cast<uint8_t>(in_[0]) != kFormatVersion) {
      Fail(in_.empty() ? "empty value"
                       : "unknown format version " + std::to_string(static_cast<uint8_t>(in_[0])));
    } else {
      in_.remove_prefix(1);
    }
  }

  uint64_t U64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail("truncated varint");
      auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      if (shift == 63 && byte > 1) return Fail("varint overflows 64 bits");
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return Fail("varint longer than 10 bytes");
  }
  uint32_t U32() {
    uint64_t v = U64();
    if (v > std::numeric_limits<uint32_t>::max()) return Fail("value exceeds 32 bits");
    return static_cast<uint32_t>(v);
  }
  int64_t I64() {
    uint64_t v = U64();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  bool Bool() {
    if (in_.empty()) return Fail("truncated flag");
    char c = in_.front();
    in_.remove_prefix(1);
    if (c != 0 && c != 1) return Fail("flag byte is neither 0 nor 1");
    return c == 1;
  }
  std::string Str() {
    uint64_t n = U64();
    if (!ok_) return {};
    if (n > in_.size()) {
      Fail("string length " + std::to_string(n) + " exceeds the " + std::to_string(in_.size()) +
           " bytes left");
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  std::string FileId() {
    if (in_.size() < kFileIdBytes) {
      Fail("truncated file id");
      return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(kFileIdBytes * 2);
    for (size_t i = 0; i < kFileIdBytes; ++i) {
      auto b = static_cast<uint8_t>(in_[i]);
      hex.push_back(kHex[b >> 4]);
      hex.push_back(kHex[b & 0xf]);
    }
    in_.remove_prefix(kFileIdBytes);
    return hex;
  }
  // Bounds a count read from the input by the bytes left (each element needs at least
  // `min_element_bytes`), so corrupt counts cannot make us reserve gigabytes.
  uint64_t Count(size_t min_element_bytes) {
    uint64_t n = U64();
    if (ok_ && n > in_.size() / min_element_bytes)
      return Fail("element count " + std::to_string(n) + " exceeds the input");
    return n;
  }
  ObjectAttributes Attributes() {
    ObjectAttributes a;
    a.content_type = Str();
    a.content_encoding = Str();
    a.content_disposition = Str();
    a.content_language = Str();
    a.cache_control = Str();
    a.expires = Str();
    uint64_t n = Count(2);
    for (uint64_t i = 0; ok_ && i < n; ++i) {
      std::string name = Str();
      std::string value = Str();
      a.user_metadata.emplace_back(std::move(name), std::move(value));
    }
    a.storage_class = Str();
    return a;
  }

  void Check(bool condition, std::string_view problem) {
    if (!condition) Fail(std::string(problem));
  }

  // Call after the last field.
  Status Finish() {
    if (ok_ && !in_.empty()) Fail(std::to_string(in_.size()) + " trailing bytes");
    if (ok_) return Status::Ok();
    return DataLoss("corrupt " + std::string(what_) + " record: " + error_);
  }

 private:
  uint64_t Fail(std::string problem) {
    if (ok_) {
      ok_ = false;
      error_ = std::move(problem);
    }
    in_ = {};
    return 0;
  }

  std::string_view what_;
  std::string_view in_;
  bool ok_ = true;
  std::string error_;
};

}  // namespace

std::string EncodeObjectRecord(const ObjectRecord& r) {
  Encoder e;
  e.U64(r.size);
  e.Str(r.etag);
  e.I64(r.last_modified_ms);
  e.Attributes(r.attributes);
  e.Bool(r.checksum.has_value());
  if (r.checksum) {
    e.I64(r.checksum->algorithm);
    e.Str(r.checksum->value);
    e.Bool(r.checksum->full_object);
  }
  e.U64(r.segments.size());
  for (const Segment& s : r.segments) {
    e.FileId(s.file_id);
    e.U64(s.size);
  }
  e.U64(r.part_count);
  e.U64(r.part_checksums.size());
  for (const std::string& c : r.part_checksums) e.Str(c);
  return e.Take();
}

Result<ObjectRecord> DecodeObjectRecord(std::string_view key, std::string_view value) {
  Decoder d("object", value);
  ObjectRecord r;
  r.key = std::string(key);
  r.size = d.U64();
  r.etag = d.Str();
  r.last_modified_ms = d.I64();
  r.attributes = d.Attributes();
  if (d.Bool()) {
    StoredChecksum c;
    int64_t algorithm = d.I64();
    d.Check(algorithm >= std::numeric_limits<int>::min() &&
                algorithm <= std::numeric_limits<int>::max(),
            "checksum algorithm out of range");
    c.algorithm = static_cast<int>(algorithm);
    c.value = d.Str();
    c.full_object = d.Bool();
    r.checksum = std::move(c);
  }
  uint64_t segments = d.Count(kFileIdBytes + 1);
  r.segments.reserve(segments);
  uint64_t total = 0;
  bool overflow = false;
  for (uint64_t i = 0; i < segments; ++i) {
    Segment s;
    s.file_id = d.FileId();
    s.size = d.U64();
    overflow |= total + s.size < total;
    total += s.size;
    r.segments.push_back(std::move(s));
  }
  r.part_count = d.U32();
  uint64_t checksums = d.Count(1);
  for (uint64_t i = 0; i < checksums; ++i) r.part_checksums.push_back(d.Str());
  TL_RETURN_IF_ERROR(d.Finish());
  if (overflow || total != r.size) {
    return Error(DataLoss("corrupt object record for key \"" + std::string(key) + "\": size " +
                          std::to_string(r.size) + " is not the sum of its segments"));
  }
  return r;
}

std::string EncodeBucketInfo(const BucketInfo& info) {
  Encoder e;
  e.Str(info.region);
  e.U64(static_cast<uint8_t>(info.kind));
  e.I64(info.created_ms);
  return e.Take();
}

Result<BucketInfo> DecodeBucketInfo(std::string_view name, std::string_view value) {
  Decoder d("bucket", value);
  BucketInfo info;
  info.name = std::string(name);
  info.region = d.Str();
  uint64_t kind = d.U64();
  d.Check(kind <= static_cast<uint8_t>(BucketKind::kDirectory), "unknown bucket kind");
  info.kind = static_cast<BucketKind>(kind);
  info.created_ms = d.I64();
  TL_RETURN_IF_ERROR(d.Finish());
  return info;
}

std::string EncodeUploadInfo(const UploadInfo& info) {
  Encoder e;
  e.I64(info.initiated_ms);
  e.Attributes(info.attributes);
  e.Bool(info.checksum_algorithm.has_value());
  if (info.checksum_algorithm) e.I64(*info.checksum_algorithm);
  e.Bool(info.checksum_full_object);
  return e.Take();
}

Result<UploadInfo> DecodeUploadInfo(std::string_view bucket, std::string_view key,
                                    std::string_view upload_id, std::string_view value) {
  Decoder d("upload", value);
  UploadInfo info;
  info.bucket = std::string(bucket);
  info.key = std::string(key);
  info.upload_id = std::string(upload_id);
  info.initiated_ms = d.I64();
  info.attributes = d.Attributes();
  if (d.Bool()) {
    int64_t algorithm = d.I64();
    d.Check(algorithm >= std::numeric_limits<int>::min() &&
                algorithm <= std::numeric_limits<int>::max(),
            "checksum algorithm out of range");
    info.checksum_algorithm = static_cast<int>(algorithm);
  }
  info.checksum_full_object = d.Bool();
  TL_RETURN_IF_ERROR(d.Finish());
  return info;
}

std::string EncodePartRecord(const PartRecord& part) {
  Encoder e;
  e.U64(part.size);
  e.Str(part.etag);
  e.I64(part.last_modified_ms);
  e.Str(part.checksum);
  e.FileId(part.file_id);
  return e.Take();
}

Result<PartRecord> DecodePartRecord(uint32_t part_number, std::string_view value) {
  Decoder d("part", value);
  PartRecord part;
  part.part_number = part_number;
  part.size = d.U64();
  part.etag = d.Str();
  part.last_modified_ms = d.I64();
  part.checksum = d.Str();
  part.file_id = d.FileId();
  TL_RETURN_IF_ERROR(d.Finish());
  return part;
}

std::string EncodeFileList(const std::vector<std::string>& file_ids) {
  Encoder e;
  e.U64(file_ids.size());
  for (const std::string& id : file_ids) e.FileId(id);
  return e.Take();
}

Result<std::vector<std::string>> DecodeFileList(std::string_view value) {
  Decoder d("file list", value);
  uint64_t n = d.Count(kFileIdBytes);
  std::vector<std::string> ids;
  ids.reserve(n);
  for (uint64_t i = 0; i < n; ++i) ids.push_back(d.FileId());
  TL_RETURN_IF_ERROR(d.Finish());
  return ids;
}

}  // namespace trainload::storage
