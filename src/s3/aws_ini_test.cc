#include "s3/aws_ini.h"

#include <gtest/gtest.h>

namespace trainload::s3 {
namespace {

TEST(AwsIniTest, ParsesProfilesAndKeys) {
  auto ini = ParseAwsIni(
      "# comment\n[default]\naws_access_key_id = AKID\n"
      "AWS_Secret_Access_Key=se=cret\n\n; other\n[profile dev]\nregion = eu-west-1\r\n",
      "credentials");
  ASSERT_TRUE(ini.has_value()) << ini.error().ToString();
  EXPECT_EQ((*ini)["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ((*ini)["default"]["aws_secret_access_key"], "se=cret");
  EXPECT_EQ((*ini)["profile dev"]["region"], "eu-west-1");
}

TEST(AwsIniTest, ErrorsNameFileAndLine) {
  auto bad = ParseAwsIni("[default]\nno equals sign\n", "/root/.aws/config");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("/root/.aws/config:2"), std::string::npos);
  EXPECT_FALSE(ParseAwsIni("key = value\n", "f").has_value());
  EXPECT_FALSE(ParseAwsIni("[broken\n", "f").has_value());
}

}  // namespace
}  // namespace trainload::s3
