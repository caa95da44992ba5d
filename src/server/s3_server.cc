#include "server/s3_server.h"

#include "http/server.h"
#include "server/s3_handler.h"
#include "server/storage/object_store.h"

namespace trainload::server {

// Declared in destruction order: the HTTP server stops before the handler and store go.
struct S3Server::Parts {
  ServerOptions options;
  SystemClock clock;
  Md5Lanes md5_lanes;
  std::unique_ptr<storage::ObjectStore> store;
  std::unique_ptr<CredentialStore> credentials;
  std::unique_ptr<S3Handler> handler;
  std::unique_ptr<http::Server> http;
};

Result<std::unique_ptr<S3Server>> S3Server::Start(const ServerOptions& options) {
  if (options.access_keys.empty()) {
    return Error(InvalidArgument("the server needs at least one access key"));
  }
  auto parts = std::make_unique<Parts>();
  parts->options = options;
  storage::StorageOptions storage_options;
  storage_options.root = options.data_dir;
  storage_options.fsync = options.fsync;
  auto store = storage::ObjectStore::Open(storage_options, parts->clock);
  if (!store.has_value()) {
    return Error(store.error().WithContext("cannot open data dir " + options.data_dir.string()));
  }
  parts->store = std::move(*store);
  parts->credentials = std::make_unique<CredentialStore>(options.access_keys);
  parts->handler = std::make_unique<S3Handler>(
      ServiceState{*parts->store, parts->options, parts->clock, parts->md5_lanes},
      *parts->credentials);
  TL_ASSIGN_OR_RETURN(parts->http, http::Server::Start(parts->options.http, *parts->handler));
  return std::unique_ptr<S3Server>(new S3Server(std::move(parts)));
}

S3Server::S3Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

S3Server::~S3Server() { Stop(); }

std::string S3Server::url() const { return parts_->http->url(); }
uint16_t S3Server::port() const { return parts_->http->port(); }
storage::ObjectStore& S3Server::store() { return *parts_->store; }

void S3Server::Stop() {
  if (parts_->http) parts_->http->Stop();
}

}  // namespace trainload::server
