#include "client/test_server_testing.h"

#include <unistd.h>

#include <cerrno>

namespace trainload::test_support {

Result<std::unique_ptr<TestServer>> TestServer::Start(const TestServerOptions& options) {
  char tmpl[] = "/tmp/trainload_component_testXXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Error(ErrnoStatus("mkdtemp /tmp", errno));
  std::unique_ptr<TestServer> server(new TestServer(tmpl, options));
  TL_RETURN_IF_ERROR(server->Launch());
  return server;
}

TestServer::~TestServer() {
  server_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

Status TestServer::Launch() {
  server::ServerOptions options;
  options.data_dir = dir_ / "data";
  options.fsync = options_.fsync;
  options.max_put_size = options_.max_put_size;
  options.access_keys = {{kTestAccessKey, kTestSecretKey}};
  TL_ASSIGN_OR_RETURN(server_, server::S3Server::Start(options));
  return Status::Ok();
}

Status TestServer::Restart() {
  server_.reset();
  return Launch();
}

ClientOptions TestServer::client_options() const {
  ClientOptions options;
  options.endpoint = url();
  options.region = "us-east-1";
  options.credentials = Credentials{kTestAccessKey, kTestSecretKey, ""};
  options.backoff_base = std::chrono::milliseconds(1);
  return options;
}

}  // namespace trainload::test_support
