#include "common/time_format.h"

#include <gtest/gtest.h>

namespace trainload {
namespace {

constexpr int64_t kT = 1369353600;  // 2013-05-24T00:00:00Z

TEST(TimeFormatTest, Formats) {
  EXPECT_EQ(FormatAmzDate(kT), "20130524T000000Z");
  EXPECT_EQ(FormatScopeDate(kT + 86399), "20130524");
  EXPECT_EQ(FormatIso8601Millis(kT * 1000 + 7), "2013-05-24T00:00:00.007Z");
  EXPECT_EQ(FormatHttpDate(kT), "Fri, 24 May 2013 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(kT + 61), "Fri, 24 May 2013 00:01:01 GMT");
  EXPECT_EQ(FormatHttpDate(kT), "Fri, 24 May 2013 00:00:00 GMT");  // per-second cache refreshed
}

TEST(TimeFormatTest, HttpDatesStayRightWhileTheirCacheAlternates) {
  // Date and Last-Modified alternate on every response; a third time evicts one of them.
  const std::pair<int64_t, const char*> cases[] = {
      {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
      {kT + 59 * 60 + 59, "Fri, 24 May 2013 00:59:59 GMT"},
      {4102444799, "Thu, 31 Dec 2099 23:59:59 GMT"},
      {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
  };
  for (int round = 0; round < 3; ++round) {
    for (const auto& [seconds, text] : cases) EXPECT_EQ(FormatHttpDate(seconds), text);
    EXPECT_EQ(FormatHttpDate(cases[0].first), cases[0].second);
  }
}

TEST(TimeFormatTest, ParsesWhatItFormatsAndTheObsoleteHttpForms) {
  EXPECT_EQ(ParseAmzDate("20130524T000000Z"), kT);
  EXPECT_EQ(ParseHttpDate("Fri, 24 May 2013 00:00:00 GMT"), kT);
  EXPECT_EQ(ParseHttpDate("Friday, 24-May-13 00:00:00 GMT"), kT);
  EXPECT_EQ(ParseHttpDate("Fri May 24 00:00:00 2013"), kT);
  EXPECT_EQ(ParseIso8601Millis("2013-05-24T00:00:00.5Z"), kT * 1000 + 500);
  EXPECT_EQ(ParseIso8601Millis("2013-05-24T00:00:00Z"), kT * 1000);
  for (const char* bad : {"", "20130524T000000", "2013-05-24", "Fri, 32 May 2013 00:00:00 GMT",
                          "Fri, 24 Foo 2013 00:00:00 GMT"}) {
    EXPECT_FALSE(ParseHttpDate(bad).has_value()) << bad;
    EXPECT_FALSE(ParseAmzDate(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace trainload
