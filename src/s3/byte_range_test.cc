#include "s3/byte_range.h"

#include <gtest/gtest.h>

#include <limits>

namespace trainload::s3 {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

struct RangeCase {
  std::string_view header;
  uint64_t size;
  std::optional<ByteRange> expected;  // nullopt: the whole object
};

TEST(ResolveRangeTest, SatisfiableRanges) {
  const RangeCase cases[] = {
      {"bytes=0-9", 100, ByteRange{0, 9}},
      {"bytes=0-0", 100, ByteRange{0, 0}},
      {"bytes=99-99", 100, ByteRange{99, 99}},
      {"bytes=10-", 100, ByteRange{10, 99}},
      {"bytes=0-", 1, ByteRange{0, 0}},
      {"bytes=90-200", 100, ByteRange{90, 99}},                    // last clamped to size-1
      {"bytes=0-99999999999999999999999", 100, ByteRange{0, 99}},  // saturates, then clamps
      {"bytes=-20", 100, ByteRange{80, 99}},
      {"bytes=-100", 100, ByteRange{0, 99}},
      {"bytes=-150", 100, ByteRange{0, 99}},  // suffix clamped to size
      {"bytes=-1", 1, ByteRange{0, 0}},
      {"Bytes=1-2", 100, ByteRange{1, 2}},  // the unit is case-insensitive
      {" bytes=1-2 ", 100, ByteRange{1, 2}},
      {"bytes=0-9", kMax, ByteRange{0, 9}},
      {"bytes=-5", kMax, ByteRange{kMax - 5, kMax - 1}},
  };
  for (const RangeCase& c : cases) {
    const Result<std::optional<ByteRange>> got = ResolveRange(c.header, c.size);
    ASSERT_TRUE(got.has_value()) << c.header << ": " << got.error().ToString();
    EXPECT_EQ(*got, c.expected) << c.header << " of " << c.size;
  }
}

// S3 ignores these and answers 200 with the whole object.
TEST(ResolveRangeTest, IgnoredHeadersServeWholeObject) {
  for (std::string_view header :
       {"",          "   ",        "bytes=0-1,3-4", "bytes=0-1, 3-4", "bytes=-1,-2",
        "bytes=1-0", "bytes=3-0",  "bytes=5-2",     "bytes=a-b",      "bytes=1-b",
        "bytes=a-",  "bytes=-b",   "bytes=-",       "bytes=",         "bytes=5",
        "bytes=--5", "bytes=+1-2", "bytes=1 -2",    "bytes=0x10-20",  "items=0-1",
        "bytes 0-1", "0-1",        "bytes=1-2-3"}) {
    const Result<std::optional<ByteRange>> got = ResolveRange(header, 100);
    ASSERT_TRUE(got.has_value()) << header << ": " << got.error().ToString();
    EXPECT_EQ(*got, std::nullopt) << header;
  }
  // Ignored even where a valid range would be unsatisfiable.
  EXPECT_EQ(ResolveRange("bytes=0-1,5-6", 0).value(), std::nullopt);
  EXPECT_EQ(ResolveRange("bytes=200-100", 100).value(), std::nullopt);
}

TEST(ResolveRangeTest, UnsatisfiableRangesAreInvalidRange) {
  const struct {
    std::string_view header;
    uint64_t size;
  } cases[] = {
      {"bytes=100-", 100}, {"bytes=100-200", 100}, {"bytes=101-200", 100},
      {"bytes=-0", 100},   {"bytes=0-", 0},        {"bytes=0-0", 0},
      {"bytes=-1", 0},     {"bytes=-0", 0},        {"bytes=99999999999999999999-", 100},
  };
  for (const auto& c : cases) {
    const Result<std::optional<ByteRange>> got = ResolveRange(c.header, c.size);
    ASSERT_FALSE(got.has_value()) << c.header << " of " << c.size;
    EXPECT_EQ(got.error().reason(), "InvalidRange");
    EXPECT_EQ(got.error().code(), StatusCode::kOutOfRange);
    EXPECT_NE(got.error().message().find(std::string(c.header)), std::string::npos)
        << got.error().message();
    EXPECT_NE(got.error().message().find("object of " + std::to_string(c.size) + " bytes"),
              std::string::npos)
        << got.error().message();
  }
}

TEST(ContentRangeTest, Formats) {
  EXPECT_EQ(ContentRange({0, 9}, 100), "bytes 0-9/100");
  EXPECT_EQ(ContentRange({80, 99}, 100), "bytes 80-99/100");
  EXPECT_EQ(ContentRange({0, kMax - 1}, kMax), "bytes 0-18446744073709551614/18446744073709551615");
  EXPECT_EQ(UnsatisfiedContentRange(100), "bytes */100");
  EXPECT_EQ(UnsatisfiedContentRange(0), "bytes */0");
  EXPECT_EQ(ByteRange({80, 99}).length(), 20u);
  EXPECT_EQ(ByteRange({5, 5}).length(), 1u);
}

TEST(ParseCopySourceRangeTest, AcceptsRangesInsideTheSource) {
  EXPECT_EQ(ParseCopySourceRange("bytes=0-9", 100).value(), (ByteRange{0, 9}));
  EXPECT_EQ(ParseCopySourceRange("bytes=0-99", 100).value(), (ByteRange{0, 99}));
  EXPECT_EQ(ParseCopySourceRange("bytes=99-99", 100).value(), (ByteRange{99, 99}));
  EXPECT_EQ(ParseCopySourceRange("bytes=5242880-10485759", 41943040).value(),
            (ByteRange{5242880, 10485759}));
}

TEST(ParseCopySourceRangeTest, RejectsMalformedValues) {
  for (std::string_view header :
       {"", "0-9", "bytes=0", "bytes=0-", "bytes=-9", "bytes=invalid-range", "bytes=0-bar",
        "bytes=hello-", "bytes=0-2,3-5", "bytes=5-2", "Bytes=0-9", "bytes= 0-9", "bytes=0-9 "}) {
    const Result<ByteRange> got = ParseCopySourceRange(header, 100);
    ASSERT_FALSE(got.has_value()) << header;
    EXPECT_EQ(got.error().reason(), "InvalidArgument") << header;
    EXPECT_EQ(got.error().message(),
              "The x-amz-copy-source-range value must be of the form bytes=first-last where "
              "first and last are the zero-based offsets of the first and last bytes to copy "
              "(x-amz-copy-source-range: " +
                  std::string(header) + ")");
  }
}

TEST(ParseCopySourceRangeTest, RejectsRangesPastTheSource) {
  for (std::string_view header : {"bytes=0-100", "bytes=100-100", "bytes=0-99999999999999999999"}) {
    const Result<ByteRange> got = ParseCopySourceRange(header, 100);
    ASSERT_FALSE(got.has_value()) << header;
    EXPECT_EQ(got.error().reason(), "InvalidArgument");
    EXPECT_EQ(got.error().message(),
              "Range specified is not valid for source object of size: 100 "
              "(x-amz-copy-source-range: " +
                  std::string(header) + ")");
  }
  const Result<ByteRange> empty_source = ParseCopySourceRange("bytes=0-0", 0);
  ASSERT_FALSE(empty_source.has_value());
  EXPECT_NE(empty_source.error().message().find("source object of size: 0"), std::string::npos);
}

}  // namespace
}  // namespace trainload::s3
