// The flags every S3 subcommand shares, after the AWS CLI's global options, and their
// translation into ClientOptions. Anything left unset stays empty in ClientOptions so that
// Client::Create resolves it from the environment and ~/.aws files exactly as the SDKs do
// (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE, AWS_CA_BUNDLE, ...).
//
//   --endpoint-url URL     --region R        --profile P        --no-sign-request
//   --no-verify-ssl        --ca-bundle PEM   --part-size SIZE   --max-connections N
//   --max-memory SIZE      --throughput-gbps G
//
// SIZE is a byte count with an optional binary unit: 8388608, 8M, 8MB, 8MiB (all 8 * 2^20, as
// the AWS CLI's s3 settings read "MB"). Not thread-safe (setup only).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "trainload/client.h"
#include "trainload/client_options.h"
#include "trainload/status.h"

namespace CLI {
class App;
}

namespace trainload::cli {

struct ClientFlags {
  std::string endpoint_url;
  std::string region;
  std::string profile;
  bool no_sign_request = false;
  bool no_verify_ssl = false;
  std::string ca_bundle;
  std::string part_size;
  std::string max_memory;
  size_t max_connections = 0;
  double throughput_gbps = 0;
};

// Adds the shared flags to `command`, storing into `flags` (which must outlive parsing).
void AddClientFlags(CLI::App& command, ClientFlags& flags);

// "8MiB" -> 8388608. Errors (kInvalidArgument naming `text`): no digits, an unknown unit,
// overflow.
Result<uint64_t> ParseByteSize(std::string_view text);

// Errors: a malformed size, a part size outside 1 B..5 GiB, a negative throughput.
Result<ClientOptions> ClientOptionsFromFlags(const ClientFlags& flags);

// ClientOptionsFromFlags, then Client::Create (its errors: bad endpoint, missing credentials).
Result<std::unique_ptr<Client>> OpenClient(const ClientFlags& flags);

}  // namespace trainload::cli
