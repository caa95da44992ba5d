// Configuration of the S3 object server (`trainload server`). Plain data; only src/cli fills it
// from flags, environment and files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "http/server_options.h"
#include "server/credentials.h"

namespace trainload::server {

struct ServerOptions {
  std::filesystem::path data_dir;
  http::ServerOptions http;             // listen address, TLS, limits
  std::string region = "us-east-1";
  std::vector<AccessKey> access_keys;   // at least one
  bool fsync = true;                    // fsync data files and index commits
  // Host names under which "bucket.<domain>" is a virtual-hosted-style request.
  std::vector<std::string> domains = {"localhost"};
  uint64_t min_part_size = 5ull << 20;  // every part but the last (EntityTooSmall below)
  uint64_t max_put_size = 5ull << 30;   // single PUT / part (EntityTooLarge above)
};

}  // namespace trainload::server
