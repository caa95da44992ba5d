// When and how long to retry a failed S3 request: which failures are transient, exponential
// backoff with full jitter, and a retry budget shared by all requests of a client so that a
// sick endpoint is not hammered by every transfer retrying at once (after aws-c-io's standard
// retry strategy: a token bucket of 500, 5 per retry, 10 per timeout, 1 back per success).
//
// RetryBudget is thread-safe; the free functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "trainload/status.h"

namespace trainload::client {

struct RetryOptions {
  int max_attempts = 10;  // attempts in all, the first included
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds max{20'000};
};

// Whether `status` (from one attempt) is worth another attempt of an idempotent request:
// connection refused/reset/closed early, timeouts and stalls, HTTP 500, 502, 503 (SlowDown),
// 504, S3 InternalError/RequestTimeout/ServiceUnavailable/SlowDown. Never client errors
// (4xx: bad request, auth, not found, precondition).
bool IsTransient(const Status& status);
// Timeouts and stalls cost more of the retry budget than other failures.
bool IsTimeout(const Status& status);

// Full jitter: a delay uniformly drawn from [0, min(max, base * 2^retry)], where `retry` is 0
// before the second attempt. `random` is any 64-bit random value.
std::chrono::milliseconds BackoffDelay(int retry, const RetryOptions& options, uint64_t random);

class RetryBudget {
 public:
  static constexpr int kCapacity = 500;
  static constexpr int kRetryCost = 5;
  static constexpr int kTimeoutCost = 10;

  // Takes the cost of one retry; false when the budget is spent (then do not retry).
  bool TryAcquire(bool timeout);
  // A request succeeded: one token back, up to the capacity.
  void OnSuccess();
  int available() const;

 private:
  mutable std::mutex mu_;
  int tokens_ = kCapacity;  // guarded by mu_
};

}  // namespace trainload::client
