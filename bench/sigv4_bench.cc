// Per-request cost of authenticating S3 requests on the server: verifying a presigned GET (what
// wrk sends in the small-object benchmark) and a header-signed GET, with the signing-key cache
// warm as it is in a running server. Run: build/bench/sigv4_bench
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "common/digest.h"
#include "common/time_format.h"
#include "s3/sigv4.h"
#include "s3/sigv4_verifier.h"

namespace trainload::s3 {
namespace {

constexpr int64_t kNow = 1700000000;
const Credentials kCredentials{"TLBENCHACCESSKEY0001", "benchSecretKey/000000000000000000000001"};

Result<std::string> Secret(std::string_view) { return kCredentials.secret_access_key; }

void BM_VerifyPresignedGet(benchmark::State& state) {
  std::string amz_date = FormatAmzDate(kNow);
  std::vector<Header> headers = {{"host", "127.0.0.1:9000"}};
  SigningRequest request{"GET", "/bucket/objects/00042", "", headers, "UNSIGNED-PAYLOAD",
                         amz_date, "us-east-1", "s3"};
  std::string query = Presign(request, kCredentials, 3600).value();
  std::vector<std::pair<std::string, std::string>> wire = {{"host", "127.0.0.1:9000"}};
  RequestView view{"GET", "/bucket/objects/00042", query, wire};
  SigningKeyCache cache;
  VerifyOptions options;
  options.region = "us-east-1";
  for (auto _ : state) {
    auto verified = VerifyRequest(view, Secret, kNow + 10, options, cache);
    if (!verified) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(verified);
  }
}
BENCHMARK(BM_VerifyPresignedGet);

void BM_VerifyHeaderSignedGet(benchmark::State& state) {
  std::string amz_date = FormatAmzDate(kNow);
  std::string empty_hash = Sha256Hex("");
  std::vector<Header> headers = {{"host", "127.0.0.1:9000"},
                                 {"x-amz-content-sha256", empty_hash},
                                 {"x-amz-date", amz_date}};
  SigningRequest request{"GET", "/bucket/objects/00042", "", headers, empty_hash,
                         amz_date, "us-east-1", "s3"};
  SignedRequest signed_request = SignRequest(request, kCredentials).value();
  std::vector<std::pair<std::string, std::string>> wire(headers.begin(), headers.end());
  wire.emplace_back("authorization", signed_request.authorization);
  RequestView view{"GET", "/bucket/objects/00042", "", wire};
  SigningKeyCache cache;
  VerifyOptions options;
  options.region = "us-east-1";
  for (auto _ : state) {
    auto verified = VerifyRequest(view, Secret, kNow + 10, options, cache);
    if (!verified) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(verified);
  }
}
BENCHMARK(BM_VerifyHeaderSignedGet);

// The one scan of a presigned GET's query that the verifier does (split, escapes, canonical
// form), and the canonical query built from it: the query handling of BM_VerifyPresignedGet.
void BM_ScanAndCanonicalizePresignedQuery(benchmark::State& state) {
  std::string amz_date = FormatAmzDate(kNow);
  std::vector<Header> headers = {{"host", "127.0.0.1:9000"}};
  SigningRequest request{
      "GET", "/bucket/objects/00042", "", headers, "UNSIGNED-PAYLOAD", amz_date, "us-east-1", "s3"};
  std::string query = Presign(request, kCredentials, 3600).value();
  std::vector<ScannedQueryParam> params;
  std::string canonical;
  for (auto _ : state) {
    ScanQuery(query, params);
    canonical.clear();
    if (!AppendCanonicalQuery(params, "X-Amz-Signature", canonical).ok()) {
      state.SkipWithError("canonicalization failed");
    }
    benchmark::DoNotOptimize(canonical.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * query.size()));
}
BENCHMARK(BM_ScanAndCanonicalizePresignedQuery);

void BM_HmacSha256(benchmark::State& state) {
  std::string key(32, 'k');
  std::string message(300, 'm');
  for (auto _ : state) benchmark::DoNotOptimize(HmacSha256(key, message));
}
BENCHMARK(BM_HmacSha256);

void BM_Sha256Hex(benchmark::State& state) {
  std::string message(300, 'm');
  for (auto _ : state) benchmark::DoNotOptimize(Sha256Hex(message));
}
BENCHMARK(BM_Sha256Hex);

}  // namespace
}  // namespace trainload::s3

BENCHMARK_MAIN();
