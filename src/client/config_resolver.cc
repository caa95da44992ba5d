#include "client/config_resolver.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "s3/aws_config.h"

namespace trainload::client {
namespace {

using s3::AwsSetting;

std::optional<std::string> NonEmptyVar(const Environment& env, std::string_view name) {
  std::optional<std::string> value = env.Get(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::optional<AwsSetting> VarSetting(const Environment& env, std::string_view name) {
  std::optional<std::string> value = NonEmptyVar(env, name);
  if (!value) return std::nullopt;
  return AwsSetting{std::move(*value), std::string(name)};
}

// One of the two shared files: where it is and, once read, what it holds.
struct SharedFile {
  std::string path;         // "" when there is no path (no variable and no home directory)
  std::string why_no_path;  // for messages when `path` is empty
  bool exists = false;
};

SharedFile LocateFile(const Environment& env, std::string_view variable,
                      std::string_view default_name) {
  SharedFile file;
  std::string home = env.HomeDir();
  if (std::optional<std::string> path = NonEmptyVar(env, variable)) {
    // botocore expands '~' in these two variables (os.path.expanduser).
    if (!home.empty() && (*path == "~" || path->starts_with("~/"))) {
      path->replace(0, 1, home == "/" ? "" : home);
    }
    file.path = std::move(*path);
    return file;
  }
  if (home.empty()) {
    file.why_no_path = "~/.aws/" + std::string(default_name) + " (no home directory known)";
    return file;
  }
  file.path = (home == "/" ? "" : home) + "/.aws/" + std::string(default_name);
  return file;
}

Result<std::optional<s3::AwsConfigFile>> LoadFile(const Environment& env, SharedFile& file) {
  if (file.path.empty()) return std::nullopt;
  Result<std::string> text = env.ReadFile(file.path);
  if (!text) {
    if (text.error().code() == StatusCode::kNotFound) return std::nullopt;
    return Error(text.error());
  }
  file.exists = true;
  TL_ASSIGN_OR_RETURN(s3::AwsConfigFile parsed, s3::ParseAwsConfigFile(*text, file.path));
  return parsed;
}

std::string Describe(const SharedFile& file) {
  if (file.path.empty()) return file.why_no_path;
  return file.path + (file.exists ? "" : " (does not exist)");
}

// Why `file` gave no credentials for `profile_name`, for the kUnauthenticated message.
std::string NoCredentialsIn(const SharedFile& file,
                            const std::optional<s3::AwsConfigSection>& section,
                            std::string_view profile_name) {
  if (file.path.empty() || !file.exists) return Describe(file);
  if (!section) return file.path + " (no profile '" + std::string(profile_name) + "')";
  return file.path + " (profile '" + std::string(profile_name) + "' has no aws_access_key_id)";
}

Result<std::optional<Credentials>> EnvironmentCredentials(const Environment& env) {
  std::optional<std::string> key_id = NonEmptyVar(env, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = NonEmptyVar(env, "AWS_SECRET_ACCESS_KEY");
  if (!key_id && !secret) return std::nullopt;
  if (!key_id || !secret) {
    return Error(InvalidArgument(
        key_id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both or neither"
               : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both or neither"));
  }
  Credentials credentials;
  credentials.access_key_id = std::move(*key_id);
  credentials.secret_access_key = std::move(*secret);
  credentials.session_token = NonEmptyVar(env, "AWS_SESSION_TOKEN").value_or("");
  return credentials;
}

}  // namespace

Result<ResolvedConfig> ResolveConfig(const ClientOptions& options, const Environment& env) {
  ResolvedConfig out;
  out.options = options;
  ClientOptions& resolved = out.options;

  // The profile, and whether someone asked for it by name (then it must exist, as in botocore).
  std::string profile_name = "default";
  std::string profile_origin;
  if (!options.profile.empty()) {
    profile_name = options.profile;
    profile_origin = "ClientOptions::profile";
  } else if (std::optional<std::string> name = NonEmptyVar(env, "AWS_PROFILE")) {
    profile_name = std::move(*name);
    profile_origin = "AWS_PROFILE";
  }
  resolved.profile = profile_name;
  for (const char* proxy : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    out.proxy_in_environment = out.proxy_in_environment || NonEmptyVar(env, proxy).has_value();
  }

  SharedFile credentials_file = LocateFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  SharedFile config_file = LocateFile(env, "AWS_CONFIG_FILE", "config");
  s3::AwsSharedFiles files;
  TL_ASSIGN_OR_RETURN(files.credentials, LoadFile(env, credentials_file));
  TL_ASSIGN_OR_RETURN(files.config, LoadFile(env, config_file));
  std::optional<s3::AwsProfile> profile = s3::FindProfile(files, profile_name);
  if (!profile && !profile_origin.empty()) {
    std::string message = "profile '" + profile_name + "' (from " + profile_origin +
                          ") is not defined in the credentials file " + Describe(credentials_file) +
                          " nor in the config file " + Describe(config_file);
    if (std::string hint = s3::ProfileNotFoundHint(files, profile_name); !hint.empty()) {
      message += "; " + hint;
    }
    return Error(InvalidArgument(std::move(message)));
  }
  const s3::AwsProfile* in_use = profile ? &*profile : nullptr;
  auto profile_value = [in_use](std::string_view key) -> std::optional<AwsSetting> {
    if (in_use == nullptr) return std::nullopt;
    return s3::ProfileValue(*in_use, key);
  };

  // Region.
  if (!options.region.empty()) {
    out.region_source = "options";
  } else if (auto region = VarSetting(env, "AWS_REGION")) {
    resolved.region = region->value;
    out.region_source = region->source;
  } else if (auto region = VarSetting(env, "AWS_DEFAULT_REGION")) {
    resolved.region = region->value;
    out.region_source = region->source;
  } else if (auto region = profile_value("region")) {
    resolved.region = region->value;
    out.region_source = region->source;
  } else {
    resolved.region = std::string(kDefaultRegion);
    out.region_source = "default";
  }

  // Endpoint.
  std::optional<AwsSetting> endpoint_url;
  if (!options.endpoint.empty()) {
    endpoint_url = AwsSetting{options.endpoint, "options"};
  } else {
    TL_ASSIGN_OR_RETURN(
        endpoint_url, s3::ConfiguredS3EndpointUrl(
                          files, in_use, [&env](std::string_view name) { return env.Get(name); }));
  }
  if (endpoint_url) {
    Result<s3::Endpoint> parsed = s3::ParseEndpoint(endpoint_url->value);
    if (!parsed) return Error(parsed.error().WithContext("endpoint from " + endpoint_url->source));
    out.endpoint = std::move(*parsed);
    out.endpoint_source = endpoint_url->source;
  } else {
    Result<s3::Endpoint> aws = s3::DefaultAwsEndpoint(resolved.region);
    if (!aws) return Error(aws.error().WithContext("region from " + out.region_source));
    out.endpoint = std::move(*aws);
    out.endpoint_source = "Amazon S3 in " + resolved.region;
  }
  resolved.endpoint = out.endpoint.ToString();

  // Addressing.
  if (options.addressing == Addressing::kAuto && in_use != nullptr) {
    TL_ASSIGN_OR_RETURN(std::optional<Addressing> style, s3::ProfileS3Addressing(*in_use));
    if (style) resolved.addressing = *style;
  }

  // Credentials.
  if (options.anonymous) {
    if (options.credentials) {
      return Error(
          InvalidArgument("ClientOptions sets both anonymous and credentials; choose one"));
    }
    resolved.credentials.reset();
    out.credentials_source = "anonymous";
  } else if (options.credentials) {
    if (options.credentials->access_key_id.empty() ||
        options.credentials->secret_access_key.empty()) {
      return Error(InvalidArgument(
          "ClientOptions::credentials has an empty access_key_id or secret_access_key"));
    }
    out.credentials_source = "options";
  } else {
    TL_ASSIGN_OR_RETURN(std::optional<Credentials> from_env, EnvironmentCredentials(env));
    if (from_env) {
      resolved.credentials = std::move(from_env);
      out.credentials_source = "environment (AWS_ACCESS_KEY_ID)";
    } else if (in_use != nullptr) {
      TL_ASSIGN_OR_RETURN(std::optional<s3::ProfileKeys> from_profile,
                          s3::ProfileCredentials(*in_use));
      if (from_profile) {
        s3::Credentials& keys = from_profile->credentials;
        resolved.credentials =
            Credentials{std::move(keys.access_key_id), std::move(keys.secret_access_key),
                        std::move(keys.session_token)};
        out.credentials_source = std::move(from_profile->source);
      }
    }
    if (!resolved.credentials) {
      std::string message =
          "no AWS credentials found for profile '" + profile_name +
          "'; looked at ClientOptions::credentials (unset), AWS_ACCESS_KEY_ID and "
          "AWS_SECRET_ACCESS_KEY (unset), the credentials file " +
          NoCredentialsIn(credentials_file, in_use ? in_use->credentials_section : std::nullopt,
                          profile_name) +
          ", the config file " +
          NoCredentialsIn(config_file, in_use ? in_use->config_section : std::nullopt,
                          profile_name);
      if (in_use != nullptr) {
        if (std::string unsupported = s3::UnsupportedCredentialSettings(*in_use);
            !unsupported.empty()) {
          message += ". The profile uses " + unsupported +
                     ", which trainload does not support: export static keys instead (aws "
                     "configure export-credentials --format env)";
        }
      }
      message += ". Set ClientOptions::anonymous for public buckets";
      return Error(Status(StatusCode::kUnauthenticated, std::move(message)));
    }
  }

  // Retries.
  if (options.max_attempts < 0) {
    return Error(InvalidArgument("ClientOptions::max_attempts is " +
                                 std::to_string(options.max_attempts) + "; it must be >= 0"));
  }
  if (options.max_attempts == 0) {
    resolved.max_attempts = kDefaultMaxAttempts;
    if (auto value = VarSetting(env, "AWS_MAX_ATTEMPTS")) {
      TL_ASSIGN_OR_RETURN(resolved.max_attempts, s3::ParseMaxAttempts(*value, "AWS_MAX_ATTEMPTS"));
    } else if (auto value = profile_value("max_attempts")) {
      TL_ASSIGN_OR_RETURN(resolved.max_attempts, s3::ParseMaxAttempts(*value, "max_attempts"));
    }
  }

  // TLS trust.
  if (options.ca_bundle.empty()) {
    if (auto value = VarSetting(env, "AWS_CA_BUNDLE")) {
      resolved.ca_bundle = value->value;
    } else if (auto value = profile_value("ca_bundle")) {
      resolved.ca_bundle = value->value;
    }
  }

  // Connection budget.
  if (options.max_connections == 0) {
    double gbps = options.throughput_target_gbps;
    if (!std::isfinite(gbps) || gbps <= 0) {
      return Error(InvalidArgument("ClientOptions::throughput_target_gbps is " +
                                   std::to_string(gbps) +
                                   "; it must be > 0 when max_connections is 0"));
    }
    // Multiplying by 2.5 (exact in binary) rather than dividing by 0.4 (inexact) keeps whole
    // results whole: 10 Gbps is 25 connections, not 26.
    double wanted = std::ceil(gbps * kConnectionsPerGbps);
    resolved.max_connections = static_cast<size_t>(std::clamp(
        wanted, static_cast<double>(kMinConnections), static_cast<double>(kMaxConnections)));
  }
  return out;
}

}  // namespace trainload::client
