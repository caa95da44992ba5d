// `trainload server`: the embedded S3-compatible object server.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/listen_address.h"
#include "server/s3_server.h"

namespace trainload::cli {
namespace {

struct ServerFlags {
  std::string data_dir;
  std::string listen = "127.0.0.1:9000";
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  std::string credentials_file;
  std::string tls_cert;
  std::string tls_key;
  std::string fsync = "on";
  std::vector<std::string> domains;
  uint64_t min_part_size = 5ull << 20;
};

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// Credentials from flags, then TRAINLOAD_ACCESS_KEY_ID/TRAINLOAD_SECRET_ACCESS_KEY, then a
// credentials file, else the data dir's generated pair. Prints where they came from.
Result<server::AccessKey> ResolveCredentials(const ServerFlags& flags) {
  if (!flags.access_key.empty() || !flags.secret_key.empty()) {
    if (flags.access_key.empty() || flags.secret_key.empty()) {
      return Error(InvalidArgument("--access-key and --secret-key must be given together"));
    }
    return server::AccessKey{flags.access_key, flags.secret_key};
  }
  const char* env_id = Env("TRAINLOAD_ACCESS_KEY_ID");
  const char* env_secret = Env("TRAINLOAD_SECRET_ACCESS_KEY");
  if (env_id != nullptr || env_secret != nullptr) {
    if (env_id == nullptr || env_secret == nullptr) {
      return Error(InvalidArgument(
          "TRAINLOAD_ACCESS_KEY_ID and TRAINLOAD_SECRET_ACCESS_KEY must be set together"));
    }
    return server::AccessKey{env_id, env_secret};
  }
  if (!flags.credentials_file.empty()) return server::ReadCredentialsFile(flags.credentials_file);
  TL_ASSIGN_OR_RETURN(server::GeneratedKey generated,
                      server::LoadOrCreateCredentials(flags.data_dir));
  if (generated.created) {
    std::cout << "generated credentials (saved 0600 in " << generated.path.string()
              << "; shown only this once):\n"
              << "  AWS_ACCESS_KEY_ID=" << generated.key.id << "\n"
              << "  AWS_SECRET_ACCESS_KEY=" << generated.key.secret << "\n";
  } else {
    std::cout << "credentials: " << generated.path.string()
              << " (use AWS_SHARED_CREDENTIALS_FILE=" << generated.path.string() << ")\n";
  }
  return generated.key;
}

int RunServer(const ServerFlags& flags) {
  auto fail = [](const Status& status) {
    std::cerr << "trainload server: " << status.message() << "\n";
    return 1;
  };
  server::ServerOptions options;
  options.data_dir = flags.data_dir;
  auto listen = ParseListenAddress(flags.listen);
  if (!listen) return fail(listen.error());
  options.http.host = listen->host;
  options.http.port = listen->port;
  options.http.tls_cert_path = flags.tls_cert;
  options.http.tls_key_path = flags.tls_key;
  options.region = flags.region;
  options.fsync = flags.fsync == "on";
  options.min_part_size = flags.min_part_size;
  if (!flags.domains.empty()) options.domains = flags.domains;

  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return fail(InvalidArgument("cannot create data dir " + flags.data_dir + ": " + ec.message()));
  auto key = ResolveCredentials(flags);
  if (!key) return fail(key.error());
  options.access_keys.push_back(*key);

  // Block the stop signals before any thread starts so that only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = server::S3Server::Start(options);
  if (!server) return fail(server.error());
  std::cout << "trainload server listening on " << (*server)->url() << " (region "
            << options.region << ", data " << std::filesystem::absolute(options.data_dir).string()
            << ", fsync " << flags.fsync << ")" << std::endl;
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cout << "trainload server: stopping (signal " << signal_number << ")" << std::endl;
  (*server)->Stop();
  return 0;
}

}  // namespace

CommandMain RegisterServerCommand(CLI::App& app) {
  auto flags = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand("server", "Run the embedded S3-compatible object server");
  cmd->add_option("--data", flags->data_dir, "Directory holding objects and the index")
      ->required();
  cmd->add_option("--listen", flags->listen, "Address to listen on (HOST:PORT; port 0 = any)")
      ->capture_default_str();
  cmd->add_option("--region", flags->region, "Region the server reports")->capture_default_str();
  cmd->add_option("--access-key", flags->access_key, "Access key id clients sign with");
  cmd->add_option("--secret-key", flags->secret_key, "Secret access key");
  cmd->add_option("--credentials-file", flags->credentials_file,
                  "AWS-format credentials file ([default] profile)");
  cmd->add_option("--tls-cert", flags->tls_cert, "PEM certificate chain: serve HTTPS");
  cmd->add_option("--tls-key", flags->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--fsync", flags->fsync, "fsync data and index on every write")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  cmd->add_option("--domain", flags->domains,
                  "Host name for virtual-hosted-style requests (BUCKET.DOMAIN); repeatable "
                  "(default: localhost)");
  cmd->add_option("--min-part-size", flags->min_part_size,
                  "Smallest multipart part other than the last, in bytes")
      ->capture_default_str();
  return [flags] { return RunServer(*flags); };
}

}  // namespace trainload::cli
