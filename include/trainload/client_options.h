// Configuration of a trainload S3 client. Plain data: the CLI, the FUSE mount and the Python
// package fill it in; Client::Create() resolves what is left empty from the environment and the
// AWS config files, as the AWS SDKs do.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace trainload {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials; empty for long-term keys
};

enum class Addressing {
  kAuto,           // path style for custom endpoints and IP/localhost hosts, else virtual-hosted
  kPath,           // https://endpoint/bucket/key
  kVirtualHosted,  // https://bucket.endpoint/key
};

struct ClientOptions {
  // "http://127.0.0.1:9000", "https://s3.us-west-2.amazonaws.com", ... Empty: AWS_ENDPOINT_URL_S3,
  // then AWS_ENDPOINT_URL, then the profile's endpoint_url, then AWS S3 for `region`.
  std::string endpoint;
  // Empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1.
  std::string region;
  Addressing addressing = Addressing::kAuto;

  // Explicit credentials win; else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
  // then the profile (AWS_PROFILE or `profile`, default "default") in ~/.aws/credentials and
  // ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE move them).
  std::optional<Credentials> credentials;
  std::string profile;
  bool anonymous = false;  // send unsigned requests (public buckets)

  bool verify_tls = true;
  std::string ca_bundle;  // PEM file; empty: AWS_CA_BUNDLE, else the system store

  // Sizing of the transfer engine, after aws-c-s3: ~2.5 connections per Gbps of target.
  double throughput_target_gbps = 10.0;
  uint64_t part_size = 8ull << 20;          // ranged GET parts and multipart upload parts
  uint64_t first_part_size = 1ull << 20;    // first GET of a stream: small, for time to first byte
  size_t max_connections = 0;               // 0: derived from throughput_target_gbps
  uint64_t max_memory = 1ull << 30;         // all part buffers of all transfers together

  // Retries: idempotent requests only; exponential backoff with full jitter.
  int max_attempts = 0;  // 0: AWS_MAX_ATTEMPTS, the profile's max_attempts, else 10
  std::chrono::milliseconds backoff_base{100};
  std::chrono::milliseconds backoff_max{20'000};
  std::chrono::milliseconds request_timeout{0};   // one HTTP exchange; 0: none (stalls still fail)
  std::chrono::seconds stall_timeout{20};         // < 1 KiB/s for this long fails the attempt
};

}  // namespace trainload
