// What an S3 operation handler works with: the exchange, the resolved route, the verified
// signature, the request id, and the server's shared state; plus helpers that send the common
// response shapes with the headers every S3 response carries.
//
// A RequestContext belongs to one request on one connection thread. ServiceState is shared by
// all requests; everything it points to is thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/md5.h"
#include "common/time_format.h"
#include "http/exchange.h"
#include "s3/response_xml.h"
#include "s3/sigv4_verifier.h"
#include "server/route.h"
#include "server/server_options.h"
#include "server/storage/object_store.h"

namespace trainload::server {

struct ServiceState {
  storage::ObjectStore& store;
  const ServerOptions& options;
  const Clock& clock;
  Md5Lanes& md5_lanes;  // the ETag MD5s of concurrent uploads, hashed together
};

class RequestContext {
 public:
  RequestContext(http::Exchange& exchange, std::string request_id, std::string host_id)
      : exchange_(exchange), request_id_(std::move(request_id)), host_id_(std::move(host_id)) {}

  http::Exchange& exchange() { return exchange_; }
  const http::Request& request() const { return exchange_.request(); }
  std::optional<std::string_view> header(std::string_view name) const {
    return exchange_.request().headers.Get(name);
  }
  const std::string& request_id() const { return request_id_; }
  const std::string& host_id() const { return host_id_; }

  Route route;
  s3::VerifiedRequest auth;
  // Headers an error response must carry besides the usual ones (e.g. Content-Range on 416).
  http::Headers error_headers;

  const std::string& bucket() const { return route.bucket; }
  const std::string& key() const { return route.key; }
  const QueryParams& query() const { return route.query; }

  // x-amz-request-id, x-amz-id-2 and Server, to which handlers add their own.
  http::Headers BaseHeaders() const;
  Status SendXml(int status, std::string_view xml, http::Headers headers);
  Status SendXml(int status, std::string_view xml) { return SendXml(status, xml, BaseHeaders()); }
  // A response without a body (HEAD, 204, 304), or with Content-Length 0.
  Status SendEmpty(int status, http::Headers headers);
  Status SendEmpty(int status) { return SendEmpty(status, BaseHeaders()); }

  // The canonical user behind the request's access key (bucket and object owner).
  s3::CanonicalUser Owner() const;

 private:
  http::Exchange& exchange_;
  std::string request_id_;
  std::string host_id_;
};

}  // namespace trainload::server
