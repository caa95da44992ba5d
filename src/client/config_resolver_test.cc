#include "client/config_resolver.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace trainload::client {
namespace {

constexpr char kCredentialsPath[] = "/home/test/.aws/credentials";
constexpr char kConfigPath[] = "/home/test/.aws/config";

class ConfigResolverTest : public ::testing::Test {
 protected:
  ResolvedConfig Resolve(const ClientOptions& options) {
    Result<ResolvedConfig> config = ResolveConfig(options, env_);
    EXPECT_TRUE(config.has_value()) << config.error().ToString();
    return config.value_or(ResolvedConfig{});
  }
  ResolvedConfig Resolve() { return Resolve(ClientOptions{}); }

  Status ResolveError(const ClientOptions& options = {}) {
    Result<ResolvedConfig> config = ResolveConfig(options, env_);
    if (config.has_value()) {
      ADD_FAILURE() << "resolved to endpoint " << config->options.endpoint;
      return Status();
    }
    return config.error();
  }

  void WithEnvKeys() {
    env_.SetVar("AWS_ACCESS_KEY_ID", "ENVKEY").SetVar("AWS_SECRET_ACCESS_KEY", "envsecret");
  }

  FakeEnvironment env_;
};

bool Contains(const Status& status, std::string_view text) {
  return status.message().find(text) != std::string::npos;
}

TEST_F(ConfigResolverTest, DefaultsWithOnlyEnvironmentKeys) {
  WithEnvKeys();
  ClientOptions options;
  options.max_attempts = 0;
  ResolvedConfig config = Resolve(options);
  EXPECT_EQ(config.options.region, "us-east-1");
  EXPECT_EQ(config.region_source, "default");
  EXPECT_EQ(config.options.endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(config.endpoint.host, "s3.us-east-1.amazonaws.com");
  EXPECT_EQ(config.endpoint_source, "Amazon S3 in us-east-1");
  EXPECT_EQ(config.options.addressing, Addressing::kAuto);
  ASSERT_TRUE(config.options.credentials.has_value());
  EXPECT_EQ(config.options.credentials->access_key_id, "ENVKEY");
  EXPECT_EQ(config.options.credentials->secret_access_key, "envsecret");
  EXPECT_EQ(config.options.credentials->session_token, "");
  EXPECT_EQ(config.credentials_source, "environment (AWS_ACCESS_KEY_ID)");
  EXPECT_EQ(config.options.profile, "default");
  EXPECT_EQ(config.options.max_attempts, 10);
  EXPECT_EQ(config.options.ca_bundle, "");
  EXPECT_EQ(config.options.max_connections, 25u);  // 10 Gbps / 0.4
  // Fields resolution does not touch pass through.
  EXPECT_EQ(config.options.part_size, ClientOptions{}.part_size);
  EXPECT_TRUE(config.options.verify_tls);
}

TEST_F(ConfigResolverTest, ProxyInTheEnvironmentIsNoticed) {
  WithEnvKeys();
  EXPECT_FALSE(Resolve().proxy_in_environment);
  env_.SetVar("http_proxy", "");  // empty counts as unset
  EXPECT_FALSE(Resolve().proxy_in_environment);
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    FakeEnvironment env;
    env.SetVar("AWS_ACCESS_KEY_ID", "K").SetVar("AWS_SECRET_ACCESS_KEY", "S");
    env.SetVar(name, "http://proxy.example:3128");
    Result<ResolvedConfig> config = ResolveConfig(ClientOptions{}, env);
    ASSERT_TRUE(config.has_value()) << config.error().ToString();
    EXPECT_TRUE(config->proxy_in_environment) << name;
  }
}

TEST_F(ConfigResolverTest, ProfileFromOptionsThenAwsProfileThenDefault) {
  WithEnvKeys();
  env_.SetFile(kConfigPath,
               "[default]\nregion = us-east-2\n[profile fromenv]\nregion = eu-west-1\n"
               "[profile fromoptions]\nregion = ap-south-1\n");
  EXPECT_EQ(Resolve().options.region, "us-east-2");
  EXPECT_EQ(Resolve().region_source, "/home/test/.aws/config [default]");
  env_.SetVar("AWS_PROFILE", "fromenv");
  EXPECT_EQ(Resolve().options.region, "eu-west-1");
  EXPECT_EQ(Resolve().options.profile, "fromenv");
  ClientOptions options;
  options.profile = "fromoptions";
  EXPECT_EQ(Resolve(options).options.region, "ap-south-1");
  EXPECT_EQ(Resolve(options).options.profile, "fromoptions");
  env_.SetVar("AWS_PROFILE", "");  // empty is unset
  EXPECT_EQ(Resolve().options.region, "us-east-2");
}

TEST_F(ConfigResolverTest, NamedProfileMustExist) {
  WithEnvKeys();
  env_.SetFile(kConfigPath, "[default]\nregion = us-east-2\n[staging]\nregion = x\n");
  env_.SetVar("AWS_PROFILE", "dev");
  Status status = ResolveError();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "profile 'dev' (from AWS_PROFILE) is not defined in the credentials file "
            "/home/test/.aws/credentials (does not exist) nor in the config file "
            "/home/test/.aws/config");

  ClientOptions options;
  options.profile = "staging";
  status = ResolveError(options);
  EXPECT_TRUE(Contains(status, "profile 'staging' (from ClientOptions::profile)"));
  EXPECT_TRUE(Contains(status, "write [profile staging]"));

  // "default" named explicitly must exist too (botocore's ProfileNotFound); implied, it need not.
  env_.SetFile(kConfigPath, "[profile other]\n");
  env_.SetVar("AWS_PROFILE", "default");
  EXPECT_TRUE(Contains(ResolveError(), "profile 'default' (from AWS_PROFILE)"));
  env_.UnsetVar("AWS_PROFILE");
  EXPECT_EQ(Resolve().options.region, "us-east-1");
}

TEST_F(ConfigResolverTest, FilesMoveWithVariables) {
  env_.SetFile(kCredentialsPath,
               "[default]\naws_access_key_id = HOME\naws_secret_access_key = h\n");
  env_.SetFile(kConfigPath, "[default]\nregion = home-region\n");
  env_.SetFile("/etc/aws/creds",
               "[default]\naws_access_key_id = MOVED\naws_secret_access_key = m\n");
  env_.SetFile("/home/test/cfg/aws", "[default]\nregion = moved-region\n");
  EXPECT_EQ(Resolve().options.credentials->access_key_id, "HOME");
  EXPECT_EQ(Resolve().options.region, "home-region");
  env_.SetVar("AWS_SHARED_CREDENTIALS_FILE", "/etc/aws/creds");
  env_.SetVar("AWS_CONFIG_FILE", "~/cfg/aws");  // '~' is the home directory
  ResolvedConfig config = Resolve();
  EXPECT_EQ(config.options.credentials->access_key_id, "MOVED");
  EXPECT_EQ(config.credentials_source, "/etc/aws/creds [default]");
  EXPECT_EQ(config.options.region, "moved-region");
  EXPECT_EQ(config.region_source, "/home/test/cfg/aws [default]");
}

TEST_F(ConfigResolverTest, RegionPrecedence) {
  WithEnvKeys();
  env_.SetFile(kConfigPath, "[default]\nregion = profile-region\n");
  EXPECT_EQ(Resolve().options.region, "profile-region");
  env_.SetVar("AWS_DEFAULT_REGION", "default-region");
  EXPECT_EQ(Resolve().options.region, "default-region");
  EXPECT_EQ(Resolve().region_source, "AWS_DEFAULT_REGION");
  env_.SetVar("AWS_REGION", "region");
  EXPECT_EQ(Resolve().options.region, "region");
  EXPECT_EQ(Resolve().region_source, "AWS_REGION");
  EXPECT_EQ(Resolve().options.endpoint, "https://s3.region.amazonaws.com");
  ClientOptions options;
  options.region = "options-region";
  EXPECT_EQ(Resolve(options).options.region, "options-region");
  EXPECT_EQ(Resolve(options).region_source, "options");
}

TEST_F(ConfigResolverTest, EndpointPrecedence) {
  WithEnvKeys();
  env_.SetFile(kConfigPath,
               "[default]\nregion = us-west-2\nendpoint_url = http://profile-global:1\n"
               "services = mine\n"
               "[services mine]\ns3 =\n  endpoint_url = http://profile-s3:2\n");
  EXPECT_EQ(Resolve().options.endpoint, "http://profile-s3:2");
  EXPECT_EQ(Resolve().endpoint_source, "/home/test/.aws/config [services mine] s3.endpoint_url");
  env_.SetVar("AWS_ENDPOINT_URL", "http://env-global:3");
  EXPECT_EQ(Resolve().options.endpoint, "http://env-global:3");
  env_.SetVar("AWS_ENDPOINT_URL_S3", "http://[::1]:4/");
  ResolvedConfig config = Resolve();
  EXPECT_EQ(config.options.endpoint, "http://[::1]:4");
  EXPECT_EQ(config.endpoint.host, "::1");
  EXPECT_EQ(config.endpoint.port, 4);
  EXPECT_EQ(config.endpoint_source, "AWS_ENDPOINT_URL_S3");
  ClientOptions options;
  options.endpoint = "http://127.0.0.1:9000";
  EXPECT_EQ(Resolve(options).options.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(Resolve(options).endpoint_source, "options");

  // Ignoring configured URLs leaves explicit ones and falls back to Amazon S3 of the region.
  env_.SetVar("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  EXPECT_EQ(Resolve().options.endpoint, "https://s3.us-west-2.amazonaws.com");
  EXPECT_EQ(Resolve(options).options.endpoint, "http://127.0.0.1:9000");
}

TEST_F(ConfigResolverTest, ProfileEndpointUrlAndIgnoreSetting) {
  WithEnvKeys();
  env_.SetFile(kConfigPath,
               "[default]\nendpoint_url = http://minio.local:9000\n"
               "[profile aws]\nendpoint_url = http://minio.local:9000\n"
               "ignore_configured_endpoint_urls = true\nregion = eu-central-1\n");
  EXPECT_EQ(Resolve().options.endpoint, "http://minio.local:9000");
  EXPECT_EQ(Resolve().endpoint_source, "/home/test/.aws/config [default] endpoint_url");
  env_.SetVar("AWS_PROFILE", "aws");
  EXPECT_EQ(Resolve().options.endpoint, "https://s3.eu-central-1.amazonaws.com");
}

TEST_F(ConfigResolverTest, BadEndpointsAndRegionsNameTheirSource) {
  WithEnvKeys();
  env_.SetVar("AWS_ENDPOINT_URL", "localhost:9000");
  Status status = ResolveError();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status, "endpoint from AWS_ENDPOINT_URL: endpoint URL 'localhost:9000'"));
  EXPECT_TRUE(Contains(status, "write http://localhost:9000"));
  env_.UnsetVar("AWS_ENDPOINT_URL");
  env_.SetVar("AWS_REGION", "US West");
  status = ResolveError();
  EXPECT_TRUE(Contains(status, "region from AWS_REGION: region 'US West'"));
  env_.SetVar("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "maybe");
  EXPECT_TRUE(Contains(ResolveError(), "'maybe' from AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"));
}

TEST_F(ConfigResolverTest, AddressingPrecedence) {
  WithEnvKeys();
  env_.SetFile(kConfigPath, "[default]\ns3 =\n  addressing_style = path\n");
  EXPECT_EQ(Resolve().options.addressing, Addressing::kPath);
  ClientOptions options;
  options.addressing = Addressing::kVirtualHosted;
  EXPECT_EQ(Resolve(options).options.addressing, Addressing::kVirtualHosted);
  env_.SetFile(kConfigPath, "[default]\ns3 =\n  addressing_style = sideways\n");
  EXPECT_TRUE(Contains(ResolveError(), "s3.addressing_style 'sideways'"));
  EXPECT_EQ(Resolve(options).options.addressing, Addressing::kVirtualHosted);
}

TEST_F(ConfigResolverTest, CredentialsPrecedence) {
  env_.SetFile(kCredentialsPath,
               "[default]\naws_access_key_id = CREDFILE\naws_secret_access_key = c\n");
  env_.SetFile(kConfigPath,
               "[default]\naws_access_key_id = CFGFILE\naws_secret_access_key = f\n"
               "[profile cfgonly]\naws_access_key_id = CFGONLY\naws_secret_access_key = o\n"
               "aws_session_token = cfgtoken\n");
  EXPECT_EQ(Resolve().options.credentials->access_key_id, "CREDFILE");
  EXPECT_EQ(Resolve().credentials_source, "/home/test/.aws/credentials [default]");

  ClientOptions cfgonly;
  cfgonly.profile = "cfgonly";
  ResolvedConfig config = Resolve(cfgonly);
  EXPECT_EQ(config.options.credentials->access_key_id, "CFGONLY");
  EXPECT_EQ(config.options.credentials->session_token, "cfgtoken");
  EXPECT_EQ(config.credentials_source, "/home/test/.aws/config [profile cfgonly]");

  // A stray session token alone does not count as environment credentials.
  env_.SetVar("AWS_SESSION_TOKEN", "envtoken");
  EXPECT_EQ(Resolve().options.credentials->access_key_id, "CREDFILE");
  EXPECT_EQ(Resolve().options.credentials->session_token, "");

  WithEnvKeys();
  config = Resolve();
  EXPECT_EQ(config.options.credentials->access_key_id, "ENVKEY");
  EXPECT_EQ(config.options.credentials->session_token, "envtoken");

  ClientOptions explicit_keys;
  explicit_keys.credentials = Credentials{"EXPLICIT", "x", ""};
  config = Resolve(explicit_keys);
  EXPECT_EQ(config.options.credentials->access_key_id, "EXPLICIT");
  EXPECT_EQ(config.options.credentials->session_token, "");
  EXPECT_EQ(config.credentials_source, "options");

  ClientOptions anonymous;
  anonymous.anonymous = true;
  config = Resolve(anonymous);
  EXPECT_FALSE(config.options.credentials.has_value());
  EXPECT_EQ(config.credentials_source, "anonymous");
}

TEST_F(ConfigResolverTest, AnonymousNeedsNoCredentials) {
  ClientOptions anonymous;
  anonymous.anonymous = true;
  EXPECT_FALSE(Resolve(anonymous).options.credentials.has_value());
  anonymous.credentials = Credentials{"A", "B", ""};
  Status status = ResolveError(anonymous);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status, "both anonymous and credentials"));
}

TEST_F(ConfigResolverTest, HalfSetCredentialsAreErrors) {
  env_.SetFile(kCredentialsPath, "[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
  env_.SetVar("AWS_ACCESS_KEY_ID", "ONLYKEY");
  Status status = ResolveError();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both or neither");
  env_.UnsetVar("AWS_ACCESS_KEY_ID").SetVar("AWS_SECRET_ACCESS_KEY", "onlysecret");
  EXPECT_TRUE(Contains(ResolveError(), "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID"));
  env_.SetVar("AWS_SECRET_ACCESS_KEY", "");  // empty is unset: falls through to the file
  EXPECT_EQ(Resolve().options.credentials->access_key_id, "A");

  env_.SetFile(kCredentialsPath, "[default]\naws_access_key_id = A\n");
  status = ResolveError();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status,
                       "/home/test/.aws/credentials [default] has aws_access_key_id but "
                       "no aws_secret_access_key"));

  ClientOptions options;
  options.credentials = Credentials{"A", "", ""};
  EXPECT_TRUE(Contains(ResolveError(options), "empty access_key_id or secret_access_key"));
}

TEST_F(ConfigResolverTest, NoCredentialsNamesEveryPlace) {
  Status status = ResolveError();
  EXPECT_EQ(status.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(),
            "no AWS credentials found for profile 'default'; looked at ClientOptions::credentials "
            "(unset), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (unset), the credentials file "
            "/home/test/.aws/credentials (does not exist), the config file "
            "/home/test/.aws/config (does not exist). Set ClientOptions::anonymous for public "
            "buckets");

  env_.SetFile(kCredentialsPath, "[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
  env_.SetFile(kConfigPath, "[default]\nregion = us-west-2\nrole_arn = arn:aws:iam::1:role/r\n");
  status = ResolveError();
  EXPECT_EQ(status.code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Contains(status,
                       "the credentials file /home/test/.aws/credentials (no profile "
                       "'default'), the config file /home/test/.aws/config (profile "
                       "'default' has no aws_access_key_id)"));
  EXPECT_TRUE(Contains(status, "The profile uses role_arn, which trainload does not support"));

  env_.SetHomeDir("");
  status = ResolveError();
  EXPECT_TRUE(Contains(status, "~/.aws/credentials (no home directory known)"));
  EXPECT_TRUE(Contains(status, "~/.aws/config (no home directory known)"));
}

TEST_F(ConfigResolverTest, MaxAttemptsPrecedence) {
  WithEnvKeys();
  ClientOptions from_env;
  from_env.max_attempts = 0;
  EXPECT_EQ(Resolve(from_env).options.max_attempts, 10);
  env_.SetFile(kConfigPath, "[default]\nmax_attempts = 5\n");
  EXPECT_EQ(Resolve(from_env).options.max_attempts, 5);
  env_.SetVar("AWS_MAX_ATTEMPTS", "7");
  EXPECT_EQ(Resolve(from_env).options.max_attempts, 7);
  ClientOptions given;
  given.max_attempts = 3;
  EXPECT_EQ(Resolve(given).options.max_attempts, 3);

  env_.SetVar("AWS_MAX_ATTEMPTS", "lots");
  EXPECT_TRUE(Contains(ResolveError(from_env), "AWS_MAX_ATTEMPTS 'lots' from AWS_MAX_ATTEMPTS"));
  env_.UnsetVar("AWS_MAX_ATTEMPTS");
  env_.SetFile(kConfigPath, "[default]\nmax_attempts = 0\n");
  EXPECT_TRUE(
      Contains(ResolveError(from_env), "max_attempts '0' from /home/test/.aws/config [default]"));
  ClientOptions negative;
  negative.max_attempts = -1;
  EXPECT_EQ(ResolveError(negative).code(), StatusCode::kInvalidArgument);
}

TEST_F(ConfigResolverTest, CaBundlePrecedence) {
  WithEnvKeys();
  EXPECT_EQ(Resolve().options.ca_bundle, "");
  env_.SetFile(kConfigPath, "[default]\nca_bundle = /profile/ca.pem\n");
  EXPECT_EQ(Resolve().options.ca_bundle, "/profile/ca.pem");
  env_.SetVar("AWS_CA_BUNDLE", "/env/ca.pem");
  EXPECT_EQ(Resolve().options.ca_bundle, "/env/ca.pem");
  ClientOptions options;
  options.ca_bundle = "/options/ca.pem";
  EXPECT_EQ(Resolve(options).options.ca_bundle, "/options/ca.pem");
}

TEST_F(ConfigResolverTest, ConnectionsFromThroughputTarget) {
  WithEnvKeys();
  auto connections = [this](double gbps, size_t max_connections = 0) {
    ClientOptions options;
    options.throughput_target_gbps = gbps;
    options.max_connections = max_connections;
    return Resolve(options).options.max_connections;
  };
  EXPECT_EQ(connections(10), 25u);
  EXPECT_EQ(connections(100), 250u);
  EXPECT_EQ(connections(1.2), 8u);     // clamped up
  EXPECT_EQ(connections(3.3), 9u);     // 8.25 rounds up
  EXPECT_EQ(connections(1000), 512u);  // clamped down
  EXPECT_EQ(connections(0.1, 100), 100u);
  EXPECT_EQ(connections(0, 3), 3u);  // explicit wins, even below the clamp
  ClientOptions zero;
  zero.throughput_target_gbps = 0;
  EXPECT_TRUE(Contains(ResolveError(zero), "throughput_target_gbps"));
  zero.throughput_target_gbps = std::nan("");
  EXPECT_EQ(ResolveError(zero).code(), StatusCode::kInvalidArgument);
}

TEST_F(ConfigResolverTest, FileErrorsPropagate) {
  WithEnvKeys();
  env_.SetFile(kConfigPath, "[default]\nregion = us-west-2\nthis line is broken\n");
  Status status = ResolveError();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "/home/test/.aws/config:3: expected 'key = value'");

  env_.SetFile(kConfigPath, "");
  env_.SetFileError(kCredentialsPath,
                    PermissionDenied("open /home/test/.aws/credentials: Permission denied"));
  status = ResolveError();
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(status, "/home/test/.aws/credentials"));
}

// The same rules through real files: an environment whose variables are a fixed map but whose
// files and home directory are the real file system (what SystemEnvironment does).
class RealFilesEnvironment : public Environment {
 public:
  RealFilesEnvironment(std::string home, std::map<std::string, std::string, std::less<>> vars)
      : home_(std::move(home)), vars_(std::move(vars)) {}
  std::optional<std::string> Get(std::string_view name) const override {
    auto it = vars_.find(name);
    if (it == vars_.end()) return std::nullopt;
    return it->second;
  }
  Result<std::string> ReadFile(const std::string& path) const override {
    return system_.ReadFile(path);
  }
  std::string HomeDir() const override { return home_; }

 private:
  SystemEnvironment system_;
  std::string home_;
  std::map<std::string, std::string, std::less<>> vars_;
};

TEST(ConfigResolverEndToEndTest, RealFilesInHomeDirectory) {
  std::string pattern = (std::filesystem::temp_directory_path() / "resolver.XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  std::filesystem::path home = pattern;
  std::filesystem::create_directories(home / ".aws");
  std::ofstream(home / ".aws" / "credentials")
      << "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = d\n"
      << "[train]\naws_access_key_id = TRAINKEY\naws_secret_access_key = trainsecret\n"
      << "aws_session_token = traintoken\n";
  std::ofstream(home / ".aws" / "config") << "[default]\nregion = us-east-2\n"
                                          << "[profile train]\n"
                                          << "region = eu-west-1\n"
                                          << "services = local-s3\n"
                                          << "max_attempts = 4\n"
                                          << "s3 =\n"
                                          << "    addressing_style = virtual\n"
                                          << "\n"
                                          << "[services local-s3]\n"
                                          << "s3 =\n"
                                          << "  endpoint_url = https://storage.example.com:8443/\n";

  RealFilesEnvironment env(home.string(), {{"AWS_PROFILE", "train"}});
  ClientOptions options;
  options.max_attempts = 0;
  options.throughput_target_gbps = 50;
  Result<ResolvedConfig> config = ResolveConfig(options, env);
  std::filesystem::remove_all(home);
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->options.profile, "train");
  EXPECT_EQ(config->options.region, "eu-west-1");
  EXPECT_EQ(config->options.endpoint, "https://storage.example.com:8443");
  EXPECT_EQ(config->endpoint.port, 8443);
  EXPECT_EQ(config->endpoint_source,
            home.string() + "/.aws/config [services local-s3] s3.endpoint_url");
  EXPECT_EQ(config->options.addressing, Addressing::kVirtualHosted);
  ASSERT_TRUE(config->options.credentials.has_value());
  EXPECT_EQ(config->options.credentials->access_key_id, "TRAINKEY");
  EXPECT_EQ(config->options.credentials->secret_access_key, "trainsecret");
  EXPECT_EQ(config->options.credentials->session_token, "traintoken");
  EXPECT_EQ(config->credentials_source, home.string() + "/.aws/credentials [train]");
  EXPECT_EQ(config->options.max_attempts, 4);
  EXPECT_EQ(config->options.max_connections, 125u);
}

}  // namespace
}  // namespace trainload::client
