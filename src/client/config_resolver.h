// Resolution of ClientOptions against the environment and the AWS shared files, as the AWS SDKs
// resolve their settings (include/trainload/client_options.h states each rule):
//
//   profile      options.profile > AWS_PROFILE > "default"
//   files        AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, AWS_CONFIG_FILE or
//                ~/.aws/config ('~' expanded); a missing file is no error
//   region       options.region > AWS_REGION > AWS_DEFAULT_REGION > profile region > us-east-1
//   endpoint     options.endpoint > AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > profile's
//                [services] s3 endpoint_url > profile endpoint_url > Amazon S3 of the region
//                (the configured ones are skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, else
//                the profile's ignore_configured_endpoint_urls, is true)
//   addressing   options.addressing unless kAuto > profile s3.addressing_style > kAuto
//   credentials  none when options.anonymous; options.credentials > AWS_ACCESS_KEY_ID +
//                AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) > the profile's keys (credentials
//                file, then config file)
//   max_attempts options.max_attempts if > 0 > AWS_MAX_ATTEMPTS > profile max_attempts > 10
//   ca_bundle    options.ca_bundle > AWS_CA_BUNDLE > profile ca_bundle > "" (system store)
//   connections  options.max_connections if > 0, else ceil(throughput_target_gbps * 2.5)
//                clamped to [8, 512] (aws-c-s3 sizes ~2.5 connections per Gbps)
//
// Empty environment variables count as unset. The world is read only through `Environment`.
// Thread-safe (no state).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "client/environment.h"
#include "s3/endpoint.h"
#include "trainload/client_options.h"
#include "trainload/status.h"

namespace trainload::client {

inline constexpr std::string_view kDefaultRegion = "us-east-1";
inline constexpr int kDefaultMaxAttempts = 10;
inline constexpr size_t kMinConnections = 8;
inline constexpr size_t kMaxConnections = 512;
inline constexpr double kConnectionsPerGbps = 2.5;  // one connection per 0.4 Gbps

struct ResolvedConfig {
  // The given options with every field the environment can fill filled in: endpoint (the
  // normalized URL), region, addressing, credentials (nullopt only when anonymous), profile (the
  // profile name in use, even when no file defines it), max_attempts, ca_bundle,
  // max_connections. Client::options() returns this.
  ClientOptions options;
  s3::Endpoint endpoint;  // options.endpoint, parsed

  // Where each value came from ("options", "AWS_REGION", "/home/u/.aws/config [profile dev]",
  // "default", ...), for diagnostics and logs.
  std::string endpoint_source;
  std::string region_source;
  std::string credentials_source;

  // A proxy is set in the environment (http_proxy, HTTP_PROXY, all_proxy, ALL_PROXY): requests
  // then all go through libcurl, which honours it (and no_proxy).
  bool proxy_in_environment = false;
};

// Errors:
//  - kInvalidArgument: an explicitly named profile (options.profile or AWS_PROFILE) that neither
//    file defines (names the profile and both files); only one of AWS_ACCESS_KEY_ID /
//    AWS_SECRET_ACCESS_KEY set, or a profile section with only one of its key pair; explicit
//    credentials with an empty key, or together with `anonymous`; a malformed file (the
//    parser's "file:line: ..." message); an unparsable endpoint URL or region, max_attempts,
//    boolean or addressing_style (each naming its source); throughput_target_gbps not > 0 when
//    max_connections is 0.
//  - kUnauthenticated: no credentials anywhere and not anonymous; the message names every
//    place looked at and why it gave nothing.
//  - a file that exists but cannot be read: the read error (names the path).
Result<ResolvedConfig> ResolveConfig(const ClientOptions& options, const Environment& env);

}  // namespace trainload::client
