// S3Server: the embedded S3-compatible object server, assembled: the storage engine under
// `data_dir`, the S3 protocol handler and the HTTP server.
//
// Thread-safe. Stop() (or destruction) stops accepting, closes connections and waits for them.
#pragma once

#include <memory>
#include <string>

#include "common/time_format.h"
#include "server/server_options.h"
#include "trainload/status.h"

namespace trainload::storage {
class ObjectStore;
}

namespace trainload::server {

class S3Server {
 public:
  // Errors name what failed: the data dir, the listen address, a TLS file.
  static Result<std::unique_ptr<S3Server>> Start(const ServerOptions& options);
  ~S3Server();
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  std::string url() const;
  uint16_t port() const;
  storage::ObjectStore& store();
  void Stop();

 private:
  struct Parts;
  explicit S3Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace trainload::server
