// The access keys a server accepts, and the key pair it generates on first start.
//
// A CredentialStore is immutable after construction and thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "trainload/status.h"

namespace trainload::server {

struct AccessKey {
  std::string id;
  std::string secret;
};

class CredentialStore {
 public:
  explicit CredentialStore(std::vector<AccessKey> keys) : keys_(std::move(keys)) {}

  // The secret of `access_key_id`, or an InvalidAccessKeyId error naming it.
  Result<std::string> SecretFor(std::string_view access_key_id) const;
  const std::vector<AccessKey>& keys() const { return keys_; }

 private:
  std::vector<AccessKey> keys_;
};

// Reads the [default] profile of an AWS-format credentials file (aws_access_key_id,
// aws_secret_access_key). Errors name the file and what is missing.
Result<AccessKey> ReadCredentialsFile(const std::filesystem::path& path);

struct GeneratedKey {
  AccessKey key;
  std::filesystem::path path;
  bool created;  // false: an earlier run's file was reused
};

// Returns the key pair stored in `data_dir`/credentials, creating it (random id and secret,
// file mode 0600, AWS credentials format) when absent.
Result<GeneratedKey> LoadOrCreateCredentials(const std::filesystem::path& data_dir);

}  // namespace trainload::server
