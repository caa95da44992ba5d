#include "client/retry_policy.h"

#include <gtest/gtest.h>

#include "s3/error_code.h"

namespace trainload::client {
namespace {

TEST(RetryPolicyTest, TransientFailuresAreRetriedClientErrorsAreNot) {
  EXPECT_TRUE(IsTransient(Status(StatusCode::kUnavailable, "connection reset")));
  EXPECT_TRUE(IsTransient(Status(StatusCode::kDeadlineExceeded, "stalled")));
  EXPECT_TRUE(IsTransient(s3::MakeError(s3::ErrorCode::kSlowDown)));
  EXPECT_TRUE(IsTransient(s3::MakeError(s3::ErrorCode::kInternalError)));
  EXPECT_TRUE(IsTransient(s3::MakeError(s3::ErrorCode::kServiceUnavailable)));
  EXPECT_TRUE(IsTransient(s3::MakeError(s3::ErrorCode::kRequestTimeout)));
  EXPECT_FALSE(IsTransient(s3::MakeError(s3::ErrorCode::kNoSuchKey)));
  EXPECT_FALSE(IsTransient(s3::MakeError(s3::ErrorCode::kAccessDenied)));
  EXPECT_FALSE(IsTransient(s3::MakeError(s3::ErrorCode::kPreconditionFailed)));
  EXPECT_FALSE(IsTransient(s3::MakeError(s3::ErrorCode::kSignatureDoesNotMatch)));
  EXPECT_FALSE(IsTransient(Status(StatusCode::kCancelled, "cancelled")));
  EXPECT_FALSE(IsTransient(Status(StatusCode::kFailedPrecondition, "TLS verification")));
  EXPECT_FALSE(IsTransient(Status::Ok()));
}

TEST(RetryPolicyTest, BackoffIsFullJitterUnderAnExponentialCeiling) {
  RetryOptions options{10, std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
  EXPECT_EQ(BackoffDelay(0, options, 0).count(), 0);
  EXPECT_EQ(BackoffDelay(0, options, 100).count(), 100);  // ceiling 100 inclusive
  EXPECT_EQ(BackoffDelay(0, options, 101).count(), 0);
  EXPECT_EQ(BackoffDelay(2, options, 400).count(), 400);  // ceiling 400
  EXPECT_LE(BackoffDelay(3, options, ~0ull).count(), 800);
  for (uint64_t r = 0; r < 5000; r += 7) {
    EXPECT_LE(BackoffDelay(30, options, r).count(), 1000);  // capped, no overflow
  }
}

TEST(RetryPolicyTest, BudgetRunsOutAndRefills) {
  RetryBudget budget;
  int retries = 0;
  while (budget.TryAcquire(false)) ++retries;
  EXPECT_EQ(retries, RetryBudget::kCapacity / RetryBudget::kRetryCost);
  EXPECT_FALSE(budget.TryAcquire(true));
  for (int i = 0; i < RetryBudget::kTimeoutCost; ++i) budget.OnSuccess();
  EXPECT_TRUE(budget.TryAcquire(true));
  for (int i = 0; i < 10000; ++i) budget.OnSuccess();
  EXPECT_EQ(budget.available(), RetryBudget::kCapacity);
}

}  // namespace
}  // namespace trainload::client
