#include "client/retry_policy.h"

#include <algorithm>

#include "s3/error_code.h"

namespace trainload::client {

bool IsTransient(const Status& status) {
  if (status.ok()) return false;
  if (auto code = s3::ErrorCodeOf(status)) {
    switch (*code) {
      case s3::ErrorCode::kInternalError:
      case s3::ErrorCode::kServiceUnavailable:
      case s3::ErrorCode::kSlowDown:
      case s3::ErrorCode::kRequestTimeout: return true;
      default: return false;
    }
  }
  switch (status.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kInternal: return true;
    default: return false;
  }
}

bool IsTimeout(const Status& status) {
  return status.code() == StatusCode::kDeadlineExceeded ||
         s3::ErrorCodeOf(status) == s3::ErrorCode::kRequestTimeout;
}

std::chrono::milliseconds BackoffDelay(int retry, const RetryOptions& options, uint64_t random) {
  uint64_t ceiling = static_cast<uint64_t>(options.base.count());
  for (int i = 0; i < retry && ceiling < static_cast<uint64_t>(options.max.count()); ++i) {
    ceiling *= 2;
  }
  ceiling = std::min<uint64_t>(ceiling, static_cast<uint64_t>(options.max.count()));
  return std::chrono::milliseconds(ceiling == 0 ? 0 : random % (ceiling + 1));
}

bool RetryBudget::TryAcquire(bool timeout) {
  int cost = timeout ? kTimeoutCost : kRetryCost;
  std::lock_guard lock(mu_);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  return true;
}

void RetryBudget::OnSuccess() {
  std::lock_guard lock(mu_);
  tokens_ = std::min(kCapacity, tokens_ + 1);
}

int RetryBudget::available() const {
  std::lock_guard lock(mu_);
  return tokens_;
}

}  // namespace trainload::client
