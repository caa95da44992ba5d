#include "cli/client_flags.h"

#include <gtest/gtest.h>

namespace trainload::cli {
namespace {

TEST(ParseByteSizeTest, BinaryUnits) {
  EXPECT_EQ(ParseByteSize("8388608").value(), 8388608u);
  EXPECT_EQ(ParseByteSize("0").value(), 0u);
  EXPECT_EQ(ParseByteSize("512B").value(), 512u);
  EXPECT_EQ(ParseByteSize("64k").value(), 64u << 10);
  EXPECT_EQ(ParseByteSize("8M").value(), 8u << 20);
  EXPECT_EQ(ParseByteSize("8MB").value(), 8u << 20);
  EXPECT_EQ(ParseByteSize("8MiB").value(), 8u << 20);
  EXPECT_EQ(ParseByteSize("2GiB").value(), 2ull << 30);
  EXPECT_EQ(ParseByteSize("1t").value(), 1ull << 40);
}

TEST(ParseByteSizeTest, RejectsNamingTheText) {
  for (const char* text :
       {"", "MiB", "8 MiB", "8XB", "-1", "1.5M", "99999999999999999999", "99999999999T"}) {
    auto size = ParseByteSize(text);
    ASSERT_FALSE(size.has_value()) << text;
    EXPECT_EQ(size.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(size.error().message().find("\"" + std::string(text) + "\""), std::string::npos)
        << size.error().message();
  }
}

TEST(ClientOptionsFromFlagsTest, UnsetFlagsLeaveResolutionToTheClient) {
  auto options = ClientOptionsFromFlags(ClientFlags{});
  ASSERT_TRUE(options.has_value());
  ClientOptions defaults;
  EXPECT_EQ(options->endpoint, "");
  EXPECT_EQ(options->region, "");
  EXPECT_EQ(options->profile, "");
  EXPECT_FALSE(options->anonymous);
  EXPECT_TRUE(options->verify_tls);
  EXPECT_EQ(options->part_size, defaults.part_size);
  EXPECT_EQ(options->max_memory, defaults.max_memory);
  EXPECT_EQ(options->max_connections, 0u);
  EXPECT_EQ(options->throughput_target_gbps, defaults.throughput_target_gbps);
}

TEST(ClientOptionsFromFlagsTest, EveryFlagLands) {
  ClientFlags flags;
  flags.endpoint_url = "http://127.0.0.1:9000";
  flags.region = "eu-west-1";
  flags.profile = "dev";
  flags.no_sign_request = true;
  flags.no_verify_ssl = true;
  flags.ca_bundle = "/etc/ca.pem";
  flags.part_size = "512KiB";
  flags.max_memory = "256M";
  flags.max_connections = 16;
  flags.throughput_gbps = 25;
  auto options = ClientOptionsFromFlags(flags);
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(options->region, "eu-west-1");
  EXPECT_EQ(options->profile, "dev");
  EXPECT_TRUE(options->anonymous);
  EXPECT_FALSE(options->verify_tls);
  EXPECT_EQ(options->ca_bundle, "/etc/ca.pem");
  EXPECT_EQ(options->part_size, 512u << 10);
  EXPECT_EQ(options->first_part_size, 512u << 10);  // never above part_size
  EXPECT_EQ(options->max_memory, 256u << 20);
  EXPECT_EQ(options->max_connections, 16u);
  EXPECT_EQ(options->throughput_target_gbps, 25);
}

TEST(ClientOptionsFromFlagsTest, RejectsOutOfRange) {
  ClientFlags zero_part;
  zero_part.part_size = "0";
  EXPECT_FALSE(ClientOptionsFromFlags(zero_part).has_value());
  ClientFlags huge_part;
  huge_part.part_size = "6GiB";
  auto huge = ClientOptionsFromFlags(huge_part);
  ASSERT_FALSE(huge.has_value());
  EXPECT_NE(huge.error().message().find("--part-size 6GiB"), std::string::npos);
  ClientFlags bad_memory;
  bad_memory.max_memory = "lots";
  EXPECT_FALSE(ClientOptionsFromFlags(bad_memory).has_value());
  ClientFlags negative;
  negative.throughput_gbps = -1;
  EXPECT_FALSE(ClientOptionsFromFlags(negative).has_value());
}

}  // namespace
}  // namespace trainload::cli
