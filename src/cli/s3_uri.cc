#include "cli/s3_uri.h"

namespace trainload::cli {
namespace {

constexpr std::string_view kScheme = "s3://";

// Legacy buckets may hold upper case and '_' (us-east-1 before 2018), so the check is only
// for characters that cannot appear in any bucket name: a typo such as "s3://my bucket/" should
// fail here, naming the URI, not as a signature error from the server.
bool IsBucketChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

}  // namespace

std::string S3Uri::ToString() const { return std::string(kScheme) + bucket + "/" + key; }

std::string Location::ToString() const {
  switch (kind) {
    case Kind::kS3:
      return s3.ToString();
    case Kind::kStdio:
      return "-";
    case Kind::kLocal:
      break;
  }
  return path;
}

Result<S3Uri> ParseS3Uri(std::string_view text) {
  if (!text.starts_with(kScheme)) {
    return Error(
        InvalidArgument("\"" + std::string(text) + "\" is not an S3 URI (s3://bucket/key)"));
  }
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  S3Uri uri;
  uri.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) uri.key = std::string(rest.substr(slash + 1));
  if (uri.bucket.empty()) {
    return Error(
        InvalidArgument("\"" + std::string(text) + "\" names no bucket (s3://bucket/key)"));
  }
  for (char c : uri.bucket) {
    if (!IsBucketChar(c)) {
      return Error(InvalidArgument("\"" + std::string(text) + "\": bucket name \"" + uri.bucket +
                                   "\" holds a character no bucket name can have"));
    }
  }
  return uri;
}

Result<Location> ParseLocation(std::string_view text) {
  Location location;
  if (text.empty()) return Error(InvalidArgument("empty path or S3 URI"));
  if (text == "-") {
    location.kind = Location::Kind::kStdio;
    return location;
  }
  if (text.starts_with(kScheme)) {
    TL_ASSIGN_OR_RETURN(location.s3, ParseS3Uri(text));
    location.kind = Location::Kind::kS3;
    return location;
  }
  // "S3://b", "s3:/b" and other schemes are mistakes, not local paths named "gs:".
  size_t scheme_end = text.find("://");
  if (scheme_end != std::string_view::npos &&
      text.substr(0, scheme_end).find('/') == std::string_view::npos) {
    return Error(InvalidArgument("\"" + std::string(text) +
                                 "\": only s3:// URIs and local paths are supported"));
  }
  location.kind = Location::Kind::kLocal;
  location.path = std::string(text);
  return location;
}

std::string DirectoryPrefix(std::string_view prefix) {
  std::string out(prefix);
  if (!out.empty() && !out.ends_with('/')) out += '/';
  return out;
}

std::string_view KeyBaseName(std::string_view key) {
  size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

std::string JoinKey(std::string_view prefix, std::string_view relative) {
  return DirectoryPrefix(prefix) + std::string(relative);
}

}  // namespace trainload::cli
