#include "cli/listen_address.h"

#include <gtest/gtest.h>

namespace trainload::cli {
namespace {

TEST(ListenAddressTest, ParsesForms) {
  auto a = ParseListenAddress("127.0.0.1:9000");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9000);
  auto b = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  EXPECT_EQ(ParseListenAddress(":8080")->host, "0.0.0.0");
}

TEST(ListenAddressTest, RejectsBadInputNamingIt) {
  for (const char* text : {"127.0.0.1", "h:99999", "h:x", "::1:9000", "[::1:9000"}) {
    auto r = ParseListenAddress(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_NE(r.error().message().find(text), std::string::npos);
  }
}

}  // namespace
}  // namespace trainload::cli
