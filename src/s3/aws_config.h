// The rules of the AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials)
// as botocore and the AWS SDKs apply them, for the settings trainload's client uses: static
// credentials, region, endpoint_url (also per service through a [services NAME] section),
// ignore_configured_endpoint_urls, ca_bundle, max_attempts and the nested s3 settings
// (addressing_style).
//
// The file grammar is that of aws_ini.h ("[section]", "key = value", '#'/';' comment lines, keys
// lowercased, later duplicates override) plus one level of nesting, written as the AWS CLI
// writes it: a key with nothing after '=' followed by lines indented deeper than that key:
//
//   [profile dev]
//   region = eu-west-1
//   s3 =
//     addressing_style = path
//
// Profiles: in the config file "[default]" and "[profile NAME]" ("[profile default]" wins over
// "[default]"); other sections ("[services NAME]", "[sso-session NAME]", a bare "[NAME]") are not
// profiles. In the credentials file every section is a profile named as written. A profile's
// settings are the union of both files, the credentials file winning key by key; static
// credentials are taken whole from one file (credentials file first), never mixed.
//
// Pure functions over values: no file or environment access (the environment comes in as a
// lookup function). Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "s3/sigv4.h"
#include "trainload/client_options.h"
#include "trainload/status.h"

namespace trainload::s3 {

// One section of a file: flat keys and nested blocks, keys lowercased.
struct AwsConfigSection {
  std::map<std::string, std::string> values;
  // "s3" -> {"addressing_style" -> "path"} for "s3 =" followed by indented "key = value" lines.
  std::map<std::string, std::map<std::string, std::string>> nested;
};

// A parsed config or credentials file. `source` (the path) is kept for messages.
struct AwsConfigFile {
  std::string source;
  std::map<std::string, AwsConfigSection> sections;  // section name as written, trimmed
};

// Parses `text`. kInvalidArgument naming "source:line" for a line that is neither a section
// header, "key = value", a comment nor blank; for "key = value" before any section; for an empty
// key; and for an indented line under a key that already has a value (nesting needs "key =").
Result<AwsConfigFile> ParseAwsConfigFile(std::string_view text, std::string_view source);

// The two shared files; nullopt for a file that does not exist.
struct AwsSharedFiles {
  std::optional<AwsConfigFile> config;
  std::optional<AwsConfigFile> credentials;
};

// A value and where it came from, e.g. "/home/u/.aws/config [profile dev]" or
// "AWS_ENDPOINT_URL_S3"; the source goes into messages.
struct AwsSetting {
  std::string value;
  std::string source;
};

// One profile as seen through both files.
struct AwsProfile {
  std::string name;
  // Keys of both files, the credentials file winning key by key (a nested block counts as one
  // key and is replaced whole, as botocore does).
  std::map<std::string, AwsSetting> values;
  std::map<std::string, std::map<std::string, AwsSetting>> nested;
  // The profile's section in each file, when that file defines it, with its "path [section]".
  std::optional<AwsConfigSection> credentials_section;
  std::string credentials_section_source;
  std::optional<AwsConfigSection> config_section;
  std::string config_section_source;
};

// The profile `name` from either file; nullopt when neither defines it.
std::optional<AwsProfile> FindProfile(const AwsSharedFiles& files, std::string_view name);

// For a profile FindProfile did not find: a hint about a near miss ("the config file has [dev],
// which is not a profile there: write [profile dev]"), or "" when there is none.
std::string ProfileNotFoundHint(const AwsSharedFiles& files, std::string_view name);

// A non-empty flat value of the profile; nullopt when absent or empty.
std::optional<AwsSetting> ProfileValue(const AwsProfile& profile, std::string_view key);

// Static credentials and the "path [section]" they were read from.
struct ProfileKeys {
  Credentials credentials;
  std::string source;
};

// The profile's static credentials (aws_access_key_id, aws_secret_access_key and optionally
// aws_session_token), from the credentials file's section when it has a key id or secret, else
// from the config file's. nullopt when neither has them. kInvalidArgument when the section used
// has only one of the two keys (the message names the profile, the file and the missing key).
Result<std::optional<ProfileKeys>> ProfileCredentials(const AwsProfile& profile);

// Names of credential settings trainload does not implement that the profile uses
// (role_arn, credential_process, sso_session, sso_start_url, web_identity_token_file,
// credential_source), comma-separated; "" when none. For "no credentials" messages.
std::string UnsupportedCredentialSettings(const AwsProfile& profile);

// "auto" -> kAuto, "path" -> kPath, "virtual" -> kVirtualHosted from the nested s3 block's
// addressing_style (case-insensitive). nullopt when unset; kInvalidArgument for another value.
Result<std::optional<Addressing>> ProfileS3Addressing(const AwsProfile& profile);

// A positive decimal integer (at most 1000) from `setting`; kInvalidArgument naming the setting
// and its source otherwise. `what` names the setting ("max_attempts", "AWS_MAX_ATTEMPTS").
Result<int> ParseMaxAttempts(const AwsSetting& setting, std::string_view what);

// "true"/"false" (case-insensitive); kInvalidArgument naming `what` and the source otherwise.
Result<bool> ParseAwsBool(const AwsSetting& setting, std::string_view what);

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The configured (not explicit) S3 endpoint URL, first of: AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL, the s3 endpoint_url of the profile's [services NAME] section, the profile's
// endpoint_url. None of them when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (else the profile's
// ignore_configured_endpoint_urls) is true. Empty variables count as unset. `profile` may be
// null (no profile in use). nullopt when nothing is configured; kInvalidArgument for a malformed
// boolean or a profile naming a services section the config file lacks. The URL is not parsed.
Result<std::optional<AwsSetting>> ConfiguredS3EndpointUrl(const AwsSharedFiles& files,
                                                          const AwsProfile* profile,
                                                          const EnvLookup& env);

}  // namespace trainload::s3
