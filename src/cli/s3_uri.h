// Locations on the `trainload` command line: "s3://bucket/key" (an object, or a prefix when the
// key is empty or ends in '/'), "-" (stdin/stdout) and local paths, with the key arithmetic the
// transfer commands share (a prefix taken as a directory, a key's last component, joining).
//
// Keys are taken verbatim: no percent-decoding, no normalization of "//" or "..", as in the AWS
// CLI. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::cli {

struct S3Uri {
  std::string bucket;
  std::string key;  // may be empty (the whole bucket) or end in '/' (a prefix)

  // "s3://bucket/key" ("s3://bucket/" when the key is empty).
  std::string ToString() const;
  // The key names a prefix rather than one object: empty or ending in '/'.
  bool IsPrefix() const { return key.empty() || key.ends_with('/'); }
};

struct Location {
  enum class Kind { kLocal, kS3, kStdio };
  Kind kind = Kind::kLocal;
  S3Uri s3;          // kS3
  std::string path;  // kLocal: the path as given

  bool is_s3() const { return kind == Kind::kS3; }
  bool is_local() const { return kind == Kind::kLocal; }
  bool is_stdio() const { return kind == Kind::kStdio; }
  // What the user wrote, normalized: "s3://b/k", "-", or the local path.
  std::string ToString() const;
};

// "s3://bucket[/key]". Errors (kInvalidArgument, naming `text`): not starting with "s3://", an
// empty bucket name, a bucket name holding characters no S3 bucket can have.
Result<S3Uri> ParseS3Uri(std::string_view text);

// "s3://..." as ParseS3Uri; "-" as stdin/stdout; anything else as a local path (errors: empty
// text, or a scheme other than s3://, e.g. "gs://b").
Result<Location> ParseLocation(std::string_view text);

// A prefix used as a directory by recursive commands: "" stays "", "data" becomes "data/",
// "data/" stays (as the AWS CLI does for directory operations).
std::string DirectoryPrefix(std::string_view prefix);

// The last '/'-separated component of `key` ("a/b/c.txt" -> "c.txt", "c" -> "c"); empty when
// the key ends in '/'.
std::string_view KeyBaseName(std::string_view key);

// `prefix` + `relative`, where `prefix` is used as given when it is empty or ends in '/', and
// gets a '/' otherwise.
std::string JoinKey(std::string_view prefix, std::string_view relative);

}  // namespace trainload::cli
