#include "cli/client_flags.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <charconv>

namespace trainload::cli {

void AddClientFlags(CLI::App& command, ClientFlags& flags) {
  const char* group = "S3 connection";
  command
      .add_option("--endpoint-url", flags.endpoint_url,
                  "S3 endpoint, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL, the "
                  "profile, else Amazon S3)")
      ->group(group);
  command.add_option("--region", flags.region, "Region to sign for (default: AWS_REGION, ...)")
      ->group(group);
  command.add_option("--profile", flags.profile, "Profile in ~/.aws/credentials and ~/.aws/config")
      ->group(group);
  command
      .add_flag("--no-sign-request", flags.no_sign_request,
                "Send unsigned requests (public buckets)")
      ->group(group);
  command
      .add_flag("--no-verify-ssl", flags.no_verify_ssl,
                "Do not verify the server's TLS certificate")
      ->group(group);
  command.add_option("--ca-bundle", flags.ca_bundle, "PEM file of CA certificates to trust")
      ->group(group);
  command
      .add_option("--part-size", flags.part_size,
                  "Size of ranged GET parts and multipart upload parts (default 8MiB)")
      ->group(group);
  command
      .add_option("--max-connections", flags.max_connections,
                  "HTTP connections of the client (default: from --throughput-gbps)")
      ->group(group);
  command
      .add_option("--max-memory", flags.max_memory,
                  "Memory for part buffers of all transfers together (default 1GiB)")
      ->group(group);
  command
      .add_option("--throughput-gbps", flags.throughput_gbps,
                  "Target throughput that sizes the connection pool (default 10)")
      ->group(group);
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(InvalidArgument("size \"" + std::string(text) + "\": " + std::string(why) +
                                 " (use e.g. 8388608, 8M, 8MiB)"));
  };
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return bad("too large");
  if (ec != std::errc() || end == text.data()) return bad("no number");
  std::string unit;
  for (const char* p = end; p != text.data() + text.size(); ++p) {
    unit += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
  }
  int shift = 0;
  if (unit.empty() || unit == "B") {
    shift = 0;
  } else if (unit == "K" || unit == "KB" || unit == "KIB") {
    shift = 10;
  } else if (unit == "M" || unit == "MB" || unit == "MIB") {
    shift = 20;
  } else if (unit == "G" || unit == "GB" || unit == "GIB") {
    shift = 30;
  } else if (unit == "T" || unit == "TB" || unit == "TIB") {
    shift = 40;
  } else {
    return bad("unknown unit");
  }
  if (shift > 0 && value > (UINT64_MAX >> shift)) return bad("too large");
  return value << shift;
}

Result<ClientOptions> ClientOptionsFromFlags(const ClientFlags& flags) {
  ClientOptions options;
  options.endpoint = flags.endpoint_url;
  options.region = flags.region;
  options.profile = flags.profile;
  options.anonymous = flags.no_sign_request;
  options.verify_tls = !flags.no_verify_ssl;
  options.ca_bundle = flags.ca_bundle;
  if (!flags.part_size.empty()) {
    TL_ASSIGN_OR_RETURN(options.part_size, ParseByteSize(flags.part_size));
    if (options.part_size == 0 || options.part_size > (5ull << 30)) {
      return Error(
          InvalidArgument("--part-size " + flags.part_size + ": must be between 1 byte and 5 GiB"));
    }
    // The first, time-to-first-byte part is never larger than the parts after it.
    options.first_part_size = std::min(options.first_part_size, options.part_size);
  }
  if (!flags.max_memory.empty()) {
    TL_ASSIGN_OR_RETURN(options.max_memory, ParseByteSize(flags.max_memory));
    if (options.max_memory == 0) {
      return Error(InvalidArgument("--max-memory " + flags.max_memory + ": must be above 0"));
    }
  }
  options.max_connections = flags.max_connections;
  if (flags.throughput_gbps < 0) {
    return Error(InvalidArgument("--throughput-gbps " + std::to_string(flags.throughput_gbps) +
                                 ": must be above 0"));
  }
  if (flags.throughput_gbps > 0) options.throughput_target_gbps = flags.throughput_gbps;
  return options;
}

Result<std::unique_ptr<Client>> OpenClient(const ClientFlags& flags) {
  TL_ASSIGN_OR_RETURN(ClientOptions options, ClientOptionsFromFlags(flags));
  return Client::Create(options);
}

}  // namespace trainload::cli
