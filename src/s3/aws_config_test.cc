#include "s3/aws_config.h"

#include <gtest/gtest.h>

#include <map>

namespace trainload::s3 {
namespace {

AwsConfigFile ParseOk(std::string_view text, std::string_view source = "config") {
  Result<AwsConfigFile> file = ParseAwsConfigFile(text, source);
  EXPECT_TRUE(file.has_value()) << file.error().ToString();
  return file.value_or(AwsConfigFile{});
}

std::string ParseError(std::string_view text, std::string_view source = "/home/u/.aws/config") {
  Result<AwsConfigFile> file = ParseAwsConfigFile(text, source);
  if (file.has_value()) {
    ADD_FAILURE() << "parsed: " << text;
    return "";
  }
  EXPECT_EQ(file.error().code(), StatusCode::kInvalidArgument);
  return file.error().message();
}

AwsSharedFiles Files(std::string_view config, std::string_view credentials) {
  AwsSharedFiles files;
  files.config = ParseOk(config, "/c/config");
  files.credentials = ParseOk(credentials, "/c/credentials");
  return files;
}

EnvLookup Env(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(AwsConfigTest, ParsesFlatSectionsLikeAwsIni) {
  AwsConfigFile file = ParseOk(
      "# comment\n[default]\naws_access_key_id = AKID\n"
      "AWS_Secret_Access_Key=se=cret\n\n; other\n[ profile dev ]\nregion = eu-west-1\r\n");
  EXPECT_EQ(file.source, "config");
  EXPECT_EQ(file.sections["default"].values["aws_access_key_id"], "AKID");
  EXPECT_EQ(file.sections["default"].values["aws_secret_access_key"], "se=cret");
  EXPECT_EQ(file.sections["profile dev"].values["region"], "eu-west-1");
}

TEST(AwsConfigTest, ParsesNestedBlocks) {
  AwsConfigFile file = ParseOk(
      "[profile dev]\n"
      "region = us-west-2\n"
      "s3 =\n"
      "  addressing_style = Path\n"
      "\n"
      "  # a comment inside the block\n"
      "  Max_Concurrent_Requests = 20\n"
      "output = json\n");
  const AwsConfigSection& dev = file.sections["profile dev"];
  EXPECT_EQ(dev.values.size(), 2u);
  EXPECT_EQ(dev.values.at("region"), "us-west-2");
  EXPECT_EQ(dev.values.at("output"), "json");
  EXPECT_FALSE(dev.values.contains("s3"));
  ASSERT_TRUE(dev.nested.contains("s3"));
  EXPECT_EQ(dev.nested.at("s3").at("addressing_style"), "Path");
  EXPECT_EQ(dev.nested.at("s3").at("max_concurrent_requests"), "20");
}

TEST(AwsConfigTest, IndentationIsRelativeToTheKeyLine) {
  // Uniformly indented keys are siblings, as in configparser; tabs count as indentation.
  AwsConfigFile file = ParseOk(
      "[default]\n"
      " region = us-west-2\n"
      " s3 =\n"
      "\t\taddressing_style = virtual\n"
      "    use_accelerate_endpoint = false\n"
      " aws_access_key_id = AKID\n"
      "\tsignature_version = s3v4\n");
  const AwsConfigSection& section = file.sections["default"];
  EXPECT_EQ(section.values.at("region"), "us-west-2");
  EXPECT_EQ(section.values.at("aws_access_key_id"), "AKID");
  EXPECT_EQ(section.values.at("signature_version"), "s3v4");  // same depth: a sibling
  EXPECT_EQ(section.nested.at("s3").at("addressing_style"), "virtual");
  EXPECT_EQ(section.nested.at("s3").at("use_accelerate_endpoint"), "false");
}

TEST(AwsConfigTest, EmptyKeyWithoutBlockIsAnEmptyValue) {
  AwsConfigFile file = ParseOk("[default]\ns3 =\nregion = x\n");
  EXPECT_EQ(file.sections["default"].values.at("s3"), "");
  EXPECT_FALSE(file.sections["default"].nested.contains("s3"));
}

TEST(AwsConfigTest, LaterDuplicatesReplaceWholeKeys) {
  AwsConfigFile file = ParseOk(
      "[default]\ns3 =\n  addressing_style = path\nregion = a\n"
      "[default]\nregion = b\ns3 =\n  use_dualstack_endpoint = true\n");
  const AwsConfigSection& section = file.sections["default"];
  EXPECT_EQ(section.values.at("region"), "b");
  // A repeated section merges key by key; the second "s3" block replaces the first whole.
  EXPECT_EQ(section.nested.at("s3").size(), 1u);
  EXPECT_EQ(section.nested.at("s3").at("use_dualstack_endpoint"), "true");
  file = ParseOk("[default]\ns3 =\n  addressing_style = path\ns3 = flat\n");
  EXPECT_EQ(file.sections["default"].values.at("s3"), "flat");
  EXPECT_FALSE(file.sections["default"].nested.contains("s3"));
}

TEST(AwsConfigTest, ErrorsNameFileAndLine) {
  EXPECT_NE(ParseError("[default]\nno equals sign\n").find("/home/u/.aws/config:2: expected"),
            std::string::npos);
  EXPECT_NE(ParseError("key = value\n").find(":1: 'key = value' before any [section]"),
            std::string::npos);
  EXPECT_NE(ParseError("[broken\n").find(":1: section header is missing ']'"), std::string::npos);
  EXPECT_NE(ParseError("[default]\n= value\n").find(":2: empty key"), std::string::npos);
  EXPECT_NE(ParseError("[default]\ns3 =\n  addressing_style\n")
                .find(":3: expected 'key = value' nested under 's3'"),
            std::string::npos);
  EXPECT_NE(ParseError("[default]\nregion = us-west-2\n  more = 1\n")
                .find(":3: indented line continues 'region', which already has a value"),
            std::string::npos);
}

TEST(AwsConfigTest, ConfigProfilesNeedThePrefixExceptDefault) {
  AwsSharedFiles files = Files(
      "[default]\nregion = us-east-2\n"
      "[profile dev]\nregion = eu-west-1\n"
      "[profile   spaced]\nregion = ap-south-1\n"
      "[staging]\nregion = nowhere\n"
      "[profiledev2]\nregion = nowhere\n"
      "[services local]\ns3 =\n  endpoint_url = http://x\n",
      "");
  EXPECT_EQ(FindProfile(files, "default")->values.at("region").value, "us-east-2");
  EXPECT_EQ(FindProfile(files, "dev")->values.at("region").value, "eu-west-1");
  EXPECT_EQ(FindProfile(files, "dev")->values.at("region").source, "/c/config [profile dev]");
  EXPECT_EQ(FindProfile(files, "spaced")->values.at("region").value, "ap-south-1");
  EXPECT_FALSE(FindProfile(files, "staging").has_value());
  EXPECT_FALSE(FindProfile(files, "dev2").has_value());
  EXPECT_FALSE(FindProfile(files, "local").has_value());
  EXPECT_FALSE(FindProfile(files, "profile dev").has_value());
  EXPECT_NE(ProfileNotFoundHint(files, "staging").find("write [profile staging]"),
            std::string::npos);
  EXPECT_EQ(ProfileNotFoundHint(files, "nothing"), "");
}

TEST(AwsConfigTest, ProfileDefaultBeatsBareDefault) {
  for (std::string_view config : {"[default]\nregion = bare\n[profile default]\nregion = pref\n",
                                  "[profile default]\nregion = pref\n[default]\nregion = bare\n"}) {
    AwsSharedFiles files = Files(config, "");
    EXPECT_EQ(FindProfile(files, "default")->values.at("region").value, "pref") << config;
  }
}

TEST(AwsConfigTest, CredentialsFileSectionsAreBareNames) {
  AwsSharedFiles files = Files("", "[dev]\naws_access_key_id = A\n[profile prod]\nx = y\n");
  EXPECT_TRUE(FindProfile(files, "dev").has_value());
  EXPECT_FALSE(FindProfile(files, "prod").has_value());
  EXPECT_NE(ProfileNotFoundHint(files, "prod").find("profiles there are written [prod]"),
            std::string::npos);
}

TEST(AwsConfigTest, CredentialsFileWinsKeyByKey) {
  AwsSharedFiles files = Files(
      "[profile dev]\nregion = from-config\nmax_attempts = 3\ns3 =\n  addressing_style = path\n",
      "[dev]\nregion = from-credentials\n");
  std::optional<AwsProfile> dev = FindProfile(files, "dev");
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->values.at("region").value, "from-credentials");
  EXPECT_EQ(dev->values.at("region").source, "/c/credentials [dev]");
  EXPECT_EQ(dev->values.at("max_attempts").value, "3");
  EXPECT_EQ(ProfileS3Addressing(*dev).value(), Addressing::kPath);
  EXPECT_TRUE(dev->credentials_section.has_value());
  EXPECT_TRUE(dev->config_section.has_value());
}

TEST(AwsConfigTest, StaticCredentialsComeWholeFromOneFile) {
  AwsSharedFiles files = Files(
      "[default]\naws_access_key_id = CFG\naws_secret_access_key = cfgsecret\n"
      "[profile cfgonly]\naws_access_key_id = CFG2\naws_secret_access_key = s2\n"
      "aws_session_token = tok\n",
      "[default]\naws_access_key_id = CRED\naws_secret_access_key = credsecret\n"
      "[cfgonly]\nregion = x\n");
  Result<std::optional<ProfileKeys>> keys = ProfileCredentials(*FindProfile(files, "default"));
  ASSERT_TRUE(keys.has_value() && keys->has_value());
  EXPECT_EQ((*keys)->credentials.access_key_id, "CRED");
  EXPECT_EQ((*keys)->credentials.secret_access_key, "credsecret");
  EXPECT_EQ((*keys)->credentials.session_token, "");
  EXPECT_EQ((*keys)->source, "/c/credentials [default]");

  keys = ProfileCredentials(*FindProfile(files, "cfgonly"));
  ASSERT_TRUE(keys.has_value() && keys->has_value());
  EXPECT_EQ((*keys)->credentials.access_key_id, "CFG2");
  EXPECT_EQ((*keys)->credentials.session_token, "tok");
  EXPECT_EQ((*keys)->source, "/c/config [profile cfgonly]");
}

TEST(AwsConfigTest, HalfAKeyPairIsAnError) {
  AwsSharedFiles files = Files("[default]\naws_secret_access_key = other-file\n",
                               "[default]\naws_access_key_id = AKID\n");
  Result<std::optional<ProfileKeys>> keys = ProfileCredentials(*FindProfile(files, "default"));
  ASSERT_FALSE(keys.has_value());
  EXPECT_EQ(keys.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(keys.error().message(),
            "profile 'default' in /c/credentials [default] has aws_access_key_id but no "
            "aws_secret_access_key");

  files = Files("[default]\naws_secret_access_key = s\n", "");
  keys = ProfileCredentials(*FindProfile(files, "default"));
  ASSERT_FALSE(keys.has_value());
  EXPECT_NE(keys.error().message().find("but no aws_access_key_id"), std::string::npos);

  files = Files("[default]\nregion = x\n", "");
  keys = ProfileCredentials(*FindProfile(files, "default"));
  ASSERT_TRUE(keys.has_value());
  EXPECT_FALSE(keys->has_value());
}

TEST(AwsConfigTest, NamesUnsupportedCredentialSettings) {
  AwsSharedFiles files = Files(
      "[profile sso]\nsso_session = corp\nsso_account_id = 1\n"
      "[profile role]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n",
      "");
  EXPECT_EQ(UnsupportedCredentialSettings(*FindProfile(files, "sso")), "sso_session");
  EXPECT_EQ(UnsupportedCredentialSettings(*FindProfile(files, "role")),
            "role_arn, credential_source");
}

TEST(AwsConfigTest, AddressingStyle) {
  auto style = [](std::string_view value) {
    AwsSharedFiles files =
        Files("[default]\ns3 =\n  addressing_style = " + std::string(value) + "\n", "");
    return ProfileS3Addressing(*FindProfile(files, "default"));
  };
  EXPECT_EQ(style("auto").value(), Addressing::kAuto);
  EXPECT_EQ(style("path").value(), Addressing::kPath);
  EXPECT_EQ(style("VIRTUAL").value(), Addressing::kVirtualHosted);
  EXPECT_EQ(style("").value(), std::nullopt);
  Result<std::optional<Addressing>> bad = style("dns");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(),
            "s3.addressing_style 'dns' in /c/config [default] is not one of auto, path, virtual");
  // A flat "addressing_style" is not the nested s3 setting.
  AwsSharedFiles flat = Files("[default]\naddressing_style = path\n", "");
  EXPECT_EQ(ProfileS3Addressing(*FindProfile(flat, "default")).value(), std::nullopt);
}

TEST(AwsConfigTest, MaxAttemptsAndBooleans) {
  EXPECT_EQ(ParseMaxAttempts({"5", "src"}, "max_attempts").value(), 5);
  EXPECT_EQ(ParseMaxAttempts({"1000", "src"}, "max_attempts").value(), 1000);
  for (std::string_view bad : {"0", "-1", "1001", "five", "5 ", "", "3.5"}) {
    Result<int> value = ParseMaxAttempts({std::string(bad), "/c/config [default]"}, "max_attempts");
    ASSERT_FALSE(value.has_value()) << bad;
    EXPECT_EQ(value.error().message(), "max_attempts '" + std::string(bad) +
                                           "' from /c/config [default] is not an integer in "
                                           "1..1000");
  }
  EXPECT_TRUE(ParseAwsBool({"TRUE", "s"}, "x").value());
  EXPECT_FALSE(ParseAwsBool({"false", "s"}, "x").value());
  EXPECT_FALSE(ParseAwsBool({"1", "s"}, "x").has_value());
}

TEST(AwsConfigTest, EndpointPrecedence) {
  AwsSharedFiles files = Files(
      "[default]\nendpoint_url = http://profile-global\nservices = local\n"
      "[profile plain]\nendpoint_url = http://plain-global\n"
      "[profile other-service]\nservices = dynamo-only\nendpoint_url = http://plain-global\n"
      "[services local]\ns3 =\n  endpoint_url = http://profile-s3\n"
      "[services dynamo-only]\ndynamodb =\n  endpoint_url = http://dynamo\n",
      "");
  std::optional<AwsProfile> profile = FindProfile(files, "default");
  auto resolve = [&](std::map<std::string, std::string, std::less<>> vars, const AwsProfile* p) {
    return ConfiguredS3EndpointUrl(files, p, Env(vars));
  };

  auto both =
      resolve({{"AWS_ENDPOINT_URL_S3", "http://env-s3"}, {"AWS_ENDPOINT_URL", "http://env-global"}},
              &*profile);
  EXPECT_EQ((*both)->value, "http://env-s3");
  EXPECT_EQ((*both)->source, "AWS_ENDPOINT_URL_S3");
  auto global =
      resolve({{"AWS_ENDPOINT_URL_S3", ""}, {"AWS_ENDPOINT_URL", "http://env-global"}}, &*profile);
  EXPECT_EQ((*global)->value, "http://env-global");
  EXPECT_EQ((*global)->source, "AWS_ENDPOINT_URL");
  auto service = resolve({}, &*profile);
  EXPECT_EQ((*service)->value, "http://profile-s3");
  EXPECT_EQ((*service)->source, "/c/config [services local] s3.endpoint_url");
  std::optional<AwsProfile> plain = FindProfile(files, "plain");
  auto profile_global = resolve({}, &*plain);
  EXPECT_EQ((*profile_global)->value, "http://plain-global");
  EXPECT_EQ((*profile_global)->source, "/c/config [profile plain] endpoint_url");
  std::optional<AwsProfile> other = FindProfile(files, "other-service");
  EXPECT_EQ((*resolve({}, &*other))->value, "http://plain-global");
  EXPECT_EQ(resolve({}, nullptr).value(), std::nullopt);
  EXPECT_EQ((*resolve({{"AWS_ENDPOINT_URL", "http://e"}}, nullptr))->value, "http://e");
}

TEST(AwsConfigTest, IgnoreConfiguredEndpointUrls) {
  AwsSharedFiles files = Files(
      "[default]\nendpoint_url = http://profile\n"
      "[profile ignoring]\nendpoint_url = http://profile\nignore_configured_endpoint_urls = true\n",
      "");
  std::optional<AwsProfile> normal = FindProfile(files, "default");
  std::optional<AwsProfile> ignoring = FindProfile(files, "ignoring");
  EXPECT_EQ(ConfiguredS3EndpointUrl(
                files, &*normal,
                Env({{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}, {"AWS_ENDPOINT_URL", "x"}}))
                .value(),
            std::nullopt);
  EXPECT_EQ(ConfiguredS3EndpointUrl(files, &*ignoring, Env({{"AWS_ENDPOINT_URL_S3", "x"}})).value(),
            std::nullopt);
  // The variable overrides the profile setting both ways.
  EXPECT_EQ((*ConfiguredS3EndpointUrl(files, &*ignoring,
                                      Env({{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "False"}})))
                ->value,
            "http://profile");
  Result<std::optional<AwsSetting>> bad = ConfiguredS3EndpointUrl(
      files, &*normal, Env({{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "yes"}}));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(),
            "ignore_configured_endpoint_urls 'yes' from AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "
            "neither true nor false");
}

TEST(AwsConfigTest, MissingServicesSectionIsAnError) {
  AwsSharedFiles files = Files("[default]\nservices = gone\n", "");
  std::optional<AwsProfile> profile = FindProfile(files, "default");
  Result<std::optional<AwsSetting>> url = ConfiguredS3EndpointUrl(files, &*profile, Env({}));
  ASSERT_FALSE(url.has_value());
  EXPECT_EQ(url.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(url.error().message().find("names services 'gone'"), std::string::npos);
  EXPECT_NE(url.error().message().find("has no [services gone] section"), std::string::npos);
}

}  // namespace
}  // namespace trainload::s3
