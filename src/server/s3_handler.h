// S3Handler: the S3 protocol over the HTTP server. For each request it assigns a request id,
// resolves the route, verifies the SigV4 signature, dispatches to the operation (operations.h)
// and, at this edge and only here, turns an error Status into S3's XML error response.
//
// Thread-safe: called concurrently from every connection thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "http/exchange.h"
#include "s3/sigv4.h"
#include "server/credentials.h"
#include "server/request_context.h"

namespace trainload::server {

class S3Handler final : public http::Handler {
 public:
  // All references must outlive the handler.
  S3Handler(ServiceState state, const CredentialStore& credentials);

  void Handle(http::Exchange& exchange) override;
  void HandleProtocolError(http::ProtocolError error, http::Exchange& exchange) override;

 private:
  Status Serve(RequestContext& ctx);
  Status Authenticate(RequestContext& ctx);
  Status Dispatch(RequestContext& ctx);
  void SendError(RequestContext& ctx, const Status& status);
  std::string NewRequestId();

  ServiceState state_;
  const CredentialStore& credentials_;
  s3::SigningKeyCache signing_keys_;
  const uint64_t id_seed_;
  std::atomic<uint64_t> request_counter_{0};
};

}  // namespace trainload::server
