// An in-process trainload server for component tests of the client and of the layers above it:
// listens on 127.0.0.1 with an ephemeral port, keeps its data in a fresh temp directory, knows
// one key pair, and on destruction stops and removes the directory.
//
// ClientOptions() describes a client for it: explicit endpoint, region and credentials (nothing
// from the environment), and a 1 ms backoff base so retried tests stay fast.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "server/s3_server.h"
#include "trainload/client.h"
#include "trainload/status.h"

namespace trainload::test_support {

inline constexpr char kTestAccessKey[] = "TLCOMPONENTTESTKEY01";
inline constexpr char kTestSecretKey[] = "componentTestSecret/00000000000000000001";

struct TestServerOptions {
  bool fsync = false;
  uint64_t max_put_size = 5ull << 30;
};

class TestServer {
 public:
  static Result<std::unique_ptr<TestServer>> Start(const TestServerOptions& options = {});
  ~TestServer();

  std::string url() const { return server_->url(); }
  uint16_t port() const { return server_->port(); }
  const std::filesystem::path& dir() const { return dir_; }
  ClientOptions client_options() const;
  // Stops the server (connections fail from now on) and starts it again on the same data; the
  // URL changes (a new ephemeral port).
  Status Restart();

 private:
  TestServer(std::filesystem::path dir, TestServerOptions options)
      : dir_(std::move(dir)), options_(options) {}
  Status Launch();

  std::filesystem::path dir_;
  TestServerOptions options_;
  std::unique_ptr<server::S3Server> server_;
};

}  // namespace trainload::test_support
