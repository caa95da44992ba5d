#include "s3/naming.h"

#include <string>

#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

Status BadName(std::string_view name, std::string_view why) {
  return MakeError(ErrorCode::kInvalidBucketName,
                   "The specified bucket is not valid: '" + std::string(name) + "' " +
                       std::string(why));
}

bool LooksLikeIpv4(std::string_view name) {
  int dots = 0;
  for (char c : name) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace

bool IsDirectoryBucketName(std::string_view name) { return name.ends_with("--x-s3"); }

Status ValidateBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) {
    return BadName(name, "must be between 3 and 63 characters long");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) {
      return BadName(name, "may contain only lowercase letters, digits, '.' and '-'");
    }
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return BadName(name, "must begin and end with a letter or digit");
  }
  if (name.find("..") != std::string_view::npos) {
    return BadName(name, "must not contain two adjacent periods");
  }
  if (LooksLikeIpv4(name)) return BadName(name, "must not be formatted as an IP address");
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (name.starts_with(prefix)) {
      return BadName(name, "must not start with '" + std::string(prefix) + "'");
    }
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--table-s3"}) {
    if (name.ends_with(suffix)) {
      return BadName(name, "must not end with '" + std::string(suffix) + "'");
    }
  }
  if (IsDirectoryBucketName(name)) {
    // base--zone-id--x-s3: the zone id sits between the last two "--".
    std::string_view stem = name.substr(0, name.size() - 6);
    size_t sep = stem.rfind("--");
    if (sep == std::string_view::npos || sep == 0 || sep + 2 >= stem.size() ||
        name.find('.') != std::string_view::npos) {
      return BadName(name,
                     "is not a valid directory bucket name (expected base-name--zone-id--x-s3)");
    }
  }
  return Status::Ok();
}

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the object key must not be empty");
  }
  if (key.size() > kMaxKeyBytes) {
    return MakeError(ErrorCode::kKeyTooLongError,
                     "Your key is too long: " + std::to_string(key.size()) +
                         " bytes, the maximum is 1024");
  }
  if (!IsValidUtf8(key)) {
    return MakeError(ErrorCode::kInvalidArgument, "the object key is not valid UTF-8");
  }
  return Status::Ok();
}

}  // namespace trainload::s3
