#include "s3/aws_config.h"

#include <array>
#include <cctype>
#include <charconv>

namespace trainload::s3 {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status LineError(std::string_view source, size_t line, std::string_view what) {
  return InvalidArgument(std::string(source) + ":" + std::to_string(line) + ": " +
                         std::string(what));
}

// The profile name of a config-file section: "default" -> "default", "profile dev" -> "dev";
// nullopt for sections that are not profiles.
std::optional<std::string> ConfigProfileName(std::string_view section) {
  if (section == "default") return std::string(section);
  constexpr std::string_view kPrefix = "profile";
  if (section.size() > kPrefix.size() && section.starts_with(kPrefix) &&
      IsBlank(section[kPrefix.size()])) {
    std::string_view name = Trim(section.substr(kPrefix.size()));
    if (!name.empty()) return std::string(name);
  }
  return std::nullopt;
}

// The config-file section of profile `name`, and its name as written.
std::optional<std::pair<std::string, const AwsConfigSection*>> FindConfigSection(
    const AwsConfigFile& file, std::string_view name) {
  std::optional<std::pair<std::string, const AwsConfigSection*>> bare_default;
  for (const auto& [section_name, section] : file.sections) {
    std::optional<std::string> profile = ConfigProfileName(section_name);
    if (!profile || *profile != name) continue;
    // "[profile default]" beats "[default]" whatever their order in the file.
    if (section_name == "default") {
      bare_default.emplace(section_name, &section);
      continue;
    }
    return std::make_pair(section_name, &section);
  }
  return bare_default;
}

// Adds `section` to `profile`, replacing any key the profile already has (flat or nested).
void MergeSection(const AwsConfigSection& section, const std::string& source, AwsProfile& profile) {
  auto forget = [&profile](const std::string& key) {
    profile.values.erase(key);
    profile.nested.erase(key);
  };
  for (const auto& [key, value] : section.values) {
    forget(key);
    profile.values[key] = AwsSetting{value, source};
  }
  for (const auto& [key, block] : section.nested) {
    forget(key);
    auto& merged = profile.nested[key];
    for (const auto& [sub_key, value] : block) {
      merged[sub_key] = AwsSetting{value, source};
    }
  }
}

std::optional<std::string> NonEmpty(const std::map<std::string, std::string>& values,
                                    std::string_view key) {
  auto it = values.find(std::string(key));
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<std::string> NonEmptyEnv(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace

Result<AwsConfigFile> ParseAwsConfigFile(std::string_view text, std::string_view source) {
  AwsConfigFile file;
  file.source = std::string(source);
  AwsConfigSection* section = nullptr;
  // The last top-level key of the current section: lines indented deeper than it belong to it.
  std::string parent_key;
  size_t parent_indent = 0;
  bool parent_has_value = false;
  bool have_parent = false;

  size_t line_number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_number;
    std::string_view line = Trim(raw);
    // Blank lines and comments never end a nested block (configparser keeps a value open
    // across them), so they are skipped before looking at indentation.
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    size_t indent = 0;
    while (indent < raw.size() && IsBlank(raw[indent])) ++indent;

    if (line.front() == '[') {
      if (line.back() != ']') {
        return Error(LineError(source, line_number, "section header is missing ']'"));
      }
      section = &file.sections[std::string(Trim(line.substr(1, line.size() - 2)))];
      have_parent = false;
      continue;
    }
    size_t eq = line.find('=');
    if (have_parent && indent > parent_indent) {
      // A continuation line, as configparser sees it; botocore reads it as nested settings
      // when the parent key had no value of its own.
      if (parent_has_value) {
        return Error(LineError(source, line_number,
                               "indented line continues '" + parent_key +
                                   "', which already has a value; nested settings need '" +
                                   parent_key + " =' with nothing after '='"));
      }
      if (eq == std::string_view::npos) {
        return Error(LineError(source, line_number,
                               "expected 'key = value' nested under '" + parent_key + "'"));
      }
      std::string key = Lower(Trim(line.substr(0, eq)));
      if (key.empty()) return Error(LineError(source, line_number, "empty key before '='"));
      section->values.erase(parent_key);
      section->nested[parent_key][key] = std::string(Trim(line.substr(eq + 1)));
      continue;
    }
    if (eq == std::string_view::npos) {
      return Error(LineError(source, line_number, "expected 'key = value'"));
    }
    if (section == nullptr) {
      return Error(LineError(source, line_number, "'key = value' before any [section]"));
    }
    std::string key = Lower(Trim(line.substr(0, eq)));
    if (key.empty()) return Error(LineError(source, line_number, "empty key before '='"));
    std::string value(Trim(line.substr(eq + 1)));
    // A later duplicate replaces the earlier key whole, flat or nested.
    section->nested.erase(key);
    parent_has_value = !value.empty();
    section->values[key] = std::move(value);
    parent_key = std::move(key);
    parent_indent = indent;
    have_parent = true;
  }
  return file;
}

std::optional<AwsProfile> FindProfile(const AwsSharedFiles& files, std::string_view name) {
  AwsProfile profile;
  profile.name = std::string(name);
  bool found = false;
  if (files.config) {
    if (auto hit = FindConfigSection(*files.config, name)) {
      profile.config_section = *hit->second;
      profile.config_section_source = files.config->source + " [" + hit->first + "]";
      MergeSection(*hit->second, profile.config_section_source, profile);
      found = true;
    }
  }
  if (files.credentials) {
    auto it = files.credentials->sections.find(std::string(name));
    if (it != files.credentials->sections.end()) {
      profile.credentials_section = it->second;
      profile.credentials_section_source = files.credentials->source + " [" + it->first + "]";
      MergeSection(it->second, profile.credentials_section_source, profile);
      found = true;
    }
  }
  if (!found) return std::nullopt;
  return profile;
}

std::string ProfileNotFoundHint(const AwsSharedFiles& files, std::string_view name) {
  std::string wanted(name);
  if (files.config && name != "default" && files.config->sections.contains(wanted)) {
    return "the config file " + files.config->source + " has [" + wanted +
           "], which is not a profile there: write [profile " + wanted + "]";
  }
  if (files.credentials && files.credentials->sections.contains("profile " + wanted)) {
    return "the credentials file " + files.credentials->source + " has [profile " + wanted +
           "]: profiles there are written [" + wanted + "]";
  }
  return "";
}

std::optional<AwsSetting> ProfileValue(const AwsProfile& profile, std::string_view key) {
  auto it = profile.values.find(std::string(key));
  if (it == profile.values.end() || it->second.value.empty()) return std::nullopt;
  return it->second;
}

Result<std::optional<ProfileKeys>> ProfileCredentials(const AwsProfile& profile) {
  // botocore's credential chain reads each file on its own (the shared-credentials provider,
  // then the config-file provider), so a key id from one file never pairs with a secret from
  // the other.
  auto from_section = [&profile](const AwsConfigSection& section,
                                 const std::string& source) -> Result<std::optional<ProfileKeys>> {
    std::optional<std::string> key_id = NonEmpty(section.values, "aws_access_key_id");
    std::optional<std::string> secret = NonEmpty(section.values, "aws_secret_access_key");
    if (!key_id && !secret) return std::nullopt;
    if (!key_id || !secret) {
      return Error(InvalidArgument("profile '" + profile.name + "' in " + source + " has " +
                                   (key_id ? "aws_access_key_id but no aws_secret_access_key"
                                           : "aws_secret_access_key but no aws_access_key_id")));
    }
    ProfileKeys keys;
    keys.credentials.access_key_id = std::move(*key_id);
    keys.credentials.secret_access_key = std::move(*secret);
    keys.credentials.session_token = NonEmpty(section.values, "aws_session_token").value_or("");
    keys.source = source;
    return keys;
  };
  if (profile.credentials_section) {
    TL_ASSIGN_OR_RETURN(
        std::optional<ProfileKeys> credentials,
        from_section(*profile.credentials_section, profile.credentials_section_source));
    if (credentials) return credentials;
  }
  if (profile.config_section) {
    return from_section(*profile.config_section, profile.config_section_source);
  }
  return std::nullopt;
}

std::string UnsupportedCredentialSettings(const AwsProfile& profile) {
  static constexpr std::array<std::string_view, 6> kUnsupported = {
      "role_arn",      "credential_process",      "sso_session",
      "sso_start_url", "web_identity_token_file", "credential_source"};
  std::string out;
  for (std::string_view key : kUnsupported) {
    if (!ProfileValue(profile, key)) continue;
    if (!out.empty()) out += ", ";
    out += key;
  }
  return out;
}

Result<std::optional<Addressing>> ProfileS3Addressing(const AwsProfile& profile) {
  auto block = profile.nested.find("s3");
  if (block == profile.nested.end()) return std::nullopt;
  auto it = block->second.find("addressing_style");
  if (it == block->second.end() || it->second.value.empty()) return std::nullopt;
  std::string style = Lower(it->second.value);
  if (style == "auto") return Addressing::kAuto;
  if (style == "path") return Addressing::kPath;
  if (style == "virtual") return Addressing::kVirtualHosted;
  return Error(InvalidArgument("s3.addressing_style '" + it->second.value + "' in " +
                               it->second.source + " is not one of auto, path, virtual"));
}

Result<int> ParseMaxAttempts(const AwsSetting& setting, std::string_view what) {
  int value = 0;
  const char* begin = setting.value.data();
  const char* end = begin + setting.value.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (setting.value.empty() || ec != std::errc() || ptr != end || value < 1 || value > 1000) {
    return Error(InvalidArgument(std::string(what) + " '" + setting.value + "' from " +
                                 setting.source + " is not an integer in 1..1000"));
  }
  return value;
}

Result<bool> ParseAwsBool(const AwsSetting& setting, std::string_view what) {
  std::string value = Lower(setting.value);
  if (value == "true") return true;
  if (value == "false") return false;
  return Error(InvalidArgument(std::string(what) + " '" + setting.value + "' from " +
                               setting.source + " is neither true nor false"));
}

Result<std::optional<AwsSetting>> ConfiguredS3EndpointUrl(const AwsSharedFiles& files,
                                                          const AwsProfile* profile,
                                                          const EnvLookup& env) {
  std::optional<AwsSetting> ignore;
  if (auto value = NonEmptyEnv(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    ignore = AwsSetting{*value, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"};
  } else if (profile != nullptr) {
    ignore = ProfileValue(*profile, "ignore_configured_endpoint_urls");
  }
  if (ignore) {
    TL_ASSIGN_OR_RETURN(bool ignored, ParseAwsBool(*ignore, "ignore_configured_endpoint_urls"));
    if (ignored) return std::nullopt;
  }

  if (auto value = NonEmptyEnv(env, "AWS_ENDPOINT_URL_S3")) {
    return AwsSetting{*value, "AWS_ENDPOINT_URL_S3"};
  }
  if (auto value = NonEmptyEnv(env, "AWS_ENDPOINT_URL")) {
    return AwsSetting{*value, "AWS_ENDPOINT_URL"};
  }
  if (profile == nullptr) return std::nullopt;

  if (std::optional<AwsSetting> services = ProfileValue(*profile, "services")) {
    std::string section_name = "services " + services->value;
    const AwsConfigSection* section = nullptr;
    if (files.config) {
      auto it = files.config->sections.find(section_name);
      if (it != files.config->sections.end()) section = &it->second;
    }
    if (section == nullptr) {
      return Error(InvalidArgument("profile '" + profile->name + "' (" + services->source +
                                   ") names services '" + services->value + "', but " +
                                   (files.config ? "the config file " + files.config->source
                                                 : std::string("no config file")) +
                                   " has no [" + section_name + "] section"));
    }
    auto block = section->nested.find("s3");
    if (block != section->nested.end()) {
      std::optional<std::string> url = NonEmpty(block->second, "endpoint_url");
      if (url) {
        return AwsSetting{*url, files.config->source + " [" + section_name + "] s3.endpoint_url"};
      }
    }
  }
  if (std::optional<AwsSetting> url = ProfileValue(*profile, "endpoint_url")) {
    url->source += " endpoint_url";
    return url;
  }
  return std::nullopt;
}

}  // namespace trainload::s3
