#include "s3/conditions.h"

#include <gtest/gtest.h>

#include <map>

#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

using enum ConditionOutcome;

// The object every row is evaluated against.
constexpr std::string_view kEtag = "d41d8cd98f00b204e9800998ecf8427e";
constexpr int64_t kModified = 1369353600;  // Fri, 24 May 2013 00:00:00 GMT
constexpr int64_t kBefore = kModified - 1;
constexpr int64_t kAfter = kModified + 1;
const std::string kMatching = "\"d41d8cd98f00b204e9800998ecf8427e\"";
const std::string kOther = "\"0123456789abcdef0123456789abcdef\"";

struct Row {
  std::string_view name;
  Conditions conditions;
  ConditionOutcome read;  // GET/HEAD; EvaluateCopySource must give kPreconditionFailed for 304
};

Conditions C(std::optional<std::string> if_match, std::optional<std::string> if_none_match,
             std::optional<int64_t> if_modified_since, std::optional<int64_t> if_unmodified_since) {
  return {std::move(if_match), std::move(if_none_match), if_modified_since, if_unmodified_since};
}

// Each condition alone, true and false, then every pairing the S3 documentation describes, and
// the remaining pairings by RFC 9110 13.2.2 (If-Match / If-None-Match take precedence over the
// date that pairs with them; the 412 pair is evaluated before the 304 pair).
const Row kRows[] = {
    {"none", C({}, {}, {}, {}), kProceed},
    {"If-Match true", C(kMatching, {}, {}, {}), kProceed},
    {"If-Match false", C(kOther, {}, {}, {}), kPreconditionFailed},
    {"If-None-Match true", C({}, kOther, {}, {}), kProceed},
    {"If-None-Match false", C({}, kMatching, {}, {}), kNotModified},
    {"If-Modified-Since true", C({}, {}, kBefore, {}), kProceed},
    {"If-Modified-Since false (same second)", C({}, {}, kModified, {}), kNotModified},
    {"If-Modified-Since false (later)", C({}, {}, kAfter, {}), kNotModified},
    {"If-Unmodified-Since true (same second)", C({}, {}, {}, kModified), kProceed},
    {"If-Unmodified-Since true (later)", C({}, {}, {}, kAfter), kProceed},
    {"If-Unmodified-Since false", C({}, {}, {}, kBefore), kPreconditionFailed},
    // S3: If-Match true and If-Unmodified-Since false -> 200.
    {"If-Match true + If-Unmodified-Since false", C(kMatching, {}, {}, kBefore), kProceed},
    {"If-Match false + If-Unmodified-Since true", C(kOther, {}, {}, kAfter), kPreconditionFailed},
    {"If-Match false + If-Unmodified-Since false", C(kOther, {}, {}, kBefore), kPreconditionFailed},
    {"If-Match true + If-Unmodified-Since true", C(kMatching, {}, {}, kAfter), kProceed},
    // S3: If-None-Match false and If-Modified-Since true -> 304.
    {"If-None-Match false + If-Modified-Since true", C({}, kMatching, kBefore, {}), kNotModified},
    {"If-None-Match true + If-Modified-Since false", C({}, kOther, kAfter, {}), kProceed},
    {"If-None-Match false + If-Modified-Since false", C({}, kMatching, kAfter, {}), kNotModified},
    {"If-None-Match true + If-Modified-Since true", C({}, kOther, kBefore, {}), kProceed},
    // A 412 condition beats a 304 one.
    {"If-Match false + If-None-Match false", C(kOther, kMatching, {}, {}), kPreconditionFailed},
    {"If-Unmodified-Since false + If-None-Match false", C({}, kMatching, {}, kBefore),
     kPreconditionFailed},
    {"If-Unmodified-Since false + If-Modified-Since false", C({}, {}, kAfter, kBefore),
     kPreconditionFailed},
    {"If-Match false + If-Modified-Since false", C(kOther, {}, kAfter, {}), kPreconditionFailed},
    {"If-Match true + If-None-Match false", C(kMatching, kMatching, {}, {}), kNotModified},
    {"If-Match true + If-Modified-Since false", C(kMatching, {}, kAfter, {}), kNotModified},
    {"If-Match true + If-None-Match true", C(kMatching, kOther, {}, {}), kProceed},
    {"If-Unmodified-Since true + If-Modified-Since true", C({}, {}, kBefore, kAfter), kProceed},
    {"If-Unmodified-Since true + If-None-Match false", C({}, kMatching, {}, kAfter), kNotModified},
    {"all four true", C(kMatching, kOther, kBefore, kAfter), kProceed},
    {"If-Match true, If-Unmodified-Since false, If-None-Match false, If-Modified-Since true",
     C(kMatching, kMatching, kBefore, kBefore), kNotModified},
    {"If-Match true, If-Unmodified-Since false, If-None-Match true, If-Modified-Since false",
     C(kMatching, kOther, kAfter, kBefore), kProceed},
    {"all four false", C(kOther, kMatching, kAfter, kBefore), kPreconditionFailed},
};

TEST(EvaluateReadTest, PrecedenceTable) {
  for (const Row& row : kRows) {
    EXPECT_EQ(EvaluateRead(row.conditions, kEtag, kModified), row.read) << row.name;
  }
}

TEST(EvaluateCopySourceTest, SameRulesButEveryFailureIs412) {
  for (const Row& row : kRows) {
    const ConditionOutcome expected = row.read == kProceed ? kProceed : kPreconditionFailed;
    EXPECT_EQ(EvaluateCopySource(row.conditions, kEtag, kModified), expected) << row.name;
  }
  // The two pairings the CopyObject page spells out.
  EXPECT_EQ(EvaluateCopySource(C(kMatching, {}, {}, kBefore), kEtag, kModified), kProceed);
  EXPECT_EQ(EvaluateCopySource(C({}, kMatching, kBefore, {}), kEtag, kModified),
            kPreconditionFailed);
}

TEST(EvaluateReadTest, EntityTagLists) {
  const struct {
    std::string header;
    bool if_match_holds;       // If-Match: strong comparison
    bool if_none_match_holds;  // If-None-Match: weak comparison, true when nothing matches
  } cases[] = {
      {kMatching, true, false},
      {"*", true, false},
      {" * ", true, false},
      {std::string(kEtag), true, false},  // bare, unquoted
      {"\"x\", " + kMatching, true, false},
      {"\"x\",\"y\"," + kMatching + " ", true, false},
      {"\"x\", \"y\"", false, true},
      {"W/" + kMatching, false, false},  // weak: never matches If-Match, does match If-None-Match
      {"W/\"x\", " + kMatching, true, false},
      {"\"a,b\", " + kMatching, true, false},                // a comma inside a quoted tag
      {"\"d41d8cd98f00b204e9800998ecf8427\"", false, true},  // a prefix is not a match
      {kMatching + "-2", false, true},                       // junk after the closing quote
      {"\"" + std::string(kEtag), false, true},              // unterminated quote
      {" , ,", false, true},                                 // an empty list names no tag
  };
  for (const auto& c : cases) {
    EXPECT_EQ(EvaluateRead(C(c.header, {}, {}, {}), kEtag, kModified),
              c.if_match_holds ? kProceed : kPreconditionFailed)
        << "If-Match: " << c.header;
    EXPECT_EQ(EvaluateRead(C({}, c.header, {}, {}), kEtag, kModified),
              c.if_none_match_holds ? kProceed : kNotModified)
        << "If-None-Match: " << c.header;
  }
  // Multipart ETags are opaque strings like any other.
  EXPECT_EQ(EvaluateRead(C("\"9b2cf535f27731c974343645a3985328-3\"", {}, {}, {}),
                         "9b2cf535f27731c974343645a3985328-3", kModified),
            kProceed);
}

TEST(EvaluateReadTest, FutureIfModifiedSinceIsIgnoredWhenNowIsKnown) {
  const Conditions future = C({}, {}, kModified + 3600, {});
  EXPECT_EQ(EvaluateRead(future, kEtag, kModified), kNotModified);
  EXPECT_EQ(EvaluateRead(future, kEtag, kModified, kModified + 60), kProceed);
  EXPECT_EQ(EvaluateRead(future, kEtag, kModified, kModified + 7200), kNotModified);
  EXPECT_EQ(EvaluateCopySource(future, kEtag, kModified, kModified + 60), kProceed);
}

TEST(ConditionsFromHeadersTest, ParsesValuesAndIgnoresBadDates) {
  const Conditions all = ConditionsFromHeaders(kMatching, " * ", "Fri, 24 May 2013 00:00:00 GMT",
                                               "Friday, 24-May-13 00:00:01 GMT");
  EXPECT_EQ(all.if_match, kMatching);
  EXPECT_EQ(all.if_none_match, "*");
  EXPECT_EQ(all.if_modified_since, kModified);
  EXPECT_EQ(all.if_unmodified_since, kModified + 1);

  const Conditions asctime = ConditionsFromHeaders({}, {}, "Fri May 24 00:00:00 2013", {});
  EXPECT_EQ(asctime.if_modified_since, kModified);

  const Conditions bad = ConditionsFromHeaders("", "  ", "yesterday", "2013-05-24T00:00:00Z");
  EXPECT_TRUE(bad.empty());
  EXPECT_TRUE(ConditionsFromHeaders({}, {}, {}, {}).empty());
}

TEST(ConditionsFromHeadersTest, LooksUpPlainOrCopySourceNames) {
  const std::map<std::string, std::string, std::less<>> headers = {
      {"if-match", "\"a\""},
      {"if-modified-since", "Fri, 24 May 2013 00:00:00 GMT"},
      {"x-amz-copy-source-if-none-match", "\"b\""},
      {"x-amz-copy-source-if-unmodified-since", "Fri, 24 May 2013 00:00:00 GMT"},
  };
  const HeaderLookup lookup = [&](std::string_view name) -> std::optional<std::string_view> {
    const auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  };
  const Conditions own = ConditionsFromHeaders(lookup);
  EXPECT_EQ(own.if_match, "\"a\"");
  EXPECT_EQ(own.if_none_match, std::nullopt);
  EXPECT_EQ(own.if_modified_since, kModified);
  EXPECT_EQ(own.if_unmodified_since, std::nullopt);

  const Conditions source = ConditionsFromHeaders(lookup, "x-amz-copy-source-");
  EXPECT_EQ(source.if_match, std::nullopt);
  EXPECT_EQ(source.if_none_match, "\"b\"");
  EXPECT_EQ(source.if_modified_since, std::nullopt);
  EXPECT_EQ(source.if_unmodified_since, kModified);
}

TEST(ConditionStatusTest, MapsOutcomesToS3Errors) {
  EXPECT_TRUE(ConditionStatus(kProceed, "b/k").ok());
  const Status not_modified = ConditionStatus(kNotModified, "b/k");
  EXPECT_EQ(not_modified.reason(), "NotModified");
  EXPECT_EQ(Info(*ErrorCodeOf(not_modified)).http_status, 304);
  const Status failed = ConditionStatus(kPreconditionFailed, "b/k");
  EXPECT_EQ(failed.reason(), "PreconditionFailed");
  EXPECT_EQ(Info(*ErrorCodeOf(failed)).http_status, 412);
  EXPECT_NE(failed.message().find("b/k"), std::string::npos);
}

TEST(EvaluateWriteTest, Table) {
  const struct {
    std::string_view name;
    Conditions conditions;
    bool exists;
    std::string_view current_etag;
    std::string_view reason;  // empty: proceed
  } cases[] = {
      {"no conditions, new key", C({}, {}, {}, {}), false, "", ""},
      {"no conditions, existing key", C({}, {}, {}, {}), true, kEtag, ""},
      {"If-None-Match * on a new key", C({}, "*", {}, {}), false, "", ""},
      {"If-None-Match * on an existing key", C({}, "*", {}, {}), true, kEtag, "PreconditionFailed"},
      {"If-None-Match with an ETag", C({}, kOther, {}, {}), true, kEtag, "NotImplemented"},
      {"If-None-Match with an ETag, new key", C({}, kMatching, {}, {}), false, "",
       "NotImplemented"},
      {"If-Match with If-None-Match", C(kMatching, "*", {}, {}), true, kEtag, "NotImplemented"},
      {"If-Match matching", C(kMatching, {}, {}, {}), true, kEtag, ""},
      {"If-Match unquoted", C(std::string(kEtag), {}, {}, {}), true, kEtag, ""},
      {"If-Match in a list", C("\"x\", " + kMatching, {}, {}, {}), true, kEtag, ""},
      {"If-Match stale", C(kOther, {}, {}, {}), true, kEtag, "PreconditionFailed"},
      {"If-Match weak", C("W/" + kMatching, {}, {}, {}), true, kEtag, "PreconditionFailed"},
      {"If-Match on a missing key", C(kMatching, {}, {}, {}), false, "", "NoSuchKey"},
      {"If-Match * on an existing key", C("*", {}, {}, {}), true, kEtag, ""},
      {"If-Match * on a missing key", C("*", {}, {}, {}), false, "", "NoSuchKey"},
      {"dates are ignored by writes", C({}, {}, kAfter, kBefore), true, kEtag, ""},
      {"multipart ETag", C("\"9b2cf535f27731c974343645a3985328-3\"", {}, {}, {}), true,
       "9b2cf535f27731c974343645a3985328-3", ""},
  };
  for (const auto& c : cases) {
    const Status status = EvaluateWrite(c.conditions, c.exists, c.current_etag);
    EXPECT_EQ(status.reason(), c.reason) << c.name << ": " << status.ToString();
  }
  const Status stale = EvaluateWrite(C(kOther, {}, {}, {}), true, kEtag);
  EXPECT_NE(stale.message().find(std::string(kEtag)), std::string::npos) << stale.message();
  EXPECT_EQ(Info(*ErrorCodeOf(EvaluateWrite(C({}, kOther, {}, {}), true, kEtag))).http_status, 501);
}

}  // namespace
}  // namespace trainload::s3
